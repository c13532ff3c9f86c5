"""The bank's own rules: fees, approvals, limits and ownership, as the policy check and the tools see them."""

from __future__ import annotations

from synthcompile.compilers.simulation.env import Task
from synthcompile.compilers.simulation.envs.bank import Bank, _cents


def _task(env: Bank, user: str) -> Task:
    return Task("bank", env.world, 3, "transfer", "", {"user": user}, None, tuple(Bank.specs()))


def _pair(env: Bank):
    """An unfrozen account with room to send, and another customer's account."""
    for src, a in env.accounts.items():
        dst = next((d for d, b in env.accounts.items() if b["owner"] != a["owner"]), None)
        if not a["frozen"] and env._headroom(src, dst) > 150_000:
            return src, dst
    return None


def test_fees_follow_the_schedule():
    env = Bank(1)
    src, dst = next((s, d) for s, a in env.accounts.items() for d, b in env.accounts.items()
                    if a["type"] == "checking" and b["owner"] != a["owner"])
    q = env.call("quote_fee", {"from_account": src, "to_account": dst, "amount": "50.00"})
    assert q["fee"] == "1.00"  # 1% is 0.50: the floor applies
    q = env.call("quote_fee", {"from_account": src, "to_account": dst, "amount": "1234.56"})
    assert (q["fee"], q["total"], q["approval_required"]) == ("12.35", "1246.91", True)
    assert _cents("12.5") == 1250 and _cents("12.345") is None and _cents("-3") is None


def test_a_large_transfer_needs_an_approval_for_that_exact_amount():
    for world in range(50):
        env = Bank(world)
        if (pair := _pair(env)) is None:
            continue
        src, dst = pair
        task = _task(env, env.accounts[src]["owner"])
        args = {"from_account": src, "to_account": dst, "amount": "1200.00"}
        assert "rule 5" in env.check_policy(task, [], "transfer", args)
        approval = env.call("request_approval", {**args, "amount": "1100.00"})["approval_id"]
        assert "rule 5" in env.check_policy(task, [], "transfer", {**args, "approval_id": approval})
        approval = env.call("request_approval", args)["approval_id"]
        assert env.check_policy(task, [], "transfer", {**args, "approval_id": approval}) is None
        before = env.accounts[src]["balance"]
        r = env.call("transfer", {**args, "approval_id": approval})
        assert env.accounts[src]["balance"] == before - 120_000 - _cents(r["fee"])
        assert "error" in env.call("transfer", {**args, "approval_id": approval})  # used up
        return
    raise AssertionError("no world with a rich enough account")


def test_ownership_frozen_overdraw_and_limit_are_policy_violations():
    env = Bank(3)
    user = next(iter(env.accounts.values()))["owner"]
    task = _task(env, user)
    theirs = next(acc for acc, a in env.accounts.items() if a["owner"] != user)
    mine = env._owned(user)[0]
    assert "rule 1" in env.check_policy(task, [], "freeze_account", {"account_id": theirs})
    assert "rule 1" in env.check_policy(task, [], "transfer", {"from_account": theirs, "to_account": mine,
                                                               "amount": "5.00"})
    a = env.accounts[mine]
    other = theirs
    a.update(frozen=False, balance=50_000, sent_today=0, daily_limit=100_000)
    assert "rule 3" in env.check_policy(task, [], "transfer", {"from_account": mine, "to_account": other,
                                                               "amount": "499.00"})  # + the 4.99 fee
    a.update(balance=500_000, sent_today=95_000)
    assert "rule 4" in env.check_policy(task, [], "transfer", {"from_account": mine, "to_account": other,
                                                               "amount": "60.00"})
    a["frozen"] = True
    assert "rule 2" in env.check_policy(task, [], "transfer", {"from_account": mine, "to_account": other,
                                                               "amount": "1.00"})
    assert "error" in env.call("transfer", {"from_account": mine, "to_account": other, "amount": "1.00"})


def test_worlds_are_reproducible():
    assert Bank(11).snapshot() == Bank(11).snapshot()
    assert Bank(11).snapshot() != Bank(12).snapshot()
