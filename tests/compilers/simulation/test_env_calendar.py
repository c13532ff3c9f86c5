"""The calendar's own rules: free slots, double booking, working hours, capacity, who may cancel."""

from __future__ import annotations

from synthcompile.compilers.simulation.env import Task
from synthcompile.compilers.simulation.envs.calendar import Calendar, _hm


def _task(env: Calendar, user: str) -> Task:
    return Task("calendar", env.world, 3, "book_fixed", "", {"user": user}, None, tuple(Calendar.specs()))


def test_free_slots_avoid_every_event_and_stay_in_working_hours():
    env = Calendar(5)
    people = sorted(env.people)[:2]
    for day in ("Mon", "Wed", "Fri"):
        r = env.call("find_free_slots", {"people": people, "day": day, "duration_minutes": 30})
        for slot in r["slots"]:
            s, e = (int(t[:2]) * 60 + int(t[3:]) for t in (slot["start"], slot["end"]))
            assert e - s >= 30
            assert not env._problems(people, day, s, e, None)


def test_double_booking_hours_capacity_and_organiser_are_policy_violations():
    env = Calendar(2)
    user = sorted(env.people)[0]
    task = _task(env, user)
    ev = next(e for e in env.events.values() if user in e["attendees"])
    clash = {"title": "X", "day": ev["day"], "start": _hm(ev["start"]), "end": _hm(ev["end"]), "attendees": [user],
             "organiser": user}
    assert "rule 2" in env.check_policy(task, [], "create_event", clash)
    assert "rule 1" in env.check_policy(task, [], "create_event", {**clash, "organiser": "Nobody"})
    lo = env.people[user][0]
    early = {**clash, "start": _hm(lo - 60), "end": _hm(lo - 30)}
    assert "rule 3" in env.check_policy(task, [], "create_event", early)
    small = min(env.rooms, key=env.rooms.get)
    crowd = sorted(env.people)[: env.rooms[small] + 1]
    if len(crowd) > env.rooms[small]:
        assert any("rule 4" in p for p in env._problems(crowd, "Mon", 0, 15, small))
    theirs = next(i for i, e in env.events.items() if e["organiser"] != user)
    assert "rule 1" in env.check_policy(task, [], "cancel_event", {"event_id": theirs})
    mine = next((i for i, e in env.events.items() if e["organiser"] == user), None)
    if mine:
        assert env.check_policy(task, [], "cancel_event", {"event_id": mine}) is None


def test_rooms_refuse_a_double_booking_themselves():
    env = Calendar(4)
    i, ev = next((i, e) for i, e in env.events.items() if e["room"])
    r = env.call("create_event", {"title": "X", "day": ev["day"], "start": _hm(ev["start"]), "end": _hm(ev["end"]),
                                  "attendees": [sorted(env.people)[0]], "organiser": sorted(env.people)[0],
                                  "room": ev["room"]})
    assert "booked" in r["error"] and i in r["error"]


def test_worlds_are_reproducible():
    assert Calendar(9).snapshot() == Calendar(9).snapshot()
    assert Calendar(9).snapshot() != Calendar(10).snapshot()
