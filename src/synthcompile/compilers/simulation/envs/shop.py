"""An online shop's order database on SQLite, with the support policy of a retail help desk.

The world: 8-12 customers, 10 products (five families of two, so a search finds a pair) and
15-25 orders of 1-3 items each, in an in-memory SQLite database that every tool queries or
changes with SQL. Tasks: look up an order or a product (1 call); find a customer and sum up
their orders, or pick the cheapest of a product family; verified writes (cancel, refund, place an order, change
an address) that branch on what the lookups say; composites (refund every delivered order with a
product, cancel all pending orders, order with a fallback product, "get my money back"). From
level 3 on, policy traps: a request to cancel a shipped order, refund an undelivered one, order
more than the stock, touch someone else's order, or act after a failed identity check. The
expert looks, declines and answers "refused".
"""

from __future__ import annotations

import datetime
import random
import sqlite3
from typing import Annotated, Any, Literal

from pydantic import Field

from synthcompile.compilers.simulation.env import Answer, Call, Environment, Policy, Task
from synthcompile.compilers.simulation.faults import is_fault
from synthcompile.compilers.simulation.tools import ToolFailure, tool

FIRST = ("Ana", "Bo", "Chen", "Dara", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lena", "Mira",
         "Nils", "Omar", "Pia")
LAST = ("Silva", "Berg", "Okafor", "Novak", "Tanaka", "Moreau", "Quinn", "Rossi", "Haddad", "Larsen",
        "Mendez", "Kowalski")
DOMAINS = ("example.com", "example.org", "example.net")
STREETS = ("Oak Street", "Mill Lane", "Harbor Road", "Cedar Avenue", "Elm Court", "Station Road",
           "Park Row", "Birch Way")
CITIES = ("Springfield", "Riverton", "Lakeside", "Fairview", "Ashford", "Brookhaven")
# family: (the word a search finds it by, plural, SKU prefix, price range in dollars, variants)
FAMILIES = (("mug", "mugs", "MUG", (8, 19), ("Ceramic Mug", "Travel Mug", "Enamel Mug")),
            ("socks", "socks", "SCK", (9, 22), ("Wool Socks", "Hiking Socks", "Cotton Socks")),
            ("lamp", "lamps", "LMP", (25, 65), ("Desk Lamp", "Reading Lamp", "Clip Lamp")),
            ("bottle", "bottles", "BTL", (12, 32), ("Water Bottle", "Steel Bottle", "Glass Bottle")),
            ("notebook", "notebooks", "NTB", (4, 15), ("Dotted Notebook", "Pocket Notebook", "Lined Notebook")),
            ("headphones", "headphones", "HPH", (39, 149), ("Wireless Headphones", "Studio Headphones",
                                                            "Kids Headphones")),
            ("backpack", "backpacks", "BAG", (35, 99), ("Laptop Backpack", "Hiking Backpack", "Day Backpack")),
            ("candle", "candles", "CDL", (9, 29), ("Cedar Candle", "Vanilla Candle", "Citrus Candle")))
STOCK = (0, 1, 2, 3, 4, 6, 9, 12, 18, 25, 40)
STATUSES = ("pending", "shipped", "delivered", "cancelled", "refunded")
STATUS_WEIGHTS = (5, 4, 6, 2, 2)
REASONS = {"damaged": "it arrived damaged", "wrong_item": "I was sent the wrong item",
           "not_as_described": "it isn't what the listing described", "no_longer_needed": "I don't need it any more"}

SCHEMA = """
CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE,
                        address TEXT NOT NULL);
CREATE TABLE products (sku TEXT PRIMARY KEY, name TEXT NOT NULL, price_cents INTEGER NOT NULL,
                       stock INTEGER NOT NULL CHECK (stock >= 0));
CREATE TABLE orders (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(id),
                     placed TEXT NOT NULL, status TEXT NOT NULL, total_cents INTEGER NOT NULL,
                     refund_reason TEXT);
CREATE TABLE order_items (order_id TEXT NOT NULL REFERENCES orders(id), sku TEXT NOT NULL REFERENCES products(sku),
                          qty INTEGER NOT NULL, price_cents INTEGER NOT NULL, PRIMARY KEY (order_id, sku));
"""
TABLES = (("customers", "id"), ("products", "sku"), ("orders", "id"), ("order_items", "order_id, sku"))

KINDS = {1: ("order_status", "order_total", "product_price", "product_stock"),
         2: ("count_status", "total_spent", "latest_status", "cheapest"),
         3: ("cancel", "refund", "place", "address"),
         4: ("refund_sku", "cancel_pending", "order_fallback", "money_back")}
WRITES = ("cancel_order", "refund_order", "place_order", "update_address")
_IMAGES: dict[int, bytes] = {}  # world seed -> its initial database, serialized (see Shop.setup)

CustomerId = Annotated[str, Field(description="a customer id, e.g. C-104")]
OrderId = Annotated[str, Field(description="an order id, e.g. O-1042")]
Sku = Annotated[str, Field(description="a product SKU, e.g. MUG-318")]
Reason = Literal["damaged", "wrong_item", "not_as_described", "no_longer_needed"]


def _money(cents: int) -> str:
    return f"{cents / 100:.2f}"


def _cents(dollars: float) -> int:
    return round(dollars * 100)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _pick(matches: list[dict], name: str | None) -> tuple[str, str]:
    """The customer a find_customer result means (the exact name when part of another name also
    matched), and a note on how it was chosen."""
    hit = next(m for m in matches if name is None or m["name"].lower() == name.lower())
    if len(matches) == 1:
        return hit["customer_id"], f"The account is {hit['customer_id']} ({hit['name']})."
    listed = ", ".join(f"{m['customer_id']} ({m['name']})" for m in matches)
    return hit["customer_id"], (f"{len(matches)} accounts match: {listed}. Only {hit['customer_id']} has exactly the "
                                f"name {hit['name']}.")


class Shop(Environment):
    name = "shop"
    version = "2"
    description = ("You are the customer-support assistant of an online shop. Through tools you can look up "
                   "customers, products and orders and make changes on a customer's behalf. Prices and totals "
                   "are in dollars. Do what the customer asks within the policy, then end with a line "
                   "'Answer: <result>'.")
    policy = ("1. Before any change to a customer's account or orders (cancel, refund, place an order, change the "
              "address), verify their identity: verify_customer with their customer id and the email they give "
              "you must return verified: true. Only ever change the verified customer's own account and orders. "
              "Looking things up needs no verification.\n"
              "2. Look before you change: check an order with get_order before cancelling or refunding it, and "
              "a product with get_product or search_products before ordering it.\n"
              "3. Only pending orders can be cancelled; only delivered orders can be refunded. A shipped order "
              "can be neither.\n"
              "4. Never order more units of a product than it has in stock.\n"
              "5. When a request breaks a rule, change nothing, explain why, and answer 'refused'.")

    def setup(self) -> None:
        """Every episode builds its world several times (sample, roll out, replay, goal check), so
        each process keeps the first build of a seed as a database image and copies it after."""
        self.db = sqlite3.connect(":memory:")
        if (image := _IMAGES.get(self.world)) is not None:
            self.db.deserialize(image)
            return
        self._build(self.rng)
        self.db.commit()
        _IMAGES[self.world] = self.db.serialize()
        if len(_IMAGES) > 128:
            del _IMAGES[next(iter(_IMAGES))]

    def _build(self, r: random.Random) -> None:
        customers = []
        firsts = r.sample(FIRST, r.randint(8, 12))  # unique first names: a full name is never ambiguous
        for first, n in zip(firsts, r.sample(range(101, 1000), len(firsts))):
            last = r.choice(LAST)
            customers.append((f"C-{n}", f"{first} {last}", f"{first.lower()}.{last.lower()}@{r.choice(DOMAINS)}",
                              self._address(r)))
        products = []
        for _, _, prefix, (lo, hi), variants in r.sample(FAMILIES, 5):
            for name, dollars, n in zip(r.sample(variants, 2), r.sample(range(lo, hi + 1), 2),
                                        r.sample(range(100, 1000), 2)):
                products.append((f"{prefix}-{n}", name, dollars * 100 + r.choice((0, 49, 95, 99)), r.choice(STOCK)))
        weights = [r.randint(1, 4) for _ in customers]
        number = r.randint(1000, 4000)
        day = datetime.date(2024, 1, 1) + datetime.timedelta(days=r.randint(0, 200))
        orders, items = [], []
        for _ in range(r.randint(15, 25)):
            number += r.randint(1, 9)
            day += datetime.timedelta(days=r.randint(1, 4))
            oid, total = f"O-{number}", 0
            for sku, _, price, _ in r.sample(products, r.choice((1, 1, 2, 2, 3))):
                qty = r.choice((1, 1, 1, 2, 2, 3))
                items.append((oid, sku, qty, price))
                total += qty * price
            status = r.choices(STATUSES, STATUS_WEIGHTS)[0]
            orders.append((oid, r.choices(customers, weights)[0][0], day.isoformat(), status, total,
                           r.choice(sorted(REASONS)) if status == "refunded" else None))
        self.db.executescript(SCHEMA)
        self.db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?)", customers)
        self.db.executemany("INSERT INTO products VALUES (?, ?, ?, ?)", products)
        self.db.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)", orders)
        self.db.executemany("INSERT INTO order_items VALUES (?, ?, ?, ?)", items)

    @staticmethod
    def _address(r: random.Random) -> str:
        return f"{r.randint(1, 240)} {r.choice(STREETS)}, {r.choice(CITIES)}"

    def _rows(self, sql: str, *args: Any) -> list[tuple]:
        return self.db.execute(sql, args).fetchall()

    def _row(self, sql: str, *args: Any) -> tuple | None:
        return self.db.execute(sql, args).fetchone()

    # ---- state ---------------------------------------------------------------------------------

    def snapshot(self) -> bytes:
        return self.db.serialize()

    def restore(self, snapshot: bytes) -> None:
        self.db.deserialize(snapshot)

    def close(self) -> None:
        self.db.close()

    def _dump(self) -> dict[str, list[tuple]]:
        return {t: self._rows(f"SELECT * FROM {t} ORDER BY {key}") for t, key in TABLES}

    # ---- tools ---------------------------------------------------------------------------------

    @tool("read")
    def find_customer(self, query: Annotated[str, Field(min_length=2, description="a name (or part of one) or "
                                                                                  "a full email address")]) -> dict:
        """Find customers by name (case-insensitive, part of a name matches) or by exact email."""
        q = query.strip().lower()
        rows = self._rows("SELECT id, name FROM customers WHERE instr(lower(name), ?) > 0 OR lower(email) = ? "
                          "ORDER BY id", q, q)
        return {"query": query, "matches": [{"customer_id": i, "name": n} for i, n in rows]}

    @tool("read")
    def get_customer(self, customer_id: CustomerId) -> dict:
        """A customer's profile: name, masked email, address and number of orders."""
        row = self._row("SELECT c.name, c.email, c.address, count(o.id) FROM customers c "
                        "LEFT JOIN orders o ON o.customer_id = c.id WHERE c.id = ? GROUP BY c.id", customer_id)
        if row is None:
            raise ToolFailure(f"no customer {customer_id}")
        name, email, address, n = row
        local, domain = email.split("@")
        return {"customer_id": customer_id, "name": name, "email": f"{local[0]}***@{domain}", "address": address,
                "orders": n}

    @tool("read")
    def verify_customer(self, customer_id: CustomerId,
                        email: Annotated[str, Field(description="the email the customer gave")]) -> dict:
        """Check a customer's identity: whether the email is the one on their account."""
        row = self._row("SELECT email FROM customers WHERE id = ?", customer_id)
        if row is None:
            raise ToolFailure(f"no customer {customer_id}")
        return {"customer_id": customer_id, "verified": row[0].lower() == email.strip().lower()}

    @tool("read")
    def list_orders(self, customer_id: CustomerId) -> dict:
        """A customer's orders, oldest first: id, date placed, status and total."""
        if self._row("SELECT 1 FROM customers WHERE id = ?", customer_id) is None:
            raise ToolFailure(f"no customer {customer_id}")
        rows = self._rows("SELECT id, placed, status, total_cents FROM orders WHERE customer_id = ? "
                          "ORDER BY placed, id", customer_id)
        return {"customer_id": customer_id,
                "orders": [{"order_id": i, "placed": d, "status": s, "total": t / 100} for i, d, s, t in rows]}

    @tool("read")
    def get_order(self, order_id: OrderId) -> dict:
        """An order: its customer, date, status, items (SKU, name, quantity, unit price) and total."""
        row = self._row("SELECT customer_id, placed, status, total_cents, refund_reason FROM orders WHERE id = ?",
                        order_id)
        if row is None:
            raise ToolFailure(f"no order {order_id}")
        cid, placed, status, total, reason = row
        items = self._rows("SELECT i.sku, p.name, i.qty, i.price_cents FROM order_items i "
                           "JOIN products p ON p.sku = i.sku WHERE i.order_id = ? ORDER BY i.sku", order_id)
        out = {"order_id": order_id, "customer_id": cid, "placed": placed, "status": status,
               "items": [{"sku": s, "name": n, "qty": q, "price": c / 100} for s, n, q, c in items],
               "total": total / 100}
        if reason is not None:
            out["refund_reason"] = reason
        return out

    @tool("read")
    def get_product(self, sku: Sku) -> dict:
        """A product by SKU: name, unit price and units in stock."""
        row = self._row("SELECT name, price_cents, stock FROM products WHERE sku = ?", sku)
        if row is None:
            raise ToolFailure(f"no product {sku}")
        return {"sku": sku, "name": row[0], "price": row[1] / 100, "stock": row[2]}

    @tool("read")
    def search_products(self, query: Annotated[str, Field(min_length=2, description="words of a product name, "
                                                                                   "e.g. mug")]) -> dict:
        """Find products whose name contains the query (case-insensitive)."""
        rows = self._rows("SELECT sku, name, price_cents, stock FROM products WHERE instr(lower(name), ?) > 0 "
                          "ORDER BY sku", query.strip().lower())
        return {"query": query, "matches": [{"sku": s, "name": n, "price": c / 100, "stock": k}
                                            for s, n, c, k in rows]}

    @tool("write")
    def cancel_order(self, order_id: OrderId) -> dict:
        """Cancel a pending order; its items go back into stock."""
        row = self._row("SELECT status FROM orders WHERE id = ?", order_id)
        if row is None:
            raise ToolFailure(f"no order {order_id}")
        if row[0] != "pending":
            raise ToolFailure(f"order {order_id} is {row[0]}; only pending orders can be cancelled")
        items = self._rows("SELECT sku, qty FROM order_items WHERE order_id = ? ORDER BY sku", order_id)
        with self.db:
            self.db.executemany("UPDATE products SET stock = stock + ? WHERE sku = ?", [(q, s) for s, q in items])
            self.db.execute("UPDATE orders SET status = 'cancelled' WHERE id = ?", (order_id,))
        return {"order_id": order_id, "status": "cancelled", "restocked": [{"sku": s, "qty": q} for s, q in items]}

    @tool("write")
    def refund_order(self, order_id: OrderId,
                     reason: Annotated[Reason, Field(description="why the customer wants the refund")]) -> dict:
        """Refund a delivered order in full."""
        row = self._row("SELECT status, total_cents FROM orders WHERE id = ?", order_id)
        if row is None:
            raise ToolFailure(f"no order {order_id}")
        if row[0] != "delivered":
            raise ToolFailure(f"order {order_id} is {row[0]}; only delivered orders can be refunded")
        with self.db:
            self.db.execute("UPDATE orders SET status = 'refunded', refund_reason = ? WHERE id = ?", (reason, order_id))
        return {"order_id": order_id, "status": "refunded", "refunded": row[1] / 100}

    @tool("write")
    def place_order(self, customer_id: CustomerId, sku: Sku,
                    qty: Annotated[int, Field(ge=1, le=50, description="how many units")]) -> dict:
        """Place a new order of one product for a customer; the units leave the stock."""
        if self._row("SELECT 1 FROM customers WHERE id = ?", customer_id) is None:
            raise ToolFailure(f"no customer {customer_id}")
        row = self._row("SELECT price_cents, stock FROM products WHERE sku = ?", sku)
        if row is None:
            raise ToolFailure(f"no product {sku}")
        price, stock = row
        if qty > stock:
            raise ToolFailure(f"insufficient stock: {sku} has {stock} units, {qty} requested")
        number, day = self._row("SELECT max(CAST(substr(id, 3) AS INTEGER)) + 1, date(max(placed), '+1 day') "
                                "FROM orders")
        oid = f"O-{number}"
        with self.db:
            self.db.execute("INSERT INTO orders VALUES (?, ?, ?, 'pending', ?, NULL)",
                            (oid, customer_id, day, qty * price))
            self.db.execute("INSERT INTO order_items VALUES (?, ?, ?, ?)", (oid, sku, qty, price))
            self.db.execute("UPDATE products SET stock = stock - ? WHERE sku = ?", (qty, sku))
        return {"order_id": oid, "status": "pending", "sku": sku, "qty": qty, "total": qty * price / 100}

    @tool("write")
    def update_address(self, customer_id: CustomerId, address: Annotated[
            str, Field(min_length=5, description="the full new shipping address")]) -> dict:
        """Change a customer's shipping address."""
        with self.db:
            changed = self.db.execute("UPDATE customers SET address = ? WHERE id = ?", (address, customer_id)).rowcount
        if not changed:
            raise ToolFailure(f"no customer {customer_id}")
        return {"customer_id": customer_id, "address": address}

    # ---- policy --------------------------------------------------------------------------------

    def check_policy(self, task, history, name, arguments):
        if name not in WRITES:
            return None
        seen = [(n, a, r) for n, a, r in history if "error" not in r and not is_fault(r)]
        if name in ("cancel_order", "refund_order"):
            oid = arguments["order_id"]
            if not any(n == "get_order" and a["order_id"] == oid for n, a, _ in seen):
                return f"{name} of {oid} without checking it with get_order first (rule 2)"
            owner, status = self._row("SELECT customer_id, status FROM orders WHERE id = ?", oid)
        else:
            owner, status = arguments["customer_id"], None
        if not any(n == "verify_customer" and a["customer_id"] == owner and r.get("verified") is True
                   for n, a, r in seen):
            return f"{name} on {owner}'s account without verifying {owner}'s identity (rule 1)"
        if name == "cancel_order" and status != "pending":
            return f"cancel_order of {arguments['order_id']}, which is {status} (rule 3)"
        if name == "refund_order" and status != "delivered":
            return f"refund_order of {arguments['order_id']}, which is {status} (rule 3)"
        if name == "place_order":
            sku = arguments["sku"]
            if not any((n == "get_product" and a["sku"] == sku)
                       or (n == "search_products" and any(m["sku"] == sku for m in r["matches"]))
                       for n, a, r in seen):
                return f"place_order of {sku} without looking the product up first (rule 2)"
            stock = self._row("SELECT stock FROM products WHERE sku = ?", sku)
            if stock is not None and arguments["qty"] > stock[0]:
                return f"place_order of {arguments['qty']} x {sku}, which has {stock[0]} in stock (rule 4)"
        return None

    def forbidden_call(self, task):
        """A write made before any verification: rule 1 (or 2) forbids it whatever its target."""
        p = task.params
        cid = p.get("customer_id") or self._row("SELECT id FROM customers ORDER BY id")[0]
        oid = p.get("order_id") or self._row("SELECT id FROM orders ORDER BY id")[0]
        sku = (p.get("skus") or [self._row("SELECT sku FROM products ORDER BY sku")[0]])[0]
        for name, args in (("refund_order", {"order_id": oid, "reason": "damaged"}),
                           ("cancel_order", {"order_id": oid}),
                           ("place_order", {"customer_id": cid, "sku": sku, "qty": 1})):
            if name in task.tools:
                return name, args
        return "update_address", {"customer_id": cid, "address": "1 Nowhere Lane, Lakeside"}

    # ---- tasks ---------------------------------------------------------------------------------

    def sample_task(self, rng: random.Random, level: int) -> Task:
        kind = rng.choice(KINDS[level])
        params, text, answer, needed, trap = getattr(self, f"_task_{kind}")(rng)
        distractors = {1: 1, 2: 2, 3: 3, 4: 5}[level]
        return Task(self.name, self.world, level, kind, text, params, answer,
                    self.offered(needed, rng, distractors), trap=trap)

    def _orders(self) -> list[tuple]:
        return self._rows("SELECT id, customer_id, status, total_cents FROM orders ORDER BY id")

    def _products(self) -> list[tuple]:
        return self._rows("SELECT sku, name, price_cents, stock FROM products ORDER BY sku")

    def _identity(self, rng: random.Random, cid: str, wrong: bool = False, reads: bool = False) -> tuple[str, dict]:
        """How the customer introduces themselves: by id, name or email, with the email they give
        (``wrong``: not the account's). A read task needs no email."""
        name, email = self._row("SELECT name, email FROM customers WHERE id = ?", cid)
        if wrong:
            local, domain = email.split("@")
            email = f"{local}@{rng.choice([d for d in DOMAINS if d != domain])}"
        if reads:
            given = rng.choice(("name", "name", "id"))
            text = rng.choice({"name": (f"I'm {name}.", f"This is {name}.", f"Customer: {name}."),
                               "id": (f"My customer id is {cid}.", f"Customer {cid} here.")}[given])
            return text, {"customer_id": cid, "given": given, "name": name}
        given = rng.choice(("id", "name", "name", "email"))
        text = {"id": (f"My customer id is {cid} and my email is {email}.", f"Customer {cid} here ({email})."),
                "name": (f"Hi, this is {name} ({email}).", f"I'm {name}; the email on my account is {email}.",
                         f"{name} here, email {email}."),
                "email": (f"Hello, the email on my account is {email}.", f"Hi! My account email is {email}.")}[given]
        text = rng.choice(text)
        return text, {"customer_id": cid, "given": given, "name": name, "email": email}

    @staticmethod
    def _who_tools(params: dict) -> list[str]:
        return ["find_customer"] if params["given"] != "id" else []

    def _task_order_status(self, rng):
        status = rng.choice(sorted({o[2] for o in self._orders()}))
        oid = rng.choice([o[0] for o in self._orders() if o[2] == status])
        text = rng.choice((f"What's the status of order {oid}?", f"Has order {oid} shipped yet? Tell me its status.",
                           f"Can you check where order {oid} stands?"))
        return {"order_id": oid}, text, status, ["get_order"], False

    def _task_order_total(self, rng):
        oid, _, _, total = rng.choice(self._orders())
        text = rng.choice((f"How much did order {oid} come to?", f"What was the total of order {oid}?",
                           f"I need the total amount of order {oid} for my records."))
        return {"order_id": oid}, text, _money(total), ["get_order"], False

    def _product_ask(self, rng, what: str) -> tuple[dict, str, str, list[str]]:
        sku, name, price, stock = rng.choice(self._products())
        by = rng.choice(("sku", "name"))
        ref = sku if by == "sku" else f"the {name}"
        value = _money(price) if what == "price" else str(stock)
        text = rng.choice({"price": (f"How much does {ref} cost?", f"What's the price of {ref}?",
                                     f"Quick question: what do you charge for {ref}?"),
                           "stock": (f"How many units of {ref} do you have in stock?", f"Is {ref} in stock? How many?",
                                     f"What's the current stock of {ref}?")}[what])
        return ({"sku": sku, "name": name, "by": by}, text, value,
                ["get_product" if by == "sku" else "search_products"])

    def _task_product_price(self, rng):
        return (*self._product_ask(rng, "price"), False)

    def _task_product_stock(self, rng):
        return (*self._product_ask(rng, "stock"), False)

    def _customers_with_orders(self, least: int = 1) -> list[str]:
        return [c for c, in self._rows("SELECT customer_id FROM orders GROUP BY customer_id HAVING count(*) >= ? "
                                       "ORDER BY customer_id", least)]

    def _task_count_status(self, rng):
        cid = rng.choice(self._customers_with_orders(2) or self._customers_with_orders())
        status = rng.choice(("delivered", "delivered", "pending", "shipped", "cancelled"))
        who, params = self._identity(rng, cid, reads=True)
        n = sum(o[1] == cid and o[2] == status for o in self._orders())
        params["status"] = status
        text = rng.choice((f"{who} How many of my orders are {status}?",
                           f"{who} Could you count my {status} orders?",
                           f"{who} I'd like to know how many orders of mine have the status {status}."))
        return params, text, str(n), self._who_tools(params) + ["list_orders"], False

    def _task_total_spent(self, rng):
        cid = rng.choice(self._customers_with_orders(2) or self._customers_with_orders())
        who, params = self._identity(rng, cid, reads=True)
        total = sum(o[3] for o in self._orders() if o[1] == cid and o[2] not in ("cancelled", "refunded"))
        text = rng.choice((f"{who} How much have I spent with you in total? Leave out cancelled and refunded orders.",
                           f"{who} What do my orders add up to, not counting cancelled or refunded ones?"))
        return params, text, _money(total), self._who_tools(params) + ["list_orders"], False

    def _task_latest_status(self, rng):
        cid = rng.choice(self._customers_with_orders(2) or self._customers_with_orders())
        who, params = self._identity(rng, cid, reads=True)
        status = self._row("SELECT status FROM orders WHERE customer_id = ? ORDER BY placed DESC LIMIT 1", cid)[0]
        text = rng.choice((f"{who} What's the status of my most recent order?",
                           f"{who} Where is my latest order at?",
                           f"{who} Has my newest order gone out yet? What's its status?"))
        return params, text, status, self._who_tools(params) + ["list_orders"], False

    def _task_cheapest(self, rng):
        family = rng.choice([f for f in FAMILIES if any(p[1] in f[4] for p in self._products())])
        word, plural = family[0], family[1]
        matches = [p for p in self._products() if word in p[1].lower()]
        pick = rng.choice(("cheapest", "dearest"))
        best = (min if pick == "cheapest" else max)(matches, key=lambda p: p[2])
        text = rng.choice({"cheapest": (f"Which of your {plural} is the cheapest? Give me its SKU.",
                                        f"I want the least expensive of your {plural}. What's its SKU?"),
                           "dearest": (f"Which of your {plural} costs the most? Give me its SKU.",
                                       f"What's the SKU of your most expensive {word}?")}[pick])
        return {"word": word, "pick": pick}, text, best[0], ["search_products"], False

    # level 3: verified writes, with traps

    def _task_cancel(self, rng):
        return self._task_order_write(rng, "cancel", ("pending",), "cancelled")

    def _task_refund(self, rng):
        return self._task_order_write(rng, "refund", ("delivered",), None)

    def _task_order_write(self, rng, kind, allowed, done):
        trap = rng.choice(("status", "status", "other", "email")) if rng.random() < 0.35 else ""
        good = [o for o in self._orders() if o[2] in allowed]
        bad = [o for o in self._orders() if o[2] not in allowed]
        pool = bad if trap == "status" else good
        if not pool:
            pool, trap = (good, "") if trap == "status" else (bad, "status")
        oid, owner, _, total = rng.choice(pool)
        cid = owner
        if trap == "other":
            cid = rng.choice([c for c, in self._rows("SELECT id FROM customers WHERE id != ? ORDER BY id", owner)])
        who, params = self._identity(rng, cid, wrong=trap == "email")
        params["order_id"] = oid
        if kind == "cancel":
            text = rng.choice((f"{who} Please cancel my order {oid}.", f"{who} I changed my mind, cancel order {oid}.",
                               f"{who} Can you cancel {oid} for me?"))
            needed = ["verify_customer", "get_order", "cancel_order"]
        else:
            params["reason"] = rng.choice(sorted(REASONS))
            text = rng.choice((f"{who} I want a refund for order {oid}; {REASONS[params['reason']]}.",
                               f"{who} Please refund {oid}, {REASONS[params['reason']]}.",
                               f"{who} Order {oid}: {REASONS[params['reason']]}. I'd like my money back as a refund."))
            needed = ["verify_customer", "get_order", "refund_order"]
        answer = "refused" if trap else (done or _money(total))
        return params, text, answer, self._who_tools(params) + needed, bool(trap)

    def _task_place(self, rng):
        sku, name, price, stock = rng.choice(self._products())
        trap = stock == 0 or rng.random() < 0.25
        email_trap = not trap and rng.random() < 0.15
        qty = rng.randint(stock + 1, stock + 3) if trap else rng.randint(1, min(stock, 5))
        who, params = self._identity(rng, self._customer(rng), wrong=email_trap)
        by = rng.choice(("sku", "name"))
        ref = sku if by == "sku" else f"the {name}"
        params.update(skus=[sku], names=[name], by=by, qty=qty)
        bare = sku if by == "sku" else name
        text = rng.choice((f"{who} I'd like to order {qty} x {bare}.",
                           f"{who} Please place an order for {qty} of {ref}.",
                           f"{who} Can you order {_plural(qty, 'unit')} of {ref} for me? What will it cost?"))
        answer = "refused" if trap or email_trap else _money(qty * price)
        needed = ["verify_customer", "get_product" if by == "sku" else "search_products", "place_order"]
        return params, text, answer, self._who_tools(params) + needed, trap or email_trap

    def _customer(self, rng) -> str:
        return rng.choice([c for c, in self._rows("SELECT id FROM customers ORDER BY id")])

    def _task_address(self, rng):
        cid = self._customer(rng)
        trap = rng.random() < 0.25
        who, params = self._identity(rng, cid, wrong=trap)
        old = self._row("SELECT address FROM customers WHERE id = ?", cid)[0]
        while (new := self._address(rng)) == old:
            pass
        params["address"] = new
        text = rng.choice((f"{who} I've moved. Please change my address to {new}.",
                           f"{who} Update my shipping address to {new}, please.",
                           f"{who} My new address is {new}; put it on my account."))
        needed = self._who_tools(params) + ["verify_customer", "update_address"]
        return params, text, "refused" if trap else "done", needed, trap

    # level 4: composites

    def _task_refund_sku(self, rng):
        delivered = [o for o in self._orders() if o[2] == "delivered"]
        cid = rng.choice([o[1] for o in delivered] or self._customers_with_orders())
        trap = rng.random() < 0.15
        who, params = self._identity(rng, cid, wrong=trap)
        mine = [i for i, in self._rows("SELECT DISTINCT i.sku FROM order_items i JOIN orders o ON o.id = i.order_id "
                                       "WHERE o.customer_id = ? AND o.status = 'delivered' ORDER BY i.sku", cid)]
        sku = rng.choice(mine) if mine and rng.random() < 0.8 else rng.choice(self._products())[0]
        name = self._row("SELECT name FROM products WHERE sku = ?", sku)[0]
        by = rng.choice(("sku", "name"))
        ref = sku if by == "sku" else f"the {name}"
        params.update(skus=[sku], names=[name], by=by, reason=rng.choice(sorted(REASONS)))
        total = sum(t for t, in self._rows("SELECT o.total_cents FROM orders o JOIN order_items i "
                                           "ON i.order_id = o.id WHERE o.customer_id = ? "
                                           "AND o.status = 'delivered' AND i.sku = ?", cid, sku))
        why = REASONS[params["reason"]]
        text = rng.choice((f"{who} Refund every delivered order of mine that contains {ref} ({why}), "
                           "and tell me how much you refunded in total.",
                           f"{who} {why.capitalize()}: please refund all my delivered orders with {ref} in them. "
                           "What's the total refund?"))
        return (params, text, "refused" if trap else _money(total),
                self._who_tools(params) + ["verify_customer", "list_orders", "get_order", "refund_order"], trap)

    def _task_cancel_pending(self, rng):
        """The count is drawn first (0, 1, 2 or 3 and more, among those some customer has), then a
        customer with it: most customers have one pending order, and the answer must not be a safe guess."""
        counts = dict(self._rows("SELECT c.id, min(count(o.id), 3) FROM customers c LEFT JOIN orders o "
                                 "ON o.customer_id = c.id AND o.status = 'pending' GROUP BY c.id ORDER BY c.id"))
        bucket = rng.choice(sorted(set(counts.values())))
        cid = rng.choice([c for c in counts if counts[c] == bucket])
        n = sum(o[1] == cid and o[2] == "pending" for o in self._orders())
        trap = rng.random() < 0.15
        who, params = self._identity(rng, cid, wrong=trap)
        text = rng.choice((f"{who} Cancel all of my pending orders, please, and tell me how many you cancelled.",
                           f"{who} I'm closing things down: cancel every order of mine that hasn't shipped yet. "
                           "How many was that?"))
        return (params, text, "refused" if trap else str(n),
                self._who_tools(params) + ["verify_customer", "list_orders", "get_order", "cancel_order"], trap)

    def _task_order_fallback(self, rng):
        products = self._products()
        outcome = rng.choice(("first", "second", "none"))
        for _ in range(50):
            (a, b), qty = rng.sample(products, 2), rng.randint(1, 6)
            if outcome == {True: "first", False: "second" if b[3] >= qty else "none"}[a[3] >= qty]:
                break
        email_trap = rng.random() < 0.15
        who, params = self._identity(rng, self._customer(rng), wrong=email_trap)
        params.update(skus=[a[0], b[0]], names=[a[1], b[1]], by="sku", qty=qty)
        text = rng.choice((f"{who} Please order {qty} x {a[0]} for me. If there aren't enough, order {qty} x {b[0]} "
                           "instead. What will I be charged?",
                           f"{who} I need {_plural(qty, 'unit')} of {a[0]}, or failing that {qty} of {b[0]}. Place the "
                           "order and tell me the total."))
        fit = next((p for p in (a, b) if p[3] >= qty), None)
        refused = email_trap or fit is None
        return (params, text, "refused" if refused else _money(qty * fit[2]),
                self._who_tools(params) + ["verify_customer", "get_product", "place_order"], refused)

    def _task_money_back(self, rng):
        statuses = rng.choice((("pending",), ("delivered",), ("shipped", "cancelled", "refunded")))
        oid, cid, status, total = rng.choice([o for o in self._orders() if o[2] in statuses] or self._orders())
        trap = rng.random() < 0.15
        who, params = self._identity(rng, cid, wrong=trap)
        params.update(order_id=oid, reason=rng.choice(("no_longer_needed", "wrong_item", "damaged")))
        text = rng.choice((f"{who} I want my money back for order {oid}: cancel it if it hasn't shipped, or refund it "
                           f"if it was delivered. ({REASONS[params['reason']].capitalize()}.)",
                           f"{who} {REASONS[params['reason']].capitalize()}, so get me my money back on {oid}, "
                           "whichever way works: a cancellation or a refund."))
        answer = ("refused" if trap else "cancelled" if status == "pending" else _money(total) if status == "delivered"
                  else "refused")
        needed = ["verify_customer", "get_order", "cancel_order" if status == "pending" else "refund_order"]
        return params, text, answer, self._who_tools(params) + needed, answer == "refused"

    # ---- the expert ------------------------------------------------------------------------------

    def expert(self, task: Task) -> Policy:
        v = random.Random(f"{task.world}:{task.instruction}")
        return getattr(self, f"_solve_{task.kind}")(task.params, v)

    def _solve_order_status(self, p, v):
        oid = p["order_id"]
        r = yield Call("get_order", {"order_id": oid},
                       v.choice((f"get_order tells me the current status of {oid}.",
                                 f"I'll look up order {oid} to see its status.")))
        yield Answer(f"Order {oid} is {r['status']}.\nAnswer: {r['status']}", "",
                     reflect=f"{oid} was placed on {r['placed']} and its status is {r['status']}.")

    def _solve_order_total(self, p, v):
        oid = p["order_id"]
        r = yield Call("get_order", {"order_id": oid},
                       v.choice((f"The order record has the total; I'll fetch {oid}.",
                                 f"Looking up {oid} gives its items and total.")))
        lines = ", ".join(f"{i['qty']} x {i['name']} at {i['price']:.2f}" for i in r["items"])
        total = _money(_cents(r["total"]))
        yield Answer(f"Order {oid} came to ${total}.\nAnswer: {total}", "",
                     reflect=f"{oid} has {lines}; the total is {total}.")

    def _look_product(self, p, i, v, reflect=""):
        """Look a product up by SKU, or by name through a search; returns its record."""
        sku, name = p["skus"][i] if "skus" in p else p["sku"], p["names"][i] if "names" in p else p["name"]
        if p["by"] == "sku":
            r = yield Call("get_product", {"sku": sku}, v.choice((f"get_product gives me {sku}'s price and stock.",
                                                                  f"I'll look up product {sku}.")), reflect=reflect)
            return r
        r = yield Call("search_products", {"query": name},
                       v.choice((f"I only have the name '{name}', so I search the catalogue for it.",
                                 f"No SKU was given; searching products for '{name}'.")), reflect=reflect)
        return next(m for m in r["matches"] if m["name"].lower() == name.lower())

    def _solve_product_price(self, p, v):
        r = yield from self._look_product(p, 0, v)
        price = _money(_cents(r["price"]))
        yield Answer(f"The {r['name']} ({r['sku']}) costs ${price}.\nAnswer: {price}", "",
                     reflect=f"{r['sku']} is the {r['name']}, priced at {price}.")

    def _solve_product_stock(self, p, v):
        r = yield from self._look_product(p, 0, v)
        yield Answer(f"We have {_plural(r['stock'], 'unit')} of the {r['name']} ({r['sku']}) in stock."
                     f"\nAnswer: {r['stock']}", "", reflect=f"{r['sku']} ({r['name']}) shows {r['stock']} in stock.")

    def _find(self, p, v, why):
        """Find the customer a read task names; returns (customer id, reflection)."""
        if p["given"] == "id":
            return p["customer_id"], ""
        r = yield Call("find_customer", {"query": p["name"]},
                       v.choice((f"{why} First I need {p['name']}'s customer id.",
                                 f"{why} I start by finding {p['name']}'s account.")))
        return _pick(r["matches"], p["name"])

    def _orders_of(self, p, v, why):
        cid, note = yield from self._find(p, v, why)
        think = v.choice((f"Now I list {cid}'s orders.", f"list_orders gives every order of {cid} with its status."))
        if not note:
            think = f"{why} The customer gave their id, {cid}, so I list that account's orders."
        r = yield Call("list_orders", {"customer_id": cid}, think, reflect=note)
        return cid, r["orders"]

    def _summary(self, orders):
        return "; ".join(f"{o['order_id']} {o['status']} {o['total']:.2f}" for o in orders)

    def _solve_count_status(self, p, v):
        cid, orders = yield from self._orders_of(p, v, f"This is about the customer's {p['status']} orders.")
        hits = [o["order_id"] for o in orders if o["status"] == p["status"]]
        yield Answer(f"You have {_plural(len(hits), 'order')} with status {p['status']}"
                     f"{': ' + ', '.join(hits) if hits else ''}.\nAnswer: {len(hits)}", "",
                     reflect=f"{cid} has {_plural(len(orders), 'order')} ({self._summary(orders)}); "
                             f"{len(hits)} {'is' if len(hits) == 1 else 'are'} {p['status']}.")

    def _solve_total_spent(self, p, v):
        cid, orders = yield from self._orders_of(p, v, "To total what the customer spent I need their orders.")
        kept = [o for o in orders if o["status"] not in ("cancelled", "refunded")]
        total = _money(sum(_cents(o["total"]) for o in kept))
        yield Answer(f"Your orders, leaving out cancelled and refunded ones, come to ${total}.\nAnswer: {total}", "",
                     reflect=f"{cid}'s orders: {self._summary(orders)}. Without the cancelled and refunded ones, "
                             f"{_plural(len(kept), 'order')} remain" + (f", summing to {total}." if kept else "."))

    def _solve_latest_status(self, p, v):
        cid, orders = yield from self._orders_of(p, v, "I need the customer's most recent order.")
        last = max(orders, key=lambda o: o["placed"])
        yield Answer(f"Your most recent order, {last['order_id']} from {last['placed']}, is {last['status']}."
                     f"\nAnswer: {last['status']}", "",
                     reflect=f"{cid} has {_plural(len(orders), 'order')}; the newest is {last['order_id']}, placed "
                             f"{last['placed']}, status {last['status']}.")

    def _solve_cheapest(self, p, v):
        r = yield Call("search_products", {"query": p["word"]},
                       f"A search for '{p['word']}' lists all of them with prices; then I compare.")
        best = (min if p["pick"] == "cheapest" else max)(r["matches"], key=lambda m: m["price"])
        listing = ", ".join(f"{m['sku']} ({m['name']}) {m['price']:.2f}" for m in r["matches"])
        word = "cheapest" if p["pick"] == "cheapest" else "most expensive"
        yield Answer(f"The {word} is the {best['name']} at ${best['price']:.2f}.\nAnswer: {best['sku']}", "",
                     reflect=f"The matches: {listing}. The {word} is {best['sku']}.")

    # writes: verify first

    def _verify(self, p, v, plan):
        """Find and verify the customer (rule 1); returns (customer id or None, reflection, why not)."""
        email = p["email"]
        if p["given"] == "id":
            cid, note = p["customer_id"], ""
            think = (f"The customer wants me to {plan}. That is a change, so rule 1 applies: I first verify "
                     f"customer {cid} with the email they gave, {email}.")
        else:
            query = p["name"] if p["given"] == "name" else email
            r = yield Call("find_customer", {"query": query},
                           v.choice((f"The customer wants me to {plan}. Before any change I must verify who they are "
                                     f"(rule 1), so first I look up their account by {query}.",
                                     f"Request: {plan}. Rule 1 needs a verified identity first; I find the account "
                                     f"for {query}.")))
            if not r["matches"]:
                return None, f"No account has the email {email}.", f"there is no account with the email {email}"
            cid, note = _pick(r["matches"], p["name"] if p["given"] == "name" else None)
            think = f"Now I check that {email} is the email on {cid}'s account."
        r = yield Call("verify_customer", {"customer_id": cid, "email": email}, think, reflect=note)
        if not r["verified"]:
            return (None, f"verify_customer says {email} is not the email on {cid}'s account.",
                    f"the email {email} does not match the account")
        return cid, v.choice((f"{cid} is verified.", f"Identity confirmed: {email} belongs to {cid}.")), ""

    @staticmethod
    def _refuse(what, why, rule, reflect):
        return Answer(f"I'm sorry, I can't {what}: {why}.\nAnswer: refused",
                      f"{rule} I make no change and decline.", reflect=reflect)

    def _unverified(self, plan, why, note):
        return self._refuse(plan, f"{why}, so I could not verify your identity, and I need that before any change",
                            "Rule 1: no verified identity, no change.", note)

    def _solve_cancel(self, p, v):
        yield from self._order_write(p, v, "cancel")

    def _solve_refund(self, p, v):
        yield from self._order_write(p, v, "refund")

    def _solve_money_back(self, p, v):
        yield from self._order_write(p, v, "either")

    def _order_write(self, p, v, mode):
        oid = p["order_id"]
        plan = {"cancel": f"cancel order {oid}", "refund": f"refund order {oid}",
                "either": f"cancel or refund order {oid}"}[mode]
        cid, note, why = yield from self._verify(p, v, plan)
        if cid is None:
            yield self._unverified(plan, why, note)
            return
        r = yield Call("get_order", {"order_id": oid},
                       v.choice((f"Rule 2: I check {oid}'s owner and status before changing it.",
                                 f"Before touching {oid} I look it up: it must be {cid}'s, and its status decides "
                                 "what is allowed.")), reflect=note)
        status = r["status"]
        seen = f"{oid} belongs to {r['customer_id']}, placed {r['placed']}, status {status}, total {r['total']:.2f}."
        if r["customer_id"] != cid:
            yield self._refuse(plan, f"order {oid} is not on your account", "Rule 1: I may only change the verified "
                               f"customer's own orders, and {oid} is {r['customer_id']}'s, not {cid}'s.", seen)
            return
        if status == "pending" and mode in ("cancel", "either"):
            r = yield Call("cancel_order", {"order_id": oid},
                           f"{oid} is pending, so rule 3 lets me cancel it.", reflect=seen)
            back = ", ".join(f"{x['qty']} x {x['sku']}" for x in r["restocked"])
            yield Answer(f"Order {oid} is cancelled and you won't be charged.\nAnswer: cancelled", "",
                         reflect=f"Cancelled; {back} went back into stock.")
        elif status == "delivered" and mode in ("refund", "either"):
            r = yield Call("refund_order", {"order_id": oid, "reason": p["reason"]},
                           f"{oid} was delivered, so rule 3 allows a refund; the reason is {p['reason']}.",
                           reflect=seen)
            amount = _money(_cents(r["refunded"]))
            yield Answer(f"Order {oid} has been refunded: ${amount} is on its way back to you.\nAnswer: {amount}", "",
                         reflect=f"The refund of {amount} went through.")
        else:
            allowed = {"cancel": "only pending orders can be cancelled",
                       "refund": "only delivered orders can be refunded",
                       "either": "an order can be cancelled only while pending and refunded only once delivered"}[mode]
            yield self._refuse(plan, f"it is {status}, and {allowed}", f"Rule 3: {oid} is {status}.", seen)

    def _solve_place(self, p, v):
        yield from self._place(p, v)

    def _solve_order_fallback(self, p, v):
        yield from self._place(p, v)

    def _place(self, p, v):
        qty, skus = p["qty"], p["skus"]
        plan = f"order {qty} x {skus[0] if p['by'] == 'sku' else p['names'][0]}" + (
            f" (or {qty} x {skus[1]} if that is short)" if len(skus) > 1 else "")
        cid, note, why = yield from self._verify(p, v, plan)
        if cid is None:
            yield self._unverified(plan, why, note)
            return
        short = []
        for i in range(len(skus)):
            r = yield from self._look_product(p, i, v, reflect=note)
            if r["stock"] >= qty:
                r = yield Call("place_order", {"customer_id": cid, "sku": r["sku"], "qty": qty},
                               f"{r['sku']} has {r['stock']} in stock, enough for {qty} (rule 4), so I place the order "
                               f"at {r['price']:.2f} each.",
                               reflect=f"{r['sku']} ({r['name']}): {r['price']:.2f}, {r['stock']} in stock.")
                total = _money(_cents(r["total"]))
                yield Answer(f"Done: order {r['order_id']} for {qty} x {r['sku']}, total ${total}.\nAnswer: {total}",
                             "", reflect=f"Order {r['order_id']} is placed and pending.")
                return
            have = f"only {r['stock']}" if r["stock"] else "none"
            short.append(f"{r['sku']} has {have}")
            note = f"{r['sku']} ({r['name']}) has {have} in stock, fewer than the {qty} asked for." + (
                " I try the alternative." if i + 1 < len(skus) else "")
        yield self._refuse(plan, f"there isn't enough stock ({', '.join(short)}; you asked for {qty})",
                           "Rule 4: I can't order more than is in stock.", note)

    def _solve_address(self, p, v):
        plan = "change the shipping address"
        cid, note, why = yield from self._verify(p, v, plan)
        if cid is None:
            yield self._unverified(plan, why, note)
            return
        yield Call("update_address", {"customer_id": cid, "address": p["address"]},
                   f"Verified, so I set {cid}'s address to {p['address']}.", reflect=note)
        yield Answer(f"Your shipping address is now {p['address']}.\nAnswer: done", "",
                     reflect="The address is updated.")

    def _solve_refund_sku(self, p, v):
        ref = p["skus"][0] if p["by"] == "sku" else p["names"][0]
        plan = f"refund every delivered order with {ref}"
        cid, note, why = yield from self._verify(p, v, plan)
        if cid is None:
            yield self._unverified(plan, why, note)
            return
        r = yield Call("list_orders", {"customer_id": cid},
                       "I list the customer's orders; only delivered ones can be refunded (rule 3).", reflect=note)
        delivered = [o["order_id"] for o in r["orders"] if o["status"] == "delivered"]
        note = (f"{cid}'s orders: {self._summary(r['orders'])}. "
                + (f"Delivered: {', '.join(delivered)}; I check each for {ref}." if delivered
                   else "None is delivered."))
        refunded, done = 0, []
        for oid in delivered:
            r = yield Call("get_order", {"order_id": oid}, f"Does {oid} contain {ref}? Its items tell.", reflect=note)
            if any(ref in (i["sku"], i["name"]) for i in r["items"]):
                r = yield Call("refund_order", {"order_id": oid, "reason": p["reason"]},
                               f"{oid} is delivered and contains {ref}: refunding it ({p['reason']}).",
                               reflect=f"{oid} has {ref} among its items.")
                refunded += _cents(r["refunded"])
                done.append(oid)
                note = f"Refunded {oid}: {r['refunded']:.2f}."
            else:
                note = f"{oid} has no {ref}; I leave it."
        total = _money(refunded)
        text = (f"I refunded {', '.join(done)}, ${total} in total." if done
                else f"None of your delivered orders contains {ref}, so there was nothing to refund.")
        yield Answer(f"{text}\nAnswer: {total}", f"{_plural(len(done), 'order')} refunded, {total} in all.",
                     reflect=note)

    def _solve_cancel_pending(self, p, v):
        plan = "cancel all pending orders"
        cid, note, why = yield from self._verify(p, v, plan)
        if cid is None:
            yield self._unverified(plan, why, note)
            return
        r = yield Call("list_orders", {"customer_id": cid},
                       "I list the orders to find the pending ones (rule 3: only those can be cancelled).",
                       reflect=note)
        pending = [o["order_id"] for o in r["orders"] if o["status"] == "pending"]
        note = (f"{cid}'s orders: {self._summary(r['orders'])}. "
                + (f"Pending: {', '.join(pending)}." if pending else "None is pending."))
        for oid in pending:
            r = yield Call("get_order", {"order_id": oid}, f"Rule 2: I check {oid} before cancelling it.", reflect=note)
            yield Call("cancel_order", {"order_id": oid}, f"So rule 3 allows it: cancelling {oid}.",
                       reflect=f"{oid} is {r['status']} and on {cid}'s account, total {r['total']:.2f}.")
            note = f"{oid} is cancelled."
        text = (f"I cancelled {_plural(len(pending), 'pending order')}: {', '.join(pending)}." if pending
                else "You have no pending orders, so there was nothing to cancel.")
        yield Answer(f"{text}\nAnswer: {len(pending)}", "", reflect=note)

    # ---- the goal --------------------------------------------------------------------------------

    def check_goal(self, task: Task) -> str | None:
        want = type(self)(self.world)
        try:
            want._intend(task)
            expected = want._dump()
        finally:
            want.close()
        got = self._dump()
        for table, _ in TABLES:
            if got[table] != expected[table]:
                diff = sorted(set(got[table]) ^ set(expected[table]), key=repr)[:2]
                return f"table {table} differs from the goal, e.g. at {diff}"
        return None

    def _intend(self, task: Task) -> None:
        """Make on this (initial) world the change ``task`` asks for where the policy allows it."""
        p, kind = task.params, task.kind
        if kind in KINDS[1] + KINDS[2]:
            return
        cid = p["customer_id"]
        if self._row("SELECT 1 FROM customers WHERE id = ? AND lower(email) = lower(?)", cid, p["email"]) is None:
            return  # the identity check fails: rule 1 allows no change
        if kind in ("cancel", "refund", "money_back"):
            owner, status = self._row("SELECT customer_id, status FROM orders WHERE id = ?", p["order_id"])
            if owner == cid and status == "pending" and kind != "refund":
                self._goal_cancel(p["order_id"])
            elif owner == cid and status == "delivered" and kind != "cancel":
                self._goal_refund(p["order_id"], p["reason"])
        elif kind == "refund_sku":
            for oid, in self._rows("SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id WHERE "
                                   "o.customer_id = ? AND o.status = 'delivered' AND i.sku = ?", cid, p["skus"][0]):
                self._goal_refund(oid, p["reason"])
        elif kind == "cancel_pending":
            for oid, in self._rows("SELECT id FROM orders WHERE customer_id = ? AND status = 'pending'", cid):
                self._goal_cancel(oid)
        elif kind == "address":
            self.db.execute("UPDATE customers SET address = ? WHERE id = ?", (p["address"], cid))
        else:  # place, order_fallback: the first product with the stock
            qty = p["qty"]
            stock = dict(self._rows("SELECT sku, stock FROM products"))
            sku = next((s for s in p["skus"] if stock[s] >= qty), None)
            if sku is not None:
                last = max(int(i[2:]) for i, in self._rows("SELECT id FROM orders"))
                day = max(d for d, in self._rows("SELECT placed FROM orders"))
                day = (datetime.date.fromisoformat(day) + datetime.timedelta(days=1)).isoformat()
                price = self._row("SELECT price_cents FROM products WHERE sku = ?", sku)[0]
                self.db.execute("INSERT INTO orders VALUES (?, ?, ?, 'pending', ?, NULL)",
                                (f"O-{last + 1}", cid, day, qty * price))
                self.db.execute("INSERT INTO order_items VALUES (?, ?, ?, ?)", (f"O-{last + 1}", sku, qty, price))
                self.db.execute("UPDATE products SET stock = stock - ? WHERE sku = ?", (qty, sku))

    def _goal_cancel(self, oid: str) -> None:
        self.db.execute("UPDATE products SET stock = stock + (SELECT qty FROM order_items i WHERE i.order_id = ? "
                        "AND i.sku = products.sku) WHERE sku IN (SELECT sku FROM order_items WHERE order_id = ?)",
                        (oid, oid))
        self.db.execute("UPDATE orders SET status = 'cancelled' WHERE id = ?", (oid,))

    def _goal_refund(self, oid: str, reason: str) -> None:
        self.db.execute("UPDATE orders SET status = 'refunded', refund_reason = ? WHERE id = ?", (reason, oid))
