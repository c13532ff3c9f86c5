"""The shop environment beyond the generic checks: its SQLite state, its policy rules and its traps."""

from __future__ import annotations

import pytest

from synthcompile.compilers.simulation.envs import shop
from synthcompile.compilers.simulation.envs.shop import WRITES, Shop
from synthcompile.compilers.simulation.episodes import expert_episode, sample_task
from synthcompile.compilers.simulation.faults import fault_result


@pytest.fixture
def env():
    e = Shop(11)
    yield e
    e.close()


def _order(env, status):
    return env._row("SELECT id, customer_id FROM orders WHERE status = ? ORDER BY id", status)


def _email(env, cid):
    return env._row("SELECT email FROM customers WHERE id = ?", cid)[0]


def _world_with(*statuses):
    for world in range(100):
        e = Shop(world)
        if all(_order(e, s) for s in statuses):
            return e
        e.close()
    raise AssertionError(statuses)


def test_the_image_cache_gives_the_world_a_fresh_build_gives(env):
    cached = env._dump()
    shop._IMAGES.pop(11)
    fresh = Shop(11)
    try:
        assert fresh._dump() == cached
    finally:
        fresh.close()


def test_snapshot_restore(env):
    before, image = env._dump(), env.snapshot()
    env.db.execute("DELETE FROM order_items")
    env.restore(image)
    assert env._dump() == before


def test_cancel_restocks_and_refund_records_the_reason():
    env = _world_with("pending", "delivered")
    try:
        oid, _ = _order(env, "pending")
        items = env._rows("SELECT sku, qty FROM order_items WHERE order_id = ?", oid)
        stock = dict(env._rows("SELECT sku, stock FROM products"))
        assert env.call("cancel_order", {"order_id": oid})["status"] == "cancelled"
        after = dict(env._rows("SELECT sku, stock FROM products"))
        assert all(after[s] == stock[s] + q for s, q in items)
        assert "error" in env.call("cancel_order", {"order_id": oid})  # no longer pending
        did, _ = _order(env, "delivered")
        env.call("refund_order", {"order_id": did, "reason": "damaged"})
        assert env.call("get_order", {"order_id": did})["refund_reason"] == "damaged"
    finally:
        env.close()


def test_tools_refuse_what_the_policy_forbids(env):
    sku, stock = env._row("SELECT sku, stock FROM products ORDER BY sku")
    cid = env._row("SELECT id FROM customers ORDER BY id")[0]
    assert "insufficient stock" in env.call("place_order", {"customer_id": cid, "sku": sku, "qty": stock + 1})["error"]
    assert env._row("SELECT stock FROM products WHERE sku = ?", sku)[0] == stock
    assert env.call("get_order", {"order_id": "O-1"}) == {"error": "no order O-1"}


def test_policy_rules():
    env = _world_with("shipped", "pending")
    try:
        task = sample_task(Shop, env.world, 3, 0)
        shipped, owner = _order(env, "shipped")
        pending, other = _order(env, "pending")

        def verified(cid):
            return ("verify_customer", {"customer_id": cid, "email": _email(env, cid)},
                    {"customer_id": cid, "verified": True})

        def looked(oid):
            return ("get_order", {"order_id": oid}, env.call("get_order", {"order_id": oid}))

        def why(history, name, args):
            return env.check_policy(task, history, name, args) or ""

        assert "rule 2" in why([verified(owner)], "cancel_order", {"order_id": shipped})
        assert "rule 3" in why([verified(owner), looked(shipped)], "cancel_order", {"order_id": shipped})
        assert "rule 3" in why([verified(other), looked(pending)], "refund_order",
                               {"order_id": pending, "reason": "damaged"})
        assert why([verified(other), looked(pending)], "cancel_order", {"order_id": pending}) == ""
        if owner != other:  # someone else's order, even when its owner's email is known
            assert "rule 1" in why([verified(owner), looked(pending)], "cancel_order", {"order_id": pending})
        stale = ("verify_customer", verified(other)[1], fault_result("stale", "verify_customer", verified(other)[2]))
        assert "rule 1" in why([stale, looked(pending)], "cancel_order", {"order_id": pending})
        sku, stock = env._row("SELECT sku, stock FROM products ORDER BY stock LIMIT 1")
        product = ("get_product", {"sku": sku}, env.call("get_product", {"sku": sku}))
        args = {"customer_id": other, "sku": sku, "qty": stock + 1}
        assert "rule 2" in why([verified(other)], "place_order", args)
        assert "rule 4" in why([verified(other), product], "place_order", args)
        assert "rule 1" in why([], "update_address", {"customer_id": other, "address": "1 Elm Court, Ashford"})
    finally:
        env.close()


def test_traps_decline_without_writing():
    seen = set()
    for i in range(240):
        level = 3 + i % 2
        task = sample_task(Shop, 300 + i, level, i)
        traj = expert_episode(Shop, task)
        wrote = [s.name for s in traj.steps if s.name in WRITES and "error" not in s.result]
        assert task.trap == (task.answer == "refused"), task
        if task.trap:
            assert not wrote, (task.instruction, wrote)
            checked = {s.name for s in traj.steps}
            seen.add("identity" if "get_order" not in checked and "get_product" not in checked
                     and "search_products" not in checked else task.kind)
        else:
            assert wrote or task.answer in ("0", "0.00"), task
    assert {"identity", "cancel", "refund", "place", "money_back", "order_fallback"} <= seen


def test_a_write_on_a_read_task_fails_the_goal(env):
    task = sample_task(Shop, 11, 1, 0)
    assert env.check_goal(task) is None
    cid = env._row("SELECT id FROM customers ORDER BY id")[0]
    env.call("update_address", {"customer_id": cid, "address": "9 Park Row, Fairview"})
    assert "customers" in env.check_goal(task)
