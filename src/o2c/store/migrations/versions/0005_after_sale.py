"""after-sale facts: returns, credit memos, service cases, delivery exceptions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 07:30:00

Returns (RMA) and their lines, credit memos, service cases and NPS responses
(``store.after_sale_tables``); wrong-item delivery exceptions on shipment and order lines, the
expedite stamp on orders, and the credit applied to an invoice. Hand-written to match the tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_KINDS = ("RMA", "CM", "CS")
_EXCEPTIONS_OLD = "qty_short + qty_damaged <= quantity"
_EXCEPTIONS_NEW = "qty_short + qty_damaged + qty_wrong_item <= quantity"


def _id() -> sa.Column[int]:
    return sa.Column("id", _ID, autoincrement=True, nullable=False)


def _ref(name: str, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, _ID, nullable=nullable)


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def _check(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def upgrade() -> None:
    _create_returns()
    _create_credit_memos()
    _create_service_cases()
    _create_nps_responses()
    _alter_sales_tables()
    _document_numbering()


def _create_returns() -> None:
    op.create_table(
        "returns",
        _id(),
        sa.Column("number", sa.String(length=30), nullable=False),
        _ref("order_id"),
        _ref("customer_id"),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        _at("authorised_at", nullable=False),
        _at("received_at"),
        _at("credited_at"),
        _at("rejected_at"),
        sa.Column("note", sa.String(length=500), server_default="", nullable=False),
        _check("returns", "status", "status IN ('authorised', 'received', 'credited', 'rejected')"),
        _check(
            "returns",
            "reason",
            "reason IN ('wrong_item', 'wrong_quantity', 'damaged', 'defective', 'not_wanted', 'other')",
        ),
        _fk("returns", "customer_id", "customers"),
        _fk("returns", "order_id", "orders"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
        sa.UniqueConstraint("number", name=op.f("uq_returns_number")),
    )
    op.create_index("ix_returns_order", "returns", ["order_id"])
    op.create_index("ix_returns_customer_authorised", "returns", ["customer_id", "authorised_at"])
    op.create_table(
        "return_lines",
        _id(),
        _ref("return_id"),
        _ref("order_line_id"),
        _ref("product_id"),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("qty_received", sa.Integer(), server_default="0", nullable=False),
        sa.Column("disposition", sa.String(length=20), nullable=True),
        _ref("location_id", nullable=True),
        _check("return_lines", "quantity_pos", "quantity > 0"),
        _check("return_lines", "received_le_quantity", "qty_received <= quantity"),
        _check(
            "return_lines",
            "disposition",
            "disposition IS NULL OR disposition IN ('restock', 'refurbish', 'scrap', 'return_to_vendor')",
        ),
        _check("return_lines", "qty_received_nonneg", "qty_received >= 0"),
        _fk("return_lines", "return_id", "returns"),
        _fk("return_lines", "order_line_id", "order_lines"),
        _fk("return_lines", "product_id", "products"),
        _fk("return_lines", "location_id", "locations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_lines")),
        sa.UniqueConstraint("return_id", "order_line_id", name=op.f("uq_return_lines_return_id")),
    )
    op.create_index("ix_return_lines_order_line", "return_lines", ["order_line_id"])


def _create_credit_memos() -> None:
    op.create_table(
        "credit_memos",
        _id(),
        sa.Column("number", sa.String(length=30), nullable=False),
        _ref("customer_id"),
        _ref("order_id"),
        _ref("invoice_id", nullable=True),
        _ref("return_id", nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("subtotal", sa.BigInteger(), nullable=False),
        sa.Column("tax_total", sa.BigInteger(), nullable=False),
        sa.Column("amount_applied", sa.BigInteger(), server_default="0", nullable=False),
        _at("issued_at", nullable=False),
        sa.Column("note", sa.String(length=500), server_default="", nullable=False),
        _check(
            "credit_memos",
            "reason",
            "reason IN ('return', 'billing_error', 'price_adjustment', 'service_recovery')",
        ),
        _check("credit_memos", "total_pos", "subtotal + tax_total > 0"),
        _check("credit_memos", "applied_le_total", "amount_applied <= subtotal + tax_total"),
        _check("credit_memos", "return_has_rma", "(reason = 'return') = (return_id IS NOT NULL)"),
        _check("credit_memos", "applied_to_invoice", "amount_applied = 0 OR invoice_id IS NOT NULL"),
        _check("credit_memos", "subtotal_nonneg", "subtotal >= 0"),
        _check("credit_memos", "tax_total_nonneg", "tax_total >= 0"),
        _check("credit_memos", "amount_applied_nonneg", "amount_applied >= 0"),
        _fk("credit_memos", "customer_id", "customers"),
        _fk("credit_memos", "order_id", "orders"),
        _fk("credit_memos", "invoice_id", "invoices"),
        _fk("credit_memos", "return_id", "returns"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_memos")),
        sa.UniqueConstraint("number", name=op.f("uq_credit_memos_number")),
        sa.UniqueConstraint("return_id", name=op.f("uq_credit_memos_return_id")),
    )
    op.create_index("ix_credit_memos_customer_issued", "credit_memos", ["customer_id", "issued_at"])
    op.create_index("ix_credit_memos_invoice", "credit_memos", ["invoice_id"])


def _create_service_cases() -> None:
    op.create_table(
        "service_cases",
        _id(),
        sa.Column("number", sa.String(length=30), nullable=False),
        _ref("customer_id"),
        _ref("order_id", nullable=True),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=10), server_default="normal", nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        _at("opened_at", nullable=False),
        _at("first_response_at"),
        _at("resolved_at"),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        _check(
            "service_cases",
            "category",
            "category IN ('complaint', 'delivery', 'billing', 'quality', 'inquiry', 'other')",
        ),
        _check("service_cases", "priority", "priority IN ('low', 'normal', 'high', 'urgent')"),
        _check("service_cases", "status", "status IN ('open', 'responded', 'resolved')"),
        _check("service_cases", "responded_iff_stamped", "(status = 'open') = (first_response_at IS NULL)"),
        _check("service_cases", "resolved_iff_stamped", "(status = 'resolved') = (resolved_at IS NOT NULL)"),
        _check(
            "service_cases",
            "response_after_open",
            "first_response_at IS NULL OR first_response_at >= opened_at",
        ),
        _check(
            "service_cases",
            "resolution_after_response",
            "resolved_at IS NULL OR resolved_at >= first_response_at",
        ),
        _fk("service_cases", "customer_id", "customers"),
        _fk("service_cases", "order_id", "orders"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_cases")),
        sa.UniqueConstraint("number", name=op.f("uq_service_cases_number")),
    )
    op.create_index("ix_service_cases_customer_opened", "service_cases", ["customer_id", "opened_at"])
    op.create_index("ix_service_cases_status", "service_cases", ["status"])


def _create_nps_responses() -> None:
    op.create_table(
        "nps_responses",
        _id(),
        _ref("customer_id"),
        _ref("order_id", nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        _at("responded_at", nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        _check("nps_responses", "score_range", "score BETWEEN 0 AND 10"),
        _fk("nps_responses", "customer_id", "customers"),
        _fk("nps_responses", "order_id", "orders"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nps_responses")),
    )
    op.create_index("ix_nps_responses_customer_responded", "nps_responses", ["customer_id", "responded_at"])


def _alter_sales_tables() -> None:
    # SQLite cannot alter a constraint in place: batch mode rebuilds the table with the new ones.
    with op.batch_alter_table("shipment_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("qty_wrong_item", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_check_constraint("qty_wrong_item_nonneg", "qty_wrong_item >= 0")
        batch_op.drop_constraint(op.f("ck_shipment_lines_exceptions_le_quantity"), type_="check")
        batch_op.create_check_constraint("exceptions_le_quantity", _EXCEPTIONS_NEW)
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("qty_wrong_item", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_check_constraint("qty_wrong_item_nonneg", "qty_wrong_item >= 0")
        batch_op.create_check_constraint(
            "exceptions_le_delivered", "qty_damaged + qty_wrong_item <= qty_delivered"
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expedited_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amount_credited", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.create_check_constraint("amount_credited_nonneg", "amount_credited >= 0")
        batch_op.create_check_constraint(
            "settled_le_total", "amount_paid + amount_credited <= subtotal + tax_total"
        )


def _document_numbering() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for kind in _KINDS:
            op.execute(f"CREATE SEQUENCE doc_seq_{kind.lower()}")
    counters = sa.table(
        "document_counters", sa.column("kind", sa.String), sa.column("last_value", sa.BigInteger)
    )
    op.bulk_insert(counters, [{"kind": kind, "last_value": 0} for kind in _KINDS])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for kind in _KINDS:
            op.execute(f"DROP SEQUENCE IF EXISTS doc_seq_{kind.lower()}")
    op.execute(f"DELETE FROM document_counters WHERE kind IN {_KINDS!r}")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_invoices_settled_le_total"), type_="check")
        batch_op.drop_constraint(op.f("ck_invoices_amount_credited_nonneg"), type_="check")
        batch_op.drop_column("amount_credited")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("expedited_at")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_order_lines_exceptions_le_delivered"), type_="check")
        batch_op.drop_constraint(op.f("ck_order_lines_qty_wrong_item_nonneg"), type_="check")
        batch_op.drop_column("qty_wrong_item")
    with op.batch_alter_table("shipment_lines", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_shipment_lines_exceptions_le_quantity"), type_="check")
        batch_op.create_check_constraint("exceptions_le_quantity", _EXCEPTIONS_OLD)
        batch_op.drop_constraint(op.f("ck_shipment_lines_qty_wrong_item_nonneg"), type_="check")
        batch_op.drop_column("qty_wrong_item")
    for table in ("nps_responses", "service_cases", "credit_memos", "return_lines", "returns"):
        op.drop_table(table)
