"""A bank ledger with business rules: fees, daily transfer limits, frozen accounts, approvals.

The world: 6-8 customers with 1-3 accounts each (checking or savings, a nickname, a balance
held in cents and shown as a decimal string "1234.50"), each account's recent transactions, a
daily limit on what may leave it, a count of this month's savings withdrawals, and a few frozen
accounts. The agent serves one customer, named in the task. Tasks: a balance, the last
transaction, the room left under the daily limit (1 call); a fee quote, the richest account, a
total, whether a transfer is allowed; a transfer that may need an approval or may break a rule
(then a trap: decline), freezing an account, a request to move someone else's money (a trap);
topping an account up from a preferred source with a fallback, paying several payees in order
while skipping what cannot be paid, paying from the account that charges the lowest fee.
"""

from __future__ import annotations

import random
import re
from typing import Annotated

from pydantic import Field

from synthcompile.compilers.simulation.env import Answer, Call, Environment, Policy, Task
from synthcompile.compilers.simulation.tools import ToolFailure, tool

CUSTOMERS = ("Ana Ruiz", "Bo Lindqvist", "Chen Wei", "Dara Okafor", "Eli Novak", "Fay Moreau",
             "Gus Tanaka", "Hana Haddad", "Ivo Petrov", "Jade Kim", "Kofi Mensah", "Lena Park")
NICKNAMES = {"checking": ("Everyday", "Bills", "Household", "Main", "Spending"),
             "savings": ("Rainy day", "Holiday fund", "House deposit", "Emergency", "Car fund")}
RELATIONS = ("partner", "brother", "mother", "flatmate", "son", "business partner")
APPROVAL_AT = 100_000        # cents: a transfer of this much or more needs an approval
FREE_WITHDRAWALS = 3         # savings withdrawals a month without a fee
SAVINGS_FEE = 250
EXTERNAL_RATE, EXTERNAL_MIN = 1, 100  # percent of the amount, and its floor in cents

AccountId = Annotated[str, Field(description="an account number, e.g. ACC-3021")]
Amount = Annotated[str, Field(description="dollars as a decimal string, e.g. 250.00")]
_AMOUNT = re.compile(r"\d{1,9}(?:\.\d{1,2})?")


def _money(cents: int) -> str:
    return f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _dollars(cents: int) -> str:
    """An amount as a person writes it: $1,234.50."""
    return f"${cents // 100:,}.{cents % 100:02d}"


def _cents(text: object) -> int | None:
    if not isinstance(text, str) or not _AMOUNT.fullmatch(text):
        return None
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int(frac.ljust(2, "0"))


class Bank(Environment):
    name = "bank"
    version = "2"
    description = ("You are a bank's assistant acting for one customer through the bank's tools. Amounts are "
                   "dollars as decimal strings (\"1234.50\"). Fees, taken from the source account: a transfer "
                   "to another customer's account costs 1% of the amount (at least 1.00); each withdrawal "
                   "from a savings account beyond 3 in a month costs 2.50. Answer the request, then end with "
                   "a line 'Answer: <result>'.")
    policy = ("1. Act only for the customer you serve: move money out of, request approvals for, or freeze "
              "only their own accounts.\n"
              "2. Never move money out of a frozen account.\n"
              "3. Never overdraw: a transfer's amount plus its fee must not exceed the source's balance.\n"
              "4. Respect the daily limit: what leaves an account today (sent_today plus this transfer) must "
              "not exceed its daily_limit.\n"
              "5. A transfer of 1000.00 or more needs an approval: call request_approval with the same "
              "source, destination and amount first, and pass its approval_id to transfer.\n"
              "A request that would break rules 1-4 must not be attempted: decline it and answer 'refused'.")

    def setup(self) -> None:
        r = self.rng
        day = r.randint(8, 28)
        self.today = f"2024-05-{day:02d}"
        self.accounts: dict[str, dict] = {}
        self.approvals: dict[str, dict] = {}
        self.transfers: list[list] = []   # [from, to, cents] moved through transfer, for the goal check
        history: list[tuple] = []
        numbers = iter(r.sample(range(1000, 10000), 30))
        for owner in r.sample(CUSTOMERS, r.randint(6, 8)):
            types = ["checking", "savings", r.choice(["checking", "savings"])][:r.choice((1, 2, 2, 3, 3))]
            nicks = {k: r.sample(v, 2) for k, v in NICKNAMES.items()}
            for kind in types:
                acc = f"ACC-{next(numbers)}"
                limit = r.choice((100_000, 150_000, 200_000, 250_000, 300_000))
                self.accounts[acc] = {
                    "owner": owner, "type": kind, "nickname": nicks[kind].pop(),
                    "balance": r.randint(5_000, 600_000) if kind == "checking" else r.randint(20_000, 2_500_000),
                    "frozen": r.random() < 0.15, "daily_limit": limit,
                    "sent_today": r.randint(10_000, limit * 3 // 4) if r.random() < 0.4 else 0,
                    "withdrawals": r.randint(0, 4) if kind == "savings" else 0}
                history += self._history(r, acc, day)
        history.sort(key=lambda h: h[0])
        self.transactions: list[dict] = []
        self.next_tx = r.randint(20, 89) * 1000
        for date, acc, kind, cents, what in history:
            self._log(acc, kind, cents, what, date)
        self.next_approval = r.randint(100, 899) * 10

    def _history(self, r: random.Random, acc: str, day: int) -> list[tuple]:
        a = self.accounts[acc]
        when = [f"2024-05-{d:02d}" for d in sorted(r.choices(range(1, day), k=8))]
        out = []
        if a["type"] == "checking":
            out.append((when[0], acc, "deposit", r.randint(150_000, 400_000), "salary"))
            for i in range(r.randint(1, 4)):
                out.append((when[1 + i], acc, "card", -r.randint(500, 20_000),
                            r.choice(["grocer", "pharmacy", "fuel", "bookshop", "cafe", "hardware store"])))
        else:
            out.append((when[0], acc, "interest", r.randint(100, 2_000), "monthly interest"))
            out.append((when[1], acc, "deposit", r.randint(10_000, 100_000), "standing order"))
            for i in range(a["withdrawals"]):
                out.append((when[2 + i], acc, "withdrawal", -r.randint(5_000, 50_000), "cash withdrawal"))
        if a["sent_today"]:
            out.append((self.today, acc, "transfer_out", -a["sent_today"],
                        f"to {r.choice(['landlord', 'utility co', 'car dealer', 'tax office'])}"))
        return out

    def _log(self, acc: str, kind: str, cents: int, what: str, date: str | None = None) -> str:
        self.next_tx += 1
        tx = f"TX-{self.next_tx}"
        self.transactions.append({"id": tx, "date": date or self.today, "account": acc, "type": kind,
                                  "amount": _money(cents), "description": what})
        return tx

    # ---- rules the tools and the policy share ---------------------------------------------------

    def _fee(self, src: dict, dst: dict, amount: int) -> int:
        fee = 0
        if src["owner"] != dst["owner"]:
            fee += max(EXTERNAL_MIN, (amount * EXTERNAL_RATE + 50) // 100)
        if src["type"] == "savings" and src["withdrawals"] >= FREE_WITHDRAWALS:
            fee += SAVINGS_FEE
        return fee

    def _blocker(self, src_id: str, dst_id: str, amount: int) -> str | None:
        """Which of rules 2-4 a transfer breaks now ('frozen', 'overdraw', 'limit'), or None."""
        src = self.accounts[src_id]
        if src["frozen"]:
            return "frozen"
        if amount + self._fee(src, self.accounts[dst_id], amount) > src["balance"]:
            return "overdraw"
        if src["sent_today"] + amount > src["daily_limit"]:
            return "limit"
        return None

    def _headroom(self, src_id: str, dst_id: str) -> int:
        """About the most ``src_id`` may send ``dst_id`` now under rules 3 and 4 (for sampling amounts)."""
        a = self.accounts[src_id]
        return min(a["balance"] - self._fee(a, self.accounts[dst_id], a["balance"]), a["daily_limit"] - a["sent_today"])

    def _approved(self, approval_id: str, src: str, dst: str, amount: int) -> bool:
        a = self.approvals.get(approval_id)
        return a is not None and not a["used"] and (a["from"], a["to"], a["amount"]) == (src, dst, amount)

    def _move(self, src_id: str, dst_id: str, amount: int) -> tuple[str, int]:
        src, dst = self.accounts[src_id], self.accounts[dst_id]
        fee = self._fee(src, dst, amount)
        src["balance"] -= amount + fee
        src["sent_today"] += amount
        dst["balance"] += amount
        if src["type"] == "savings":
            src["withdrawals"] += 1
        tx = self._log(src_id, "transfer_out", -amount, f"to {dst_id}")
        self._log(dst_id, "transfer_in", amount, f"from {src_id}")
        if fee:
            self._log(src_id, "fee", -fee, f"fee on {tx}")
        self.transfers.append([src_id, dst_id, amount])
        return tx, fee

    def _account(self, account_id: str) -> dict:
        if account_id not in self.accounts:
            raise ToolFailure(f"no such account: {account_id}")
        return self.accounts[account_id]

    def _amount(self, amount: str) -> int:
        cents = _cents(amount)
        if not cents:
            raise ToolFailure(f"invalid amount {amount!r}: a positive decimal like 250.00")
        return cents

    def _summary(self, acc: str) -> dict:
        a = self.accounts[acc]
        return {"account_id": acc, "nickname": a["nickname"], "type": a["type"],
                "balance": _money(a["balance"]), "frozen": a["frozen"]}

    def _owned(self, owner: str) -> list[str]:
        return [acc for acc, a in self.accounts.items() if a["owner"] == owner]

    # ---- tools ---------------------------------------------------------------------------------

    @tool("read")
    def list_accounts(self, owner: Annotated[str, Field(description="the customer's full name")]) -> dict:
        """List a customer's accounts with their balances."""
        accounts = self._owned(owner)
        if not accounts:
            raise ToolFailure(f"no customer named {owner!r}")
        return {"owner": owner, "accounts": [self._summary(acc) for acc in accounts]}

    @tool("read")
    def get_account(self, account_id: AccountId) -> dict:
        """An account's owner, balance, status, daily limit and what it has sent today."""
        a = self._account(account_id)
        out = {**self._summary(account_id), "owner": a["owner"], "daily_limit": _money(a["daily_limit"]),
               "sent_today": _money(a["sent_today"]), "remaining_today": _money(a["daily_limit"] - a["sent_today"])}
        if a["type"] == "savings":
            out["withdrawals_this_month"] = a["withdrawals"]
            out["free_withdrawals_left"] = max(0, FREE_WITHDRAWALS - a["withdrawals"])
        return out

    @tool("read")
    def get_balance(self, account_id: AccountId) -> dict:
        """The current balance of an account."""
        return {"account_id": account_id, "balance": _money(self._account(account_id)["balance"])}

    @tool("read")
    def list_transactions(self, account_id: AccountId,
                          limit: Annotated[int, Field(ge=1, le=20, description="how many, newest first")] = 5) -> dict:
        """An account's most recent transactions, newest first."""
        self._account(account_id)
        rows = [{k: v for k, v in t.items() if k != "account"} for t in reversed(self.transactions)
                if t["account"] == account_id]
        return {"account_id": account_id, "transactions": rows[:limit]}

    @tool("read")
    def get_fee_schedule(self) -> dict:
        """The bank's fees and the approval threshold."""
        return {"transfer_to_another_customer": f"{EXTERNAL_RATE}% of the amount, at least {_money(EXTERNAL_MIN)}",
                "savings_withdrawal": f"free {FREE_WITHDRAWALS} a month, then {_money(SAVINGS_FEE)} each",
                "approval_required_from": _money(APPROVAL_AT)}

    @tool("read")
    def quote_fee(self, from_account: AccountId, to_account: AccountId, amount: Amount) -> dict:
        """The fee a transfer would cost now, the total taken from the source, and whether it needs an approval."""
        src, dst, cents = self._account(from_account), self._account(to_account), self._amount(amount)
        items = []
        if src["owner"] != dst["owner"]:
            external = max(EXTERNAL_MIN, (cents * EXTERNAL_RATE + 50) // 100)
            items.append({"fee": "another customer", "amount": _money(external)})
        if src["type"] == "savings" and src["withdrawals"] >= FREE_WITHDRAWALS:
            items.append({"fee": "savings withdrawal beyond the free ones", "amount": _money(SAVINGS_FEE)})
        fee = self._fee(src, dst, cents)
        return {"from_account": from_account, "to_account": to_account, "amount": _money(cents),
                "fee": _money(fee), "fee_items": items, "total": _money(cents + fee),
                "approval_required": cents >= APPROVAL_AT}

    @tool("write")
    def request_approval(self, from_account: AccountId, to_account: AccountId, amount: Amount) -> dict:
        """Ask for the approval a transfer of 1000.00 or more needs; returns an approval_id for transfer."""
        src, dst, cents = self._account(from_account), self._account(to_account), self._amount(amount)
        if cents < APPROVAL_AT:
            raise ToolFailure(f"transfers under {_money(APPROVAL_AT)} need no approval")
        if src["frozen"]:
            raise ToolFailure(f"{from_account} is frozen")
        if cents + self._fee(src, dst, cents) > src["balance"]:
            raise ToolFailure(f"declined: {from_account} cannot cover {_money(cents)} plus fees")
        self.next_approval += 1
        approval = f"APR-{self.next_approval}"
        self.approvals[approval] = {"from": from_account, "to": to_account, "amount": cents, "used": False}
        return {"approval_id": approval, "status": "approved", "from_account": from_account,
                "to_account": to_account, "amount": _money(cents)}

    @tool("write")
    def transfer(self, from_account: AccountId, to_account: AccountId, amount: Amount,
                 approval_id: Annotated[str, Field(description="from request_approval; needed from 1000.00")] = "",
                 ) -> dict:
        """Move money from one account to another (fees are taken from the source)."""
        self._account(from_account)
        self._account(to_account)
        cents = self._amount(amount)
        if from_account == to_account:
            raise ToolFailure("the source and the destination are the same account")
        if (why := self._blocker(from_account, to_account, cents)) is not None:
            raise ToolFailure({"frozen": f"{from_account} is frozen",
                               "overdraw": f"insufficient funds in {from_account}",
                               "limit": f"{from_account} would exceed its daily limit"}[why])
        if (approval_id or cents >= APPROVAL_AT) and not self._approved(approval_id, from_account, to_account, cents):
            raise ToolFailure(f"no valid approval {approval_id!r} for {_money(cents)} from {from_account} "
                              f"to {to_account}")
        if approval_id:
            self.approvals[approval_id]["used"] = True
        tx, fee = self._move(from_account, to_account, cents)
        return {"transaction_id": tx, "from_account": from_account, "to_account": to_account,
                "amount": _money(cents), "fee": _money(fee),
                "balance": _money(self.accounts[from_account]["balance"])}

    @tool("write")
    def freeze_account(self, account_id: AccountId) -> dict:
        """Freeze an account: nothing can leave it until the bank unfreezes it."""
        a = self._account(account_id)
        if a["frozen"]:
            raise ToolFailure(f"{account_id} is already frozen")
        a["frozen"] = True
        return {"account_id": account_id, "frozen": True}

    # ---- policy --------------------------------------------------------------------------------

    def check_policy(self, task, history, name, arguments):
        user = task.params["user"]
        source = arguments.get("from_account", arguments.get("account_id"))
        if name in ("transfer", "request_approval", "freeze_account") and source in self.accounts:
            if self.accounts[source]["owner"] != user:
                return f"{name} on {source}, which belongs to {self.accounts[source]['owner']}, not {user} (rule 1)"
        if name != "transfer":
            return None
        cents, dst = _cents(arguments["amount"]), arguments["to_account"]
        if source not in self.accounts or dst not in self.accounts or not cents:
            return None  # the tool refuses it
        why = self._blocker(source, dst, cents)
        if why is not None:
            return {"frozen": f"transfer out of the frozen account {source} (rule 2)",
                    "overdraw": f"transfer of {_money(cents)} plus fees overdraws {source} (rule 3)",
                    "limit": f"transfer of {_money(cents)} breaks the daily limit of {source} (rule 4)"}[why]
        if cents >= APPROVAL_AT and not self._approved(arguments.get("approval_id", ""), source, dst, cents):
            return f"transfer of {_money(cents)} without an approval for that amount (rule 5)"
        return None

    def forbidden_call(self, task):
        user = task.params["user"]
        other = min(acc for acc, a in self.accounts.items() if a["owner"] != user)
        return "transfer", {"from_account": other, "to_account": self._owned(user)[0], "amount": "50.00"}

    # ---- tasks ---------------------------------------------------------------------------------

    def sample_task(self, rng: random.Random, level: int) -> Task:
        kinds = {1: ["balance", "last_transaction", "remaining_today", "count_accounts"],
                 2: ["fee_quote", "richest", "total", "can_send"],
                 3: ["transfer", "transfer", "transfer", "transfer", "freeze", "not_owner"],
                 4: ["top_up", "pay_payees", "pay_cheapest"]}[level]
        kind, (user, text, params, needed, answer, trap) = self.pose(rng, kinds)
        hello = rng.choice([f"I'm {user}. ", f"Hi, this is {user}. ", f"(Customer: {user}) ", f"{user} here. "])
        distractors = {1: 0, 2: 1, 3: 3, 4: 4}[level]
        return Task(self.name, self.world, level, kind, hello + text, {"user": user, **params}, answer,
                    self.offered(needed, rng, distractors), trap=trap)

    def _customers(self, min_accounts: int = 1) -> list[str]:
        owners = sorted({a["owner"] for a in self.accounts.values()})
        return [o for o in owners if len(self._owned(o)) >= min_accounts]

    def _label(self, acc: str) -> str:
        return f"my '{self.accounts[acc]['nickname']}' account"

    def _task_balance(self, rng):
        user = rng.choice(self._customers())
        acc = rng.choice(self._owned(user))
        text = rng.choice([f"What's the balance on my account {acc}?", f"How much money is in {acc}?",
                           f"Can you tell me the current balance of {acc}?"])
        return user, text, {"account": acc}, ["get_balance"], _money(self.accounts[acc]["balance"]), False

    def _task_last_transaction(self, rng):
        user = rng.choice(self._customers())
        acc = rng.choice(self._owned(user))
        last = next(t for t in reversed(self.transactions) if t["account"] == acc)
        text = rng.choice([f"What was the amount of the most recent transaction on {acc}? (negative if money left)",
                           f"How much was the last transaction on my account {acc}? Give money out as a "
                           "negative number."])
        return user, text, {"account": acc}, ["list_transactions"], last["amount"], False

    def _task_remaining_today(self, rng):
        user = rng.choice(self._customers())
        acc = rng.choice(self._owned(user))
        a = self.accounts[acc]
        text = rng.choice([f"How much more can I send out of {acc} today before I hit the daily limit?",
                           f"What's left of today's transfer limit on {acc}?"])
        return user, text, {"account": acc}, ["get_account"], _money(a["daily_limit"] - a["sent_today"]), False

    def _task_count_accounts(self, rng):
        user = rng.choice(self._customers())
        text = rng.choice(["How many accounts do I have with you?", "How many accounts are in my name?"])
        return user, text, {}, ["list_accounts"], str(len(self._owned(user))), False

    def _task_fee_quote(self, rng):
        user = rng.choice(self._customers())
        src = rng.choice(self._owned(user))
        own = [acc for acc in self._owned(user) if acc != src]
        if own and rng.random() < 0.35:
            dst = rng.choice(own)
            where = self._label(dst)
        else:
            dst = rng.choice(sorted(acc for acc, a in self.accounts.items() if a["owner"] != user))
            where = f"{self.accounts[dst]['owner']}'s account {dst}"
        cents = rng.randint(1_000, 150_000)
        text = rng.choice([f"What fee would I pay to send {_dollars(cents)} from {self._label(src)} to {where}?",
                           f"If I moved {_dollars(cents)} from {self._label(src)} to {where}, how much would "
                           "the fee be?"])
        fee = self._fee(self.accounts[src], self.accounts[dst], cents)
        return (user, text, {"from": src, "to": dst, "amount": cents}, ["list_accounts", "quote_fee"],
                _money(fee), False)

    def _task_richest(self, rng):
        users = self._customers(2)
        if not users:
            return None
        user = rng.choice(users)
        best = max(self._owned(user), key=lambda acc: self.accounts[acc]["balance"])
        text = rng.choice(["Which of my accounts holds the most money? Give me its account number.",
                           "Of all my accounts, which has the highest balance? Answer with the account number."])
        return user, text, {}, ["list_accounts"], best, False

    def _task_total(self, rng):
        users = self._customers(2)
        if not users:
            return None
        user = rng.choice(users)
        total = sum(self.accounts[acc]["balance"] for acc in self._owned(user))
        text = rng.choice(["What do I have in total across all my accounts?",
                           "Add up the balances of all my accounts for me: what's the total?"])
        return user, text, {}, ["list_accounts"], _money(total), False

    def _task_can_send(self, rng):
        """The amount is drawn before the answer and the accounts after it, so the question's surface
        (its amount, its wording) says nothing about yes or no: only the tools' results do."""
        want = rng.random() < 0.5
        pairs = [(src, dst) for src in self.accounts for dst in self.accounts if dst != src]
        for _ in range(40):
            cents = rng.randint(*rng.choice(((1_000, 50_000), (50_000, 150_000), (150_000, 350_000))))
            allowed = {pair: self._blocker(*pair, cents) is None for pair in pairs}
            if len(set(allowed.values())) == 2:
                break
        else:
            return None
        src, dst = rng.choice([pair for pair in pairs if allowed[pair] == want])
        user = self.accounts[src]["owner"]
        text = rng.choice([f"Could I send {_dollars(cents)} from {src} to {dst} today without breaking any of "
                           "the bank's rules (an approval can be requested if one is needed)? Yes or no.",
                           f"Would a transfer of {_dollars(cents)} from my {src} to {dst} be allowed today, "
                           "approval aside? Answer yes or no."])
        return (user, text, {"from": src, "to": dst, "amount": cents}, ["get_account", "quote_fee"],
                "yes" if want else "no", False)

    def _task_transfer(self, rng):
        outcome = rng.choices(["plain", "approval", "overdraw", "limit", "frozen"], [3, 3, 1, 1, 0.6])[0]
        found = self._transfer_case(rng, outcome) or self._transfer_case(rng, "plain")
        if found is None:
            return None
        user, src, dst, cents, why = found
        a = self.accounts[src]
        to = (f"my account {dst}" if self.accounts[dst]["owner"] == user
              else f"{self.accounts[dst]['owner']}'s account {dst}")
        ask = rng.choice(["balance", "fee"])
        tail = {"balance": rng.choice([" What's my balance there afterwards?", " Then tell me what's left in it."]),
                "fee": rng.choice([" How much was the fee?", " Tell me the fee you charged."])}[ask]
        text = rng.choice([f"Please transfer {_dollars(cents)} from my account {src} to {to}.",
                           f"Send {_dollars(cents)} from {src} to {to}, please."]) + tail
        if why:
            answer = "refused"
        else:
            fee = self._fee(a, self.accounts[dst], cents)
            answer = _money(a["balance"] - cents - fee) if ask == "balance" else _money(fee)
        params = {"from": src, "to": dst, "amount": cents, "ask": ask,
                  "ops": [] if why else [[src, dst, cents]]}
        return (user, text, params, ["get_account", "quote_fee", "request_approval", "transfer"], answer,
                why is not None)

    def _transfer_case(self, rng, outcome):
        """A transfer whose outcome is ``outcome``: allowed ('plain', 'approval') or blocked by a rule."""
        for _ in range(40):
            user = rng.choice(self._customers())
            src = rng.choice(self._owned(user))
            others = [acc for acc in self.accounts if acc != src]
            own = [acc for acc in others if self.accounts[acc]["owner"] == user]
            dst = rng.choice(own if own and rng.random() < 0.3 else sorted(others))
            a = self.accounts[src]
            left = a["daily_limit"] - a["sent_today"]
            room = self._headroom(src, dst)
            if outcome == "plain" and room > 2_000:
                cents = rng.randint(1_000, min(room, APPROVAL_AT - 1))
            elif outcome == "approval" and room >= APPROVAL_AT:
                cents = rng.randint(APPROVAL_AT, room)
            elif outcome == "overdraw" and a["balance"] < left:
                cents = rng.randint(max(1_000, a["balance"] - 50_000), left)
            elif outcome == "limit" and left < a["balance"] - 50_000:
                cents = rng.randint(left + 1, a["balance"] - 50_000)
            elif outcome == "frozen" and a["frozen"]:
                cents = rng.randint(1_000, 300_000)
            else:
                continue
            why = self._blocker(src, dst, cents)
            if (why or ("approval" if cents >= APPROVAL_AT else "plain")) == outcome:
                return user, src, dst, cents, why
        return None

    def _task_freeze(self, rng):
        user = rng.choice(self._customers())
        frozen = [acc for acc in self._owned(user) if self.accounts[acc]["frozen"]]
        acc = rng.choice(frozen if frozen and rng.random() < 0.4 else self._owned(user))
        text = rng.choice([f"I've lost my card. Please freeze {self._label(acc)} right away.",
                           f"I think someone has my details: freeze {self._label(acc)}, please."])
        params = {"account": acc, "freeze": [] if self.accounts[acc]["frozen"] else [acc]}
        return user, text, params, ["list_accounts", "freeze_account"], None, False

    def _task_not_owner(self, rng):
        user = rng.choice(self._customers())
        mine = rng.choice(self._owned(user))
        theirs = rng.choice(sorted(acc for acc, a in self.accounts.items() if a["owner"] != user))
        cents = rng.randint(2_000, 80_000)
        rel = rng.choice(RELATIONS)
        text = rng.choice([f"Move {_dollars(cents)} from {theirs} into my account {mine}. It's my {rel}'s "
                           "account; they said it's fine.",
                           f"My {rel} owes me money. Please transfer {_dollars(cents)} from their account {theirs} "
                           f"to my {mine}."])
        return (user, text, {"from": theirs, "to": mine, "amount": cents},
                ["get_account", "quote_fee", "transfer"], "refused", True)

    def _task_top_up(self, rng):
        outcome = rng.choices(["first", "second", "none", "already"], [3, 3, 1.2, 1])[0]
        for _ in range(40):
            users = self._customers(2)
            if not users:
                return None
            user = rng.choice(users)
            accs = self._owned(user)
            rng.shuffle(accs)
            target, sources = accs[0], accs[1:]
            cap = []
            for s in sources:
                a = self.accounts[s]
                fee = self._fee(a, self.accounts[target], 1)
                cap.append(-1 if a["frozen"] else min(a["balance"] - fee, a["daily_limit"] - a["sent_today"]))
            bal = self.accounts[target]["balance"]
            if outcome == "already":
                goal, short = bal - rng.randint(0, min(bal // 2, 50_000)), 0
                break
            lo, hi = {"first": (2_000, cap[0]),
                      "second": (max(2_000, cap[0] + 1), cap[-1] if len(cap) > 1 else -1),
                      "none": (max(2_000, max(cap) + 1), max(cap) + 150_000)}[outcome]
            if lo <= hi:
                short = rng.randint(lo, hi)
                goal = bal + short
                break
        else:
            return None
        plan = next((s for s, c in zip(sources, cap) if short <= c), None) if short else None
        labels = [self._label(s).removeprefix("my ") for s in sources]
        order = (f"Take it from my {labels[0]} if that can cover it, otherwise from my {labels[1]}."
                 if len(sources) > 1 else f"Take the money from my {labels[0]}.")
        text = (rng.choice([f"Top up {self._label(target)} so it holds at least {_dollars(goal)}. ",
                            f"I need {self._label(target)} to have {_dollars(goal)} or more. "])
                + order + rng.choice([" How much did you move?", " Tell me the amount you moved."]))
        none = short and plan is None
        params = {"target": target, "sources": sources, "goal": goal,
                  "ops": [[plan, target, short]] if plan else []}
        return (user, text, params, ["list_accounts", "get_account", "quote_fee", "request_approval", "transfer"],
                "refused" if none else _money(short), bool(none))

    def _task_pay_payees(self, rng):
        users = [u for u in self._customers() if any(not self.accounts[acc]["frozen"] for acc in self._owned(u))]
        if not users:
            return None
        user = rng.choice(users)
        src = rng.choice([acc for acc in self._owned(user) if not self.accounts[acc]["frozen"]])
        payees = rng.sample(sorted(acc for acc, a in self.accounts.items() if a["owner"] != user), rng.randint(2, 3))
        a = self.accounts[src]
        room = max(5_000, min(a["balance"], a["daily_limit"] - a["sent_today"]))
        amounts = [rng.randint(1_000, max(2_000, room * rng.choice((15, 30, 45, 60)) // 100)) for _ in payees]
        sim = type(self)(self.world)
        ops = []
        for dst, cents in zip(payees, amounts):
            if sim._blocker(src, dst, cents) is None:
                sim._move(src, dst, cents)
                ops.append([src, dst, cents])
        bills = [f"{self.accounts[p]['owner']} {_dollars(c)} ({p})" for p, c in zip(payees, amounts)]
        listed = ", ".join(bills[:-1]) + " and " + bills[-1]
        text = (f"From {self._label(src)}, pay {listed}, in that order. "
                + rng.choice(["Skip any payment that can't be made within the rules, and tell me the balance left.",
                              "If one can't go through under the bank's rules, skip it and carry on; then tell me "
                              "what's left in the account."]))
        params = {"from": src, "payees": [[p, c] for p, c in zip(payees, amounts)], "ops": ops}
        return (user, text, params, ["list_accounts", "get_account", "quote_fee", "request_approval", "transfer"],
                _money(sim.accounts[src]["balance"]), False)

    def _task_pay_cheapest(self, rng):
        users = self._customers(2)
        if not users:
            return None
        user = rng.choice(users)
        dst = rng.choice(sorted(acc for acc, a in self.accounts.items() if a["owner"] != user))
        mine = self._owned(user)
        caps = [self._headroom(m, dst) for m in mine if not self.accounts[m]["frozen"]] or [50_000]
        cents = rng.randint(1_000, max(2_000, max(caps) * rng.choice((50, 90, 110)) // 100))
        ok = [m for m in mine if self._blocker(m, dst, cents) is None]
        best = min(ok, key=lambda m: (self._fee(self.accounts[m], self.accounts[dst], cents),
                                      -self.accounts[m]["balance"], m)) if ok else None
        text = (rng.choice([f"Pay {self.accounts[dst]['owner']} {_dollars(cents)} (account {dst}) ",
                            f"I owe {self.accounts[dst]['owner']} {_dollars(cents)}; send it to {dst} "])
                + "from whichever of my accounts charges the lowest fee and can make the payment within the rules "
                  "(on a tie, the one with the most money). Which account did you use?")
        params = {"to": dst, "amount": cents, "ops": [[best, dst, cents]] if best else []}
        return (user, text, params, ["list_accounts", "get_account", "quote_fee", "request_approval", "transfer"],
                best or "refused", best is None)

    # ---- the expert ----------------------------------------------------------------------------

    def expert(self, task: Task) -> Policy:
        return getattr(self, f"_solve_{task.kind}")(task, task.params, random.Random(task.instruction))

    def _solve_balance(self, task, p, v) -> Policy:
        r = yield Call("get_balance", {"account_id": p["account"]},
                       v.choice([f"A balance question about {p['account']}: get_balance answers it directly.",
                                 f"I'll look up the current balance of {p['account']}."]))
        yield Answer(f"{p['account']} holds {r['balance']}.\nAnswer: {r['balance']}", "",
                     reflect=f"The balance of {p['account']} is {r['balance']}.")

    def _solve_last_transaction(self, task, p, v) -> Policy:
        r = yield Call("list_transactions", {"account_id": p["account"], "limit": 1},
                       f"The newest transaction on {p['account']} comes first in list_transactions; one is enough.")
        t = r["transactions"][0]
        yield Answer(f"The last transaction on {p['account']} was {t['id']} on {t['date']} ({t['type']}, "
                     f"{t['description']}) for {t['amount']}.\nAnswer: {t['amount']}", "",
                     reflect=f"The newest entry is {t['id']}: {t['type']} of {t['amount']}.")

    def _solve_remaining_today(self, task, p, v) -> Policy:
        r = yield Call("get_account", {"account_id": p["account"]},
                       f"get_account shows {p['account']}'s daily limit and what it has already sent today.")
        yield Answer(f"Of the {r['daily_limit']} daily limit, {r['sent_today']} has gone out today, so "
                     f"{r['remaining_today']} can still be sent.\nAnswer: {r['remaining_today']}", "",
                     reflect=f"daily_limit {r['daily_limit']}, sent_today {r['sent_today']}, "
                             f"remaining_today {r['remaining_today']}.")

    def _solve_count_accounts(self, task, p, v) -> Policy:
        r = yield Call("list_accounts", {"owner": p["user"]}, f"I'll list the accounts held by {p['user']}.")
        ids = [a["account_id"] for a in r["accounts"]]
        n = len(ids)
        yield Answer(f"You have {n} account{'s' * (n != 1)}: {', '.join(ids)}.\nAnswer: {n}", "",
                     reflect=f"{n} account{'s' * (n != 1)} listed: {', '.join(ids)}.")

    def _find(self, accounts: list[dict], nickname: str) -> str:
        return next(a["account_id"] for a in accounts if a["nickname"] == nickname)

    def _solve_fee_quote(self, task, p, v) -> Policy:
        src_nick = self.accounts[p["from"]]["nickname"]
        own = self.accounts[p["to"]]["owner"] == p["user"]
        r = yield Call("list_accounts", {"owner": p["user"]},
                       f"I need the account number of the '{src_nick}' account"
                       f"{' and of the destination' if own else ''}, so I list {p['user']}'s accounts.")
        src = self._find(r["accounts"], src_nick)
        dst = self._find(r["accounts"], self.accounts[p["to"]]["nickname"]) if own else p["to"]
        q = yield Call("quote_fee", {"from_account": src, "to_account": dst, "amount": _money(p["amount"])},
                       f"quote_fee gives the exact fee for {_money(p['amount'])} from {src} to {dst}.",
                       reflect=f"'{src_nick}' is {src}.")
        items = "; ".join(f"{i['fee']}: {i['amount']}" for i in q["fee_items"]) or "no fee applies"
        yield Answer(f"The fee would be {q['fee']} ({items}), {q['total']} in all.\nAnswer: {q['fee']}", "",
                     reflect=f"The quote: fee {q['fee']}, total {q['total']}.")

    def _solve_richest(self, task, p, v) -> Policy:
        r = yield Call("list_accounts", {"owner": p["user"]}, "I'll list the customer's accounts to compare balances.")
        best = max(r["accounts"], key=lambda a: _cents(a["balance"]))
        seen = ", ".join(f"{a['account_id']} {a['balance']}" for a in r["accounts"])
        yield Answer(f"{best['account_id']} ('{best['nickname']}') has the most: {best['balance']}.\n"
                     f"Answer: {best['account_id']}", "", reflect=f"Balances: {seen}.")

    def _solve_total(self, task, p, v) -> Policy:
        r = yield Call("list_accounts", {"owner": p["user"]}, "I'll list the accounts and add up their balances.")
        total = sum(_cents(a["balance"]) for a in r["accounts"])
        parts = " + ".join(a["balance"] for a in r["accounts"])
        yield Answer(f"Across {len(r['accounts'])} accounts you hold {_money(total)}.\nAnswer: {_money(total)}",
                     f"{parts} = {_money(total)}.", reflect=f"Balances: {parts}.")

    def _check(self, info: dict, quote: dict, remaining: int | None = None, balance: int | None = None) -> str | None:
        """What stops a transfer, read from get_account and quote_fee results (rules 2-4), or None."""
        acc = info["account_id"]
        balance = _cents(info["balance"]) if balance is None else balance
        remaining = _cents(info["remaining_today"]) if remaining is None else remaining
        if info["frozen"]:
            return f"{acc} is frozen, and rule 2 forbids moving money out of it"
        if _cents(quote["total"]) > balance:
            return (f"{acc} would need {quote['total']} ({quote['amount']} plus a {quote['fee']} fee) but holds "
                    f"only {_money(balance)}: rule 3 forbids overdrawing")
        if _cents(quote["amount"]) > remaining:
            return (f"{acc} has only {_money(remaining)} left of today's limit, less than {quote['amount']} "
                    "(rule 4)")
        return None

    def _solve_can_send(self, task, p, v) -> Policy:
        info = yield Call("get_account", {"account_id": p["from"]},
                          f"To judge the transfer I need {p['from']}'s status, balance and today's limit.")
        q = yield Call("quote_fee", {"from_account": p["from"], "to_account": p["to"], "amount": _money(p["amount"])},
                       "And the fee, since the balance must cover the amount plus the fee.",
                       reflect=f"{p['from']}: balance {info['balance']}, remaining today {info['remaining_today']}, "
                               f"{'frozen' if info['frozen'] else 'not frozen'}.")
        why = self._check(info, q)
        verdict = "no" if why else "yes"
        text = (f"No: {why}." if why else
                f"Yes: it would take {q['total']} with the {q['fee']} fee, which the balance of {info['balance']} "
                f"covers, and it fits the {info['remaining_today']} left of today's limit"
                + (" (being 1000.00 or more, it needs an approval first)." if q["approval_required"] else "."))
        yield Answer(f"{text}\nAnswer: {verdict}", "", reflect=f"The quote: fee {q['fee']}, total {q['total']}.")

    def _pay(self, src: str, dst: str, quote: dict, reflect: str) -> Policy:
        """Request the approval a large transfer needs, then transfer; returns the transfer result."""
        amount = quote["amount"]
        approval = ""
        if quote["approval_required"]:
            a = yield Call("request_approval", {"from_account": src, "to_account": dst, "amount": amount},
                           f"{amount} is at least 1000.00, so rule 5 needs an approval for this exact transfer first.",
                           reflect=reflect)
            approval, reflect = a["approval_id"], f"Approved as {a['approval_id']}."
        think = (f"Now the transfer itself, with approval {approval}." if approval
                 else f"{amount} is under 1000.00, so no approval is needed; I make the transfer.")
        args = {"from_account": src, "to_account": dst, "amount": amount}
        if approval:
            args["approval_id"] = approval
        return (yield Call("transfer", args, think, reflect=reflect))

    def _solve_transfer(self, task, p, v) -> Policy:
        src, dst, amount = p["from"], p["to"], _money(p["amount"])
        info = yield Call("get_account", {"account_id": src},
                          v.choice([f"Before moving {amount}, I check {src}: its status, balance and daily limit.",
                                    f"First I look at {src} to see whether this transfer is allowed."]))
        q = yield Call("quote_fee", {"from_account": src, "to_account": dst, "amount": amount},
                       f"Next the fee for {amount} to {dst}: the balance must cover amount plus fee.",
                       reflect=f"{src} belongs to {info['owner']}, balance {info['balance']}, "
                               f"{info['remaining_today']} left of today's limit, "
                               f"{'frozen' if info['frozen'] else 'not frozen'}.")
        reflect = (f"The fee is {q['fee']}, {q['total']} in all; "
                   f"{'an approval is' if q['approval_required'] else 'no approval is'} required.")
        why = self._check(info, q)
        if why:
            yield Answer(f"I can't make this transfer: {why}.\nAnswer: refused",
                         "The request breaks a rule, so I decline instead of attempting it.", reflect=reflect)
            return
        r = yield from self._pay(src, dst, q, reflect)
        value = r["balance"] if p["ask"] == "balance" else r["fee"]
        yield Answer(f"Done: {r['transaction_id']} moved {r['amount']} to {dst} with a fee of {r['fee']}; {src} now "
                     f"holds {r['balance']}.\nAnswer: {value}", "",
                     reflect=f"Transfer {r['transaction_id']} went through; the balance is now {r['balance']}.")

    def _solve_freeze(self, task, p, v) -> Policy:
        nick = self.accounts[p["account"]]["nickname"]
        r = yield Call("list_accounts", {"owner": p["user"]}, f"I need the number of the '{nick}' account, and whether "
                                                              "it is already frozen.")
        acc = next(a for a in r["accounts"] if a["nickname"] == nick)
        if acc["frozen"]:
            yield Answer(f"{acc['account_id']} ('{nick}') is already frozen: nothing can leave it.\nAnswer: done", "",
                         reflect=f"'{nick}' is {acc['account_id']}, and it is already frozen; nothing to do.")
            return
        yield Call("freeze_account", {"account_id": acc["account_id"]},
                   "It is the customer's own account, so freezing it is allowed.",
                   reflect=f"'{nick}' is {acc['account_id']}, not frozen yet.")
        yield Answer(f"{acc['account_id']} ('{nick}') is now frozen.\nAnswer: done", "", reflect="Frozen.")

    def _solve_not_owner(self, task, p, v) -> Policy:
        info = yield Call("get_account", {"account_id": p["from"]},
                          f"The money would come out of {p['from']}; I check whose account it is.")
        yield Answer(f"{p['from']} belongs to {info['owner']}, not to you, and I can only move money out of your own "
                     f"accounts. {info['owner']} would have to make the transfer.\nAnswer: refused",
                     "Rule 1: I act only for the customer I serve.",
                     reflect=f"{p['from']} is owned by {info['owner']}, not {p['user']}.")

    def _solve_top_up(self, task, p, v) -> Policy:
        nicks = [self.accounts[s]["nickname"] for s in p["sources"]]
        target_nick = self.accounts[p["target"]]["nickname"]
        r = yield Call("list_accounts", {"owner": p["user"]},
                       f"I list {p['user']}'s accounts to find '{target_nick}', its balance, and the sources.")
        target = next(a for a in r["accounts"] if a["nickname"] == target_nick)
        short = p["goal"] - _cents(target["balance"])
        reflect = f"'{target_nick}' is {target['account_id']} with {target['balance']}; the goal is {_money(p['goal'])}"
        if short <= 0:
            yield Answer(f"{target['account_id']} already holds {target['balance']}, at least {_money(p['goal'])}, "
                         "so nothing needs moving.\nAnswer: 0", "", reflect=reflect + ", already met.")
            return
        reflect += f", so {_money(short)} is missing."
        reasons = []
        for nick in nicks:
            src = self._find(r["accounts"], nick)
            info = yield Call("get_account", {"account_id": src},
                              f"Can '{nick}' ({src}) cover {_money(short)}? I check its status and daily limit.",
                              reflect=reflect)
            args = {"from_account": src, "to_account": target["account_id"], "amount": _money(short)}
            q = yield Call("quote_fee", args, "And what the move would cost in fees.",
                           reflect=f"{src}: balance {info['balance']}, {info['remaining_today']} left today, "
                                   f"{'frozen' if info['frozen'] else 'not frozen'}.")
            why = self._check(info, q)
            reflect = f"Fee {q['fee']}, total {q['total']}."
            if why is None:
                t = yield from self._pay(src, target["account_id"], q, reflect + f" '{nick}' can cover it.")
                yield Answer(f"Moved {t['amount']} from {src} to {target['account_id']}, which now holds "
                             f"{_money(p['goal'])}.\nAnswer: {t['amount']}", "",
                             reflect=f"Transfer {t['transaction_id']} done; fee {t['fee']}.")
                return
            reasons.append(why)
            reflect += f" It can't: {why}."
        yield Answer(f"I can't top up {target['account_id']}: {'; '.join(reasons)}.\nAnswer: refused",
                     "No allowed source can cover the shortfall, so I decline.", reflect=reflect)

    def _solve_pay_payees(self, task, p, v) -> Policy:
        nick = self.accounts[p["from"]]["nickname"]
        r = yield Call("list_accounts", {"owner": p["user"]}, f"First the number of the '{nick}' account.")
        src = self._find(r["accounts"], nick)
        info = yield Call("get_account", {"account_id": src},
                          f"I need {src}'s balance and how much it may still send today.",
                          reflect=f"'{nick}' is {src}.")
        balance, remaining = _cents(info["balance"]), _cents(info["remaining_today"])
        reflect = f"{src} holds {info['balance']} with {info['remaining_today']} left of today's limit."
        paid, skipped = [], []
        for dst, cents in p["payees"]:
            q = yield Call("quote_fee", {"from_account": src, "to_account": dst, "amount": _money(cents)},
                           f"Next payment: {_money(cents)} to {dst}. What does it cost with the fee?", reflect=reflect)
            why = self._check(info, q, remaining, balance)
            reflect = (f"Fee {q['fee']}, total {q['total']}; {_money(balance)} available, "
                       f"{_money(remaining)} left today.")
            if why:
                skipped.append(dst)
                reflect += f" Skipping it: {why}."
                continue
            t = yield from self._pay(src, dst, q, reflect)
            balance, remaining = _cents(t["balance"]), remaining - cents
            paid.append(dst)
            reflect = f"Paid {dst} ({t['transaction_id']}); {src} now holds {t['balance']}."
        summary = (f"Paid {', '.join(paid) or 'nobody'}" + (f"; skipped {', '.join(skipped)}" if skipped else "")
                   + f". {src} now holds {_money(balance)}.")
        yield Answer(f"{summary}\nAnswer: {_money(balance)}", "", reflect=reflect)

    def _solve_pay_cheapest(self, task, p, v) -> Policy:
        dst, amount = p["to"], _money(p["amount"])
        r = yield Call("list_accounts", {"owner": p["user"]}, f"I list {p['user']}'s accounts to compare them.")
        reflect = "Accounts: " + ", ".join(f"{a['account_id']} ({a['type']}, {a['balance']}"
                                           f"{', frozen' if a['frozen'] else ''})" for a in r["accounts"]) + "."
        options, reasons = [], []
        for a in r["accounts"]:
            if a["frozen"]:
                reasons.append(f"{a['account_id']} is frozen")
                continue
            info = yield Call("get_account", {"account_id": a["account_id"]},
                              f"Checking {a['account_id']}: its daily limit and what it has sent today.",
                              reflect=reflect)
            q = yield Call("quote_fee", {"from_account": a["account_id"], "to_account": dst, "amount": amount},
                           f"The fee for paying {amount} to {dst} from {a['account_id']}.",
                           reflect=f"{info['remaining_today']} left today, balance {info['balance']}.")
            why = self._check(info, q)
            reflect = f"From {a['account_id']}: fee {q['fee']}, total {q['total']}."
            if why:
                reasons.append(why)
                reflect += f" Not possible: {why}."
            else:
                options.append((_cents(q["fee"]), -_cents(info["balance"]), a["account_id"], q))
        if not options:
            yield Answer(f"None of your accounts can make this payment: {'; '.join(reasons)}.\nAnswer: refused",
                         "Every account is ruled out, so I decline.", reflect=reflect)
            return
        fee, _, src, q = min(options, key=lambda o: o[:3])
        if len(options) == 1:
            choice = f" Only {src} can make the payment."
        else:
            ranked = ", ".join(f"{o[2]} (fee {_money(o[0])})" for o in sorted(options, key=lambda o: o[:3]))
            tie = [o[0] for o in options].count(fee) > 1
            choice = (f" Possible: {ranked}. {src} is the cheapest"
                      f"{', and of the tied ones it holds the most' if tie else ''}.")
        t = yield from self._pay(src, dst, q, reflect + choice)
        yield Answer(f"Paid {t['amount']} to {dst} from {src} (fee {t['fee']}).\nAnswer: {src}", "",
                     reflect=f"Transfer {t['transaction_id']} done; {src} now holds {t['balance']}.")

    # ---- the goal ------------------------------------------------------------------------------

    def check_goal(self, task: Task) -> str | None:
        want = type(self)(self.world)
        for src, dst, cents in task.params.get("ops", []):
            want._move(src, dst, cents)
        for acc in task.params.get("freeze", []):
            want.accounts[acc]["frozen"] = True
        if sorted(want.transfers) != sorted(self.transfers):
            return f"transfers made {sorted(self.transfers)}, expected {sorted(want.transfers)}"
        wrong = sorted(acc for acc in want.accounts if want.accounts[acc] != self.accounts[acc])
        if wrong:
            return f"accounts differ from the goal: {', '.join(wrong[:4])}"
        return None
