"""Purchase orders, shipping notices, receipts and transfers: rows in, plain domain objects out.

Statements are built once, at import (SQLAlchemy then compiles each once per engine). A document an
action will change is read with its header row locked (``FOR UPDATE`` on PostgreSQL; SQLite writers
are already serialised by ``BEGIN IMMEDIATE``), so two receipts against one PO line never both pass
the tolerance check. Receipt counters still move by guarded SQL expressions whose row counts are
checked, a last line of defence behind the domain's own check. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from o2c.domain.errors import Conflict, NotFound
from o2c.domain.inbound import (
    Inspection,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Transfer,
    TransferLine,
    TransferStatus,
)
from o2c.store.master_tables import locations, products, suppliers
from o2c.store.supply_tables import (
    advance_shipping_notices,
    asn_lines,
    purchase_order_lines,
    purchase_orders,
    receipt_lines,
    receipts,
    transfer_lines,
    transfers,
)


@dataclass(frozen=True)
class ReceiptLineDraft:
    """One line of a receipt, from a PO line or a transfer line (exactly one of the two ids)."""

    product_id: int
    inspection: Inspection
    purchase_order_line_id: int | None = None
    transfer_line_id: int | None = None


_supplier_id = select(suppliers.c.id).where(suppliers.c.code == bindparam("code"))
_location_id = select(locations.c.id).where(locations.c.code == bindparam("code"))

_insert_po = insert(purchase_orders).returning(purchase_orders.c.id)
_insert_po_lines = insert(purchase_order_lines).returning(
    purchase_order_lines.c.id, sort_by_parameter_order=True
)
_po_by_number = (
    select(
        purchase_orders,
        suppliers.c.code.label("supplier_code"),
        locations.c.code.label("location_code"),
    )
    .join(suppliers, suppliers.c.id == purchase_orders.c.supplier_id)
    .join(locations, locations.c.id == purchase_orders.c.location_id)
    .where(purchase_orders.c.number == bindparam("number"))
)
_po_by_number_locked = _po_by_number.with_for_update(of=purchase_orders)
_po_lines = (
    select(purchase_order_lines, products.c.sku)
    .join(products, products.c.id == purchase_order_lines.c.product_id)
    .where(purchase_order_lines.c.purchase_order_id == bindparam("po_id"))
    .order_by(purchase_order_lines.c.line_no)
)
_po_line = purchase_order_lines.c
_receive_po_line = (
    update(purchase_order_lines)
    .where(
        _po_line.id == bindparam("b_id"),
        _po_line.qty_received + bindparam("b_received") <= bindparam("b_limit"),
    )
    .values(
        qty_received=_po_line.qty_received + bindparam("b_received"),
        qty_accepted=_po_line.qty_accepted + bindparam("b_accepted"),
        qty_rejected=_po_line.qty_rejected + bindparam("b_rejected"),
    )
)
_plan_po_line = (
    update(purchase_order_lines)
    .where(_po_line.id == bindparam("b_id"), _po_line.qty_received <= bindparam("b_qty_ordered"))
    .values(qty_ordered=bindparam("b_qty_ordered"), expected_date=bindparam("b_expected_date"))
)
_save_po_status = (
    update(purchase_orders)
    .where(purchase_orders.c.id == bindparam("b_id"))
    .values(status=bindparam("b_status"), closed_at=bindparam("b_closed_at"))
)

_insert_asn = insert(advance_shipping_notices).returning(advance_shipping_notices.c.id)
_insert_asn_lines = insert(asn_lines)
_insert_receipt = insert(receipts).returning(receipts.c.id)
_insert_receipt_lines = insert(receipt_lines)

_from, _to = locations.alias("from_location"), locations.alias("to_location")
_transfer_by_number = (
    select(transfers, _from.c.code.label("from_code"), _to.c.code.label("to_code"))
    .join(_from, _from.c.id == transfers.c.from_location_id)
    .join(_to, _to.c.id == transfers.c.to_location_id)
    .where(transfers.c.number == bindparam("number"))
)
_transfer_by_number_locked = _transfer_by_number.with_for_update(of=transfers)
_insert_transfer = insert(transfers).returning(transfers.c.id)
_insert_transfer_lines = insert(transfer_lines).returning(transfer_lines.c.id, sort_by_parameter_order=True)
_transfer_lines = (
    select(transfer_lines, products.c.sku)
    .join(products, products.c.id == transfer_lines.c.product_id)
    .where(transfer_lines.c.transfer_id == bindparam("transfer_id"))
    .order_by(transfer_lines.c.line_no)
)
_receive_transfer_line = (
    update(transfer_lines)
    .where(
        transfer_lines.c.id == bindparam("b_id"),
        transfer_lines.c.qty_received + bindparam("b_q") <= transfer_lines.c.quantity,
    )
    .values(qty_received=transfer_lines.c.qty_received + bindparam("b_q"))
)
_save_transfer = (
    update(transfers)
    .where(transfers.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        shipped_at=bindparam("b_shipped_at"),
        expected_date=bindparam("b_expected_date"),
        received_at=bindparam("b_received_at"),
    )
)


# Every field of the line objects is a column (or label) of the line queries: rows map by name.
_PO_LINE_FIELDS = tuple(f.name for f in fields(PurchaseOrderLine))
_TRANSFER_LINE_FIELDS = tuple(f.name for f in fields(TransferLine))


def _po_line_of(row: Any) -> PurchaseOrderLine:
    return PurchaseOrderLine(**{name: row._mapping[name] for name in _PO_LINE_FIELDS})


def _transfer_line_of(row: Any) -> TransferLine:
    return TransferLine(**{name: row._mapping[name] for name in _TRANSFER_LINE_FIELDS})


class InboundRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # --- master data the inbound documents name --------------------------------------------------

    def supplier_id(self, code: str) -> int:
        found = self._conn.execute(_supplier_id, {"code": code}).scalar_one_or_none()
        if found is None:
            raise NotFound(f"supplier {code} does not exist", supplier_code=code)
        return int(found)

    def location_id(self, code: str) -> int:
        found = self._conn.execute(_location_id, {"code": code}).scalar_one_or_none()
        if found is None:
            raise NotFound(f"location {code} does not exist", location_code=code)
        return int(found)

    # --- purchase orders ---------------------------------------------------------------------------

    def add_purchase_order(self, po: PurchaseOrder) -> None:
        """Insert the order and its lines; fills in their ids."""
        po.id = int(
            self._conn.execute(
                _insert_po,
                {
                    "number": po.number,
                    "supplier_id": po.supplier_id,
                    "location_id": po.location_id,
                    "status": po.status.value,
                    "created_at": po.created_at,
                    "closed_at": po.closed_at,
                },
            ).scalar_one()
        )
        rows = [
            {
                "purchase_order_id": po.id,
                "line_no": ln.line_no,
                "product_id": ln.product_id,
                "qty_ordered": ln.qty_ordered,
                "unit_cost": ln.unit_cost,
                "promised_date": ln.promised_date,
                "expected_date": ln.expected_date,
            }
            for ln in po.lines
        ]
        for ln, line_id in zip(po.lines, self._conn.execute(_insert_po_lines, rows).scalars(), strict=True):
            ln.id = int(line_id)

    def purchase_order(self, number: str, *, lock: bool = False) -> PurchaseOrder:
        """The order with its lines; ``lock=True`` holds its header row until the transaction ends."""
        statement = _po_by_number_locked if lock else _po_by_number
        row = self._conn.execute(statement, {"number": number}).first()
        if row is None:
            raise NotFound(f"purchase order {number} does not exist", purchase_order=number)
        lines = [_po_line_of(r) for r in self._conn.execute(_po_lines, {"po_id": row.id})]
        return PurchaseOrder(
            number=row.number,
            status=PurchaseOrderStatus(row.status),
            supplier_id=row.supplier_id,
            location_id=row.location_id,
            created_at=row.created_at,
            lines=lines,
            id=row.id,
            supplier_code=row.supplier_code,
            location_code=row.location_code,
            closed_at=row.closed_at,
        )

    def record_po_receipts(self, counted: Sequence[tuple[int, Inspection, int]]) -> None:
        """Add ``(line id, inspection, max receivable)`` to the line counters, each guarded by the
        line's limit; all of them must hit their row."""
        params = [
            {
                "b_id": line_id,
                "b_received": found.received,
                "b_accepted": found.accepted,
                "b_rejected": found.rejected,
                "b_limit": limit,
            }
            for line_id, found, limit in counted
        ]
        if params and self._conn.execute(_receive_po_line, params).rowcount != len(params):
            raise Conflict(
                "purchase order lines changed underneath the receipt", lines=[p["b_id"] for p in params]
            )

    def save_po_line_plans(self, lines: Iterable[PurchaseOrderLine]) -> None:
        """Write the lines' ordered quantity and expected date (never below what was received)."""
        params = [
            {"b_id": ln.id, "b_qty_ordered": ln.qty_ordered, "b_expected_date": ln.expected_date}
            for ln in lines
        ]
        if params and self._conn.execute(_plan_po_line, params).rowcount != len(params):
            raise Conflict(
                "purchase order lines changed underneath the change", lines=[p["b_id"] for p in params]
            )

    def save_po_status(self, po: PurchaseOrder) -> None:
        self._conn.execute(
            _save_po_status, {"b_id": po.id, "b_status": po.status.value, "b_closed_at": po.closed_at}
        )

    def add_shipping_notice(
        self,
        number: str,
        po_id: int,
        notified_at: datetime,
        expected_date: date,
        reference: str,
        quantities: Sequence[tuple[int, int]],
    ) -> int:
        """An ASN with ``(PO line id, quantity)`` lines; returns its id."""
        asn_id = int(
            self._conn.execute(
                _insert_asn,
                {
                    "number": number,
                    "purchase_order_id": po_id,
                    "notified_at": notified_at,
                    "expected_date": expected_date,
                    "reference": reference,
                },
            ).scalar_one()
        )
        self._conn.execute(
            _insert_asn_lines,
            [{"asn_id": asn_id, "purchase_order_line_id": lid, "quantity": q} for lid, q in quantities],
        )
        return asn_id

    # --- receipts -------------------------------------------------------------------------------

    def add_receipt(
        self,
        number: str,
        location_id: int,
        received_at: datetime,
        lines: Sequence[ReceiptLineDraft],
        *,
        purchase_order_id: int | None = None,
        transfer_id: int | None = None,
    ) -> int:
        """A receipt from a PO or a transfer (the table insists on exactly one); returns its id."""
        receipt_id = int(
            self._conn.execute(
                _insert_receipt,
                {
                    "number": number,
                    "location_id": location_id,
                    "purchase_order_id": purchase_order_id,
                    "transfer_id": transfer_id,
                    "received_at": received_at,
                },
            ).scalar_one()
        )
        self._conn.execute(
            _insert_receipt_lines,
            [
                {
                    "receipt_id": receipt_id,
                    "product_id": ln.product_id,
                    "purchase_order_line_id": ln.purchase_order_line_id,
                    "transfer_line_id": ln.transfer_line_id,
                    "qty_received": ln.inspection.received,
                    "qty_accepted": ln.inspection.accepted,
                    "qty_rejected": ln.inspection.rejected,
                    "reject_reason": ln.inspection.reason,
                }
                for ln in lines
            ],
        )
        return receipt_id

    # --- transfers ------------------------------------------------------------------------------

    def add_transfer(self, transfer: Transfer) -> None:
        """Insert the transfer and its lines; fills in their ids."""
        transfer.id = int(
            self._conn.execute(
                _insert_transfer,
                {
                    "number": transfer.number,
                    "from_location_id": transfer.from_location_id,
                    "to_location_id": transfer.to_location_id,
                    "status": transfer.status.value,
                    "created_at": transfer.created_at,
                },
            ).scalar_one()
        )
        rows = [
            {
                "transfer_id": transfer.id,
                "line_no": ln.line_no,
                "product_id": ln.product_id,
                "quantity": ln.quantity,
            }
            for ln in transfer.lines
        ]
        ids = self._conn.execute(_insert_transfer_lines, rows).scalars()
        for ln, line_id in zip(transfer.lines, ids, strict=True):
            ln.id = int(line_id)

    def transfer(self, number: str, *, lock: bool = False) -> Transfer:
        statement = _transfer_by_number_locked if lock else _transfer_by_number
        row = self._conn.execute(statement, {"number": number}).first()
        if row is None:
            raise NotFound(f"transfer {number} does not exist", transfer=number)
        lines = [_transfer_line_of(r) for r in self._conn.execute(_transfer_lines, {"transfer_id": row.id})]
        return Transfer(
            number=row.number,
            status=TransferStatus(row.status),
            from_location_id=row.from_location_id,
            to_location_id=row.to_location_id,
            created_at=row.created_at,
            lines=lines,
            id=row.id,
            from_code=row.from_code,
            to_code=row.to_code,
            shipped_at=row.shipped_at,
            expected_date=row.expected_date,
            received_at=row.received_at,
        )

    def record_transfer_receipts(self, received: Sequence[tuple[int, int]]) -> None:
        """Add ``(transfer line id, quantity)`` to the lines, never beyond what was shipped."""
        params = [{"b_id": line_id, "b_q": q} for line_id, q in received]
        if params and self._conn.execute(_receive_transfer_line, params).rowcount != len(params):
            raise Conflict("transfer lines changed underneath the receipt", lines=[p["b_id"] for p in params])

    def save_transfer(self, transfer: Transfer) -> None:
        self._conn.execute(
            _save_transfer,
            {
                "b_id": transfer.id,
                "b_status": transfer.status.value,
                "b_shipped_at": transfer.shipped_at,
                "b_expected_date": transfer.expected_date,
                "b_received_at": transfer.received_at,
            },
        )
