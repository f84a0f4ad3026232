"""Document numbers (``SO-00000042``): gap-tolerant, unique, never a hot lock on PostgreSQL.

PostgreSQL draws from a sequence (outside the transaction, so concurrent order entry does not queue
on a counter row); SQLite serialises writers anyway and keeps a counter row per document kind.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Connection, bindparam, text, update

from o2c.store.driver import Prepared
from o2c.store.tables import document_counters


class DocumentKind(StrEnum):
    ORDER = "SO"
    PURCHASE_ORDER = "PO"
    ASN = "AS"
    TRANSFER = "TR"
    RECEIPT = "RC"
    QUOTE = "QT"
    SHIPMENT = "SH"
    INVOICE = "IN"
    RETURN = "RMA"
    CREDIT_MEMO = "CM"
    SERVICE_CASE = "CS"


def sequence_name(kind: DocumentKind) -> str:
    return f"doc_seq_{kind.value.lower()}"


# Prepared (see store.driver): every order draws a number, so this runs on the hot path of entry.
_bump_counter = Prepared(
    update(document_counters)
    .where(document_counters.c.kind == bindparam("b_kind"))
    .values(last_value=document_counters.c.last_value + 1)
    .returning(document_counters.c.last_value)
)
_nextval = {kind: Prepared(text(f"SELECT nextval('{sequence_name(kind)}')")) for kind in DocumentKind}


def next_number(conn: Connection, kind: DocumentKind) -> str:
    if conn.dialect.name == "postgresql":
        value = _nextval[kind].scalar(conn)
    else:
        value = _bump_counter.scalar(conn, {"b_kind": kind.value})
    return f"{kind.value}-{value:08d}"
