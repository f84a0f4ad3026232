"""Service cases and NPS responses: rows in, plain domain objects out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from o2c.domain.cases import CaseCategory, CasePriority, CaseStatus, ServiceCase
from o2c.domain.errors import NotFound
from o2c.store.after_sale_tables import nps_responses, service_cases
from o2c.store.master_tables import customers
from o2c.store.tables import orders


class CaseRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, case: ServiceCase) -> int:
        case.id = int(
            self._conn.execute(
                insert(service_cases).returning(service_cases.c.id),
                {
                    "number": case.number,
                    "customer_id": case.customer_id,
                    "order_id": case.order_id,
                    "category": case.category.value,
                    "priority": case.priority.value,
                    "status": case.status.value,
                    "opened_at": case.opened_at,
                    "summary": case.summary,
                },
            ).scalar_one()
        )
        return case.id

    def get(self, number: str, *, lock: bool = False) -> ServiceCase:
        query = select(service_cases).where(service_cases.c.number == number)
        row = self._conn.execute(query.with_for_update() if lock else query).mappings().first()
        if row is None:
            raise NotFound(f"case {number} does not exist", case_number=number)
        return ServiceCase(
            number=row["number"],
            customer_id=row["customer_id"],
            category=CaseCategory(row["category"]),
            priority=CasePriority(row["priority"]),
            status=CaseStatus(row["status"]),
            opened_at=row["opened_at"],
            summary=row["summary"],
            order_id=row["order_id"],
            id=row["id"],
            first_response_at=row["first_response_at"],
            resolved_at=row["resolved_at"],
            resolution=row["resolution"],
        )

    def save(self, case: ServiceCase) -> None:
        self._conn.execute(
            update(service_cases)
            .where(service_cases.c.id == case.id)
            .values(
                status=case.status.value,
                first_response_at=case.first_response_at,
                resolved_at=case.resolved_at,
                resolution=case.resolution,
            )
        )

    def add_nps(
        self, customer_id: int, order_id: int | None, score: int, responded_at: datetime, comment: str
    ) -> int:
        return int(
            self._conn.execute(
                insert(nps_responses).returning(nps_responses.c.id),
                {
                    "customer_id": customer_id,
                    "order_id": order_id,
                    "score": score,
                    "responded_at": responded_at,
                    "comment": comment,
                },
            ).scalar_one()
        )

    def order_of_customer(self, order_number: str, customer_id: int) -> int:
        """The id of the customer's order ``order_number``; another customer's order is not found."""
        order_id = self._conn.execute(
            select(orders.c.id).where(orders.c.number == order_number, orders.c.customer_id == customer_id)
        ).scalar_one_or_none()
        if order_id is None:
            raise NotFound(f"the customer has no order {order_number}", order_number=order_number)
        return int(order_id)

    def codes(self, customer_id: int, order_id: int | None) -> tuple[str, str | None]:
        code = self._conn.execute(select(customers.c.code).where(customers.c.id == customer_id)).scalar_one()
        number = (
            self._conn.execute(select(orders.c.number).where(orders.c.id == order_id)).scalar_one()
            if order_id is not None
            else None
        )
        return str(code), number
