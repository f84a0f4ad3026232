"""Bulk facts for the scorecard benchmark, generated set-based inside the database.

Stands in until the bulk simulator (``o2c.sim.bulk``) exists: every table the service scorecard reads
is filled with ``INSERT … SELECT`` over a number series (a recursive CTE on SQLite, ``generate_series``
on PostgreSQL), and every "random" choice is an integer hash of the row number, so both databases
receive identical facts and the run is repeatable. Five lines per order, a year of orders.

Shape of the facts: 2,000 customers in four segments, 5,000 SKUs at three locations, four carriers.
About 12 % of lines are short at entry (a quarter of those cut as lost sales, the rest backordered
and filled later); the last 1 % of orders are still open with their backorders; 5 % of shipped
orders are not delivered yet; 80 % of delivered orders are paid 20 to 40 days later; 2 % of lines are
delivered one unit short, 1 % with a damaged unit; 0.5 % of delivered orders have a wrong-item
return and 0.3 % a billing-error credit memo.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

LINES_PER_ORDER = 5
CUSTOMERS, PRODUCTS, LOCATIONS, CARRIERS = 2_000, 5_000, 3, 4
START = 1_767_225_600  # 2026-01-01T00:00Z
YEAR = 365 * 86_400
SEGMENTS = ("retail", "wholesale", "strategic", "online")
CHANNELS = ("web", "edi", "phone", "sales_rep", "marketplace")


def h(var: str, salt: int, modulo: int) -> str:
    """A repeatable pseudo-random integer in [0, modulo) from the row number ``var``."""
    return f"((({var}) * 2654435761 + {salt * 40503 + 12345}) % 1000003 % {modulo})"


class Dialect:
    """The few SQL spellings that differ: a number series, epoch seconds to a timestamp or a date."""

    def __init__(self, name: str) -> None:
        self.name = name

    def series(self, n: int) -> str:
        if self.name == "postgresql":
            return f"(SELECT generate_series(1, {n}) AS i) AS s"
        recursive = f"WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < {n})"
        return f"({recursive} SELECT i FROM r) AS s"

    def ts(self, epoch: str) -> str:
        if self.name == "postgresql":
            return f"to_timestamp({epoch})"
        # SQLAlchemy's storage format for DateTime on SQLite.
        return f"(strftime('%Y-%m-%d %H:%M:%S', {epoch}, 'unixepoch') || '.000000')"

    def day(self, epoch: str) -> str:
        if self.name == "postgresql":
            return f"CAST(to_timestamp({epoch}) AT TIME ZONE 'UTC' AS DATE)"
        return f"date({epoch}, 'unixepoch')"

    def nullable(self, condition: str, value: str) -> str:
        return f"CASE WHEN {condition} THEN {value} END"


def _choice(var: str, salt: int, options: tuple[str, ...]) -> str:
    whens = " ".join(f"WHEN {i} THEN '{o}'" for i, o in enumerate(options))
    return f"CASE {h(var, salt, len(options))} {whens} END"


class OrderShape:
    """Every order-level fact as an SQL expression of the order number ``var``."""

    def __init__(self, var: str, orders: int) -> None:
        self.var = var
        self.orders = orders
        self.open = f"({var} > {orders - max(orders // 100, 1)})"  # the newest 1 %: still open
        self.delivered = f"(NOT {self.open} AND {h(var, 21, 100)} >= 5)"
        self.paid = f"({self.delivered} AND {h(var, 22, 100)} < 80)"
        received = f"({START} + {var} * {YEAR // max(orders, 1)} + {h(var, 2, 3600)})"
        self.received = received
        self.sent = f"({received} - 60 - {h(var, 3, 600)})"
        self.released = f"({received} + 3600 + {h(var, 4, 7200)})"
        self.packed = f"({self.released} + 3600 + {h(var, 5, 3600)})"
        self.shipped = f"({self.packed} + 3600 * {h(var, 6, 30)})"
        self.delivered_at = f"({self.shipped} + 86400 + {h(var, 7, 3 * 86400)})"
        self.paid_at = f"({self.delivered_at} + 86400 * (20 + {h(var, 8, 21)}))"
        self.promised = f"({received} + 86400 * (3 + {h(var, 9, 2)}))"
        self.customer = f"(1 + {h(var, 1, CUSTOMERS)})"


def _master(conn: Connection, d: Dialect) -> None:
    conn.execute(
        text(
            "INSERT INTO customers (id, code, name, segment, tier, channel, payment_terms_days,"
            " backorder_policy, allow_substitution, active) SELECT i, 'C' || i, 'Customer ' || i,"
            f" {_choice('i', 30, SEGMENTS)}, 1 + {h('i', 31, 5)}, {_choice('i', 32, CHANNELS)}, 30,"
            f" 'allow_partial', false, true FROM {d.series(CUSTOMERS)}"
        )
    )
    conn.execute(
        text(
            "INSERT INTO ship_tos (id, customer_id, code, name, address, region)"
            f" SELECT i, i, 'MAIN', 'Main', '', 'east' FROM {d.series(CUSTOMERS)}"
        )
    )
    conn.execute(
        text(
            "INSERT INTO products (id, sku, name, list_price, standard_cost, weight_g, volume_cm3, active)"
            f" SELECT i, 'SKU' || i, 'Product ' || i, 100 + {h('i', 33, 9000)}, 0, 500, 0, true"
            f" FROM {d.series(PRODUCTS)}"
        )
    )
    conn.execute(
        text(
            "INSERT INTO locations (id, code, name, region, processing_days, pick_pack_days)"
            f" SELECT i, 'DC' || i, 'DC ' || i, 'east', 1, 1 FROM {d.series(LOCATIONS)}"
        )
    )
    conn.execute(
        text(
            f"INSERT INTO carriers (id, code, name, service) SELECT i, 'CAR' || i, 'Carrier ' || i, 'ground'"
            f" FROM {d.series(CARRIERS)}"
        )
    )


def _orders(conn: Connection, d: Dialect, orders: int) -> None:
    o = OrderShape("i", orders)
    status = (
        f"CASE WHEN {o.open} THEN 'open' WHEN {o.paid} THEN 'closed'"
        f" WHEN {o.delivered} THEN 'delivered' ELSE 'shipped' END"
    )
    shipped = f"NOT {o.open}"
    conn.execute(
        text(
            "INSERT INTO orders (id, number, customer_id, ship_to_id, channel, backorder_policy, status,"
            " currency, promised_date, subtotal, tax_total, version, customer_sent_at, received_at,"
            " released_at, picked_at, packed_at, shipped_at, delivered_at, invoiced_at, paid_at)"
            f" SELECT i, 'SO-' || i, {o.customer}, {o.customer}, {_choice('i', 10, CHANNELS)},"
            " 'allow_partial',"
            f" {status}, 'USD', {d.day(o.promised)}, 0, 0, 1, {d.ts(o.sent)}, {d.ts(o.received)},"
            f" {d.nullable(shipped, d.ts(o.released))}, {d.nullable(shipped, d.ts(o.packed))},"
            f" {d.nullable(shipped, d.ts(o.packed))}, {d.nullable(shipped, d.ts(o.shipped))},"
            f" {d.nullable(o.delivered, d.ts(o.delivered_at))}, {d.nullable(shipped, d.ts(o.shipped))},"
            f" {d.nullable(o.paid, d.ts(o.paid_at))} FROM {d.series(orders)}"
        )
    )


def _lines(conn: Connection, d: Dialect, orders: int) -> None:
    order = f"((i - 1) / {LINES_PER_ORDER} + 1)"
    o = OrderShape(order, orders)
    q = f"(1 + {h('i', 40, 20)})"
    short = f"(CASE WHEN {h('i', 41, 100)} < 12 THEN ({q} * (1 + {h('i', 42, 99)})) / 100 ELSE 0 END)"
    lost = f"(CASE WHEN {h('i', 43, 4)} = 0 THEN {short} ELSE 0 END)"
    backordered = f"(CASE WHEN {o.open} THEN {short} - {lost} ELSE 0 END)"
    shipped = f"(CASE WHEN {o.open} THEN 0 ELSE {q} - {lost} END)"
    delivered = (
        f"(CASE WHEN {o.delivered} THEN {shipped} - (CASE WHEN {h('i', 44, 50)} = 0 AND {shipped} > 0"
        " THEN 1 ELSE 0 END) ELSE 0 END)"
    )
    damaged = f"(CASE WHEN {h('i', 45, 100)} = 1 AND {delivered} > 0 THEN 1 ELSE 0 END)"
    allocated = f"(CASE WHEN {o.open} THEN {q} - {short} ELSE 0 END)"
    price = f"(100 + {h('i', 46, 9000)})"
    conn.execute(
        text(
            "INSERT INTO order_lines (id, order_id, line_no, product_id, location_id, qty_ordered,"
            " qty_allocated_at_entry, qty_pending, qty_allocated, qty_backordered, qty_cancelled, qty_lost,"
            " qty_picked, qty_packed, qty_shipped, qty_delivered, qty_damaged, qty_substituted,"
            " qty_wrong_item, unit_price, discount_amount, net_amount, tax_amount, unit_cost, promised_date,"
            " promise_at_risk)"
            f" SELECT i, {order}, (i - 1) % {LINES_PER_ORDER} + 1, 1 + {h('i', 47, PRODUCTS)},"
            f" 1 + {h('i', 48, LOCATIONS)}, {q}, {q} - {short}, 0, {allocated}, {backordered}, 0, {lost},"
            " 0, 0,"
            f" {shipped}, {delivered}, {damaged}, 0, 0, {price}, 0, {price} * {q}, 0, {price} * 60,"
            f" {d.day(o.promised)}, false FROM {d.series(orders * LINES_PER_ORDER)}"
        )
    )


def _shipping_and_cash(conn: Connection, d: Dialect, orders: int) -> None:
    o = OrderShape("i", orders)
    conn.execute(
        text(
            "INSERT INTO shipments (id, number, order_id, carrier_id, tracking_number, status, shipped_at,"
            " delivered_at, freight_cost, weight_g)"
            f" SELECT i, 'SH-' || i, i, 1 + {h('i', 50, CARRIERS)}, 'T' || i,"
            f" CASE WHEN {o.delivered} THEN 'delivered' ELSE 'shipped' END, {d.ts(o.shipped)},"
            f" {d.nullable(o.delivered, d.ts(o.delivered_at))}, 500 + {h('i', 51, 3000)},"
            f" 1000 + {h('i', 52, 9000)}"
            f" FROM {d.series(orders)} WHERE NOT {o.open}"
        )
    )
    value = "(SELECT order_id, SUM(net_amount) AS subtotal FROM order_lines GROUP BY order_id) AS v"
    conn.execute(
        text(
            "INSERT INTO invoices (id, number, order_id, shipment_id, customer_id, status, issued_at,"
            " due_date, subtotal, tax_total, amount_paid, amount_credited, paid_at)"
            f" SELECT i, 'IN-' || i, i, i, {o.customer}, CASE WHEN {o.paid} THEN 'paid' ELSE 'open' END,"
            f" {d.ts(o.shipped)}, {d.day(o.shipped + ' + 30 * 86400')}, v.subtotal, 0,"
            f" CASE WHEN {o.paid} THEN v.subtotal ELSE 0 END, 0, {d.nullable(o.paid, d.ts(o.paid_at))}"
            f" FROM {d.series(orders)} JOIN {value} ON v.order_id = s.i WHERE NOT {o.open}"
        )
    )
    conn.execute(
        text(
            "INSERT INTO payments (invoice_id, customer_id, amount, received_at, reference)"
            " SELECT id, customer_id, subtotal, paid_at, '' FROM invoices WHERE status = 'paid'"
        )
    )


def _claims(conn: Connection, d: Dialect, orders: int) -> None:
    o = OrderShape("i", orders)
    conn.execute(
        text(
            "INSERT INTO returns (number, order_id, customer_id, status, reason, authorised_at, note)"
            f" SELECT 'RMA-' || i, i, {o.customer}, 'authorised', 'wrong_item',"
            f" {d.ts(o.delivered_at + ' + 86400')}, ''"
            f" FROM {d.series(orders)} WHERE {o.delivered} AND {h('i', 60, 1000)} < 5"
        )
    )
    conn.execute(
        text(
            "INSERT INTO credit_memos (number, customer_id, order_id, invoice_id, reason, subtotal,"
            " tax_total, amount_applied, issued_at, note)"
            f" SELECT 'CM-' || i, {o.customer}, i, i, 'billing_error', 100, 0, 0,"
            f" {d.ts(o.delivered_at + ' + 172800')}, ''"
            f" FROM {d.series(orders)} WHERE {o.delivered} AND {h('i', 61, 1000)} < 3"
        )
    )


def generate(conn: Connection, order_lines: int) -> int:
    """Fill an empty, migrated database with ``order_lines`` lines (five per order); returns orders."""
    d = Dialect(conn.dialect.name)
    orders = max(order_lines // LINES_PER_ORDER, 1)
    _master(conn, d)
    _orders(conn, d, orders)
    _lines(conn, d, orders)
    _shipping_and_cash(conn, d, orders)
    _claims(conn, d, orders)
    if d.name == "postgresql":
        for table in (
            "customers",
            "ship_tos",
            "products",
            "locations",
            "carriers",
            "orders",
            "order_lines",
            "shipments",
            "invoices",
        ):
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
        conn.execute(text("ANALYZE"))
    else:
        conn.execute(text("ANALYZE"))
    return orders
