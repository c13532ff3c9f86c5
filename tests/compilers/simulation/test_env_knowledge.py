"""The knowledge environment beyond the generic checks: its world, its id rule, namesakes, writes."""

from __future__ import annotations

import random

from synthcompile.compilers.simulation.envs import knowledge
from synthcompile.compilers.simulation.envs.knowledge import Knowledge
from synthcompile.compilers.simulation.episodes import expert_episode, sample_task


def test_the_cached_world_is_what_a_fresh_build_gives_and_instances_do_not_share_state():
    a = Knowledge(5)
    facts = a.facts
    knowledge._world.cache_clear()
    b = Knowledge(5)
    assert b.facts == facts and b.entities == a.entities
    person = next(i for i, (_, kind) in a.entities.items() if kind == "person")
    a.facts[person]["birth_date"] = "1900-01-01"
    assert Knowledge(5).facts[person]["birth_date"] != "1900-01-01"


def test_namesakes_share_a_name_and_differ_in_birth_city_year_and_employer():
    env = Knowledge(3)
    pairs = knowledge._world(3).namesakes
    assert len(pairs) == 2
    for a, b in pairs:
        assert env.entities[a] == env.entities[b]
        fa, fb = env.facts[a], env.facts[b]
        assert fa["birth_city"] != fb["birth_city"] and fa["employer"] != fb["employer"]
        assert fa["birth_date"][:4] != fb["birth_date"][:4]
        hits = env.call("search_entities", {"query": env.entities[a][0], "type": "person"})["matches"]
        assert {a, b} <= {m["id"] for m in hits}


def test_ids_must_come_from_results():
    env = Knowledge(2)
    task = sample_task(Knowledge, 2, 1, 0)
    pid = "P000001"
    assert "rule 2" in env.check_policy(task, [], "get_entity", {"id": pid})
    found = env.call("search_entities", {"query": env.entities[pid][0]})
    history = [("search_entities", {"query": env.entities[pid][0]}, found)]
    assert env.check_policy(task, history, "get_entity", {"id": pid}) is None
    employer = env.facts[pid]["employer"]
    assert "rule 2" in env.check_policy(task, history, "get_entity", {"id": employer})
    record = env.call("get_entity", {"id": pid})
    history.append(("get_entity", {"id": pid}, record))
    assert env.check_policy(task, history, "get_entity", {"id": employer}) is None  # a fact named it


def test_writes_only_to_fetched_person_records():
    env = Knowledge(4)
    task = sample_task(Knowledge, 4, 1, 0)
    pid, org = "P000002", "O000001"
    history = [("search_entities", {"query": "x"}, {"matches": [{"id": pid}, {"id": org}]})]
    args = {"id": pid, "relation": "employer", "value": org}
    assert "rule 4" in env.check_policy(task, history, "set_fact", args)
    history.append(("get_entity", {"id": pid}, env.call("get_entity", {"id": pid})))
    assert env.check_policy(task, history, "set_fact", args) is None
    history.append(("get_entity", {"id": org}, env.call("get_entity", {"id": org})))
    assert "rule 3" in env.check_policy(task, history, "set_fact", {"id": org, "relation": "founded", "value": "1999"})


def test_set_fact_checks_values():
    env = Knowledge(4)
    pid = "P000002"
    assert "error" in env.call("set_fact", {"id": pid, "relation": "employer", "value": "C000000"})  # a city
    assert "error" in env.call("set_fact", {"id": pid, "relation": "birth_date", "value": "1999-02-30"})
    assert "error" in env.call("set_fact", {"id": pid, "relation": "capital", "value": "C000000"})
    r = env.call("set_fact", {"id": pid, "relation": "birth_date", "value": "1999-02-03"})
    assert r["new"] == "1999-02-03" and env.facts[pid]["birth_date"] == "1999-02-03"


def test_incoming_relations_list_the_people_linked_to_an_entity():
    env = Knowledge(6)
    org = "O000000"
    r = env.call("get_relations", {"id": org, "relation": "employer"})
    assert sorted(x["id"] for x in r["incoming"]) == sorted(i for i, f in env.facts.items() if f.get("employer") == org)
    assert r["outgoing"] == []


def test_namesake_tasks_are_settled_by_the_stated_fact_either_way():
    firsts = set()
    for seed in range(60):
        task = sample_task(Knowledge, 100 + seed, 4, seed)
        if task.kind != "namesake":
            continue
        traj = expert_episode(Knowledge, task)
        gets = [s.arguments["id"] for s in traj.steps if s.name == "get_entity"]
        assert task.params["target"] in gets
        firsts.add(gets[0] == task.params["target"])
    assert firsts == {True, False}  # sometimes the first match is the one, sometimes not


def test_tasks_do_not_touch_the_global_random_stream():
    state = random.getstate()
    for level in (1, 2, 3, 4):
        expert_episode(Knowledge, sample_task(Knowledge, 9, level, level))
    assert random.getstate() == state
