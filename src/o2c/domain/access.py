"""Who may do what: the roles of o2c and the capabilities each grants, declared once as data.

A ``portal`` user acts for one customer account: every capability it holds is limited to that
customer's documents, which the entry points enforce by treating another customer's document as
unknown (it does not exist, for them).
"""

from __future__ import annotations

from enum import StrEnum

from o2c.domain.errors import O2CError


class Role(StrEnum):
    ADMIN = "admin"
    SALES = "sales"
    WAREHOUSE = "warehouse"
    PURCHASING = "purchasing"
    FINANCE = "finance"
    PORTAL = "portal"


class Capability(StrEnum):
    READ_CUSTOMERS = "read_customers"
    READ_PRODUCTS = "read_products"
    READ_STOCK = "read_stock"  # stock levels, ATP, promises
    READ_QUOTES = "read_quotes"
    WRITE_QUOTES = "write_quotes"  # create and convert
    READ_ORDERS = "read_orders"
    PLACE_ORDERS = "place_orders"
    CANCEL_ORDERS = "cancel_orders"
    RELEASE_CREDIT = "release_credit"
    FULFIL_ORDERS = "fulfil_orders"  # confirm (release to the warehouse), pick, pack, ship, deliver
    READ_SHIPMENTS = "read_shipments"
    READ_INVOICES = "read_invoices"
    READ_PAYMENTS = "read_payments"
    RECORD_PAYMENTS = "record_payments"
    READ_FREIGHT_BILLS = "read_freight_bills"  # carriers' freight bills: internal cost, not the customer's
    RECORD_FREIGHT_BILLS = "record_freight_bills"  # record a carrier's bill, settle a disputed one
    READ_PURCHASING = "read_purchasing"
    WRITE_PURCHASING = "write_purchasing"  # POs, shipping notices, reschedules, close, cancel
    RECEIVE_GOODS = "receive_goods"  # PO receipts and transfer receipts
    READ_TRANSFERS = "read_transfers"
    WRITE_TRANSFERS = "write_transfers"
    READ_RETURNS = "read_returns"
    REQUEST_RETURNS = "request_returns"  # authorise a return (an RMA) of delivered goods
    DECIDE_RETURNS = "decide_returns"  # credit a received return, or reject one
    READ_EVENTS = "read_events"
    MANAGE_USERS = "manage_users"  # users, their tokens, the audit trail


C = Capability

_STAFF_READ = frozenset({C.READ_CUSTOMERS, C.READ_PRODUCTS, C.READ_EVENTS})

GRANTS: dict[Role, frozenset[Capability]] = {
    Role.ADMIN: frozenset(Capability),
    Role.SALES: _STAFF_READ
    | {
        C.READ_STOCK,
        C.READ_QUOTES,
        C.WRITE_QUOTES,
        C.READ_ORDERS,
        C.PLACE_ORDERS,
        C.CANCEL_ORDERS,
        C.READ_SHIPMENTS,
        C.READ_INVOICES,
        C.READ_RETURNS,
        C.REQUEST_RETURNS,
    },
    Role.WAREHOUSE: _STAFF_READ
    | {
        C.READ_STOCK,
        C.READ_ORDERS,
        C.FULFIL_ORDERS,
        C.READ_SHIPMENTS,
        C.READ_PURCHASING,
        C.RECEIVE_GOODS,
        C.READ_TRANSFERS,
        C.WRITE_TRANSFERS,
        C.READ_RETURNS,
    },
    Role.PURCHASING: _STAFF_READ
    | {
        C.READ_STOCK,
        C.READ_PURCHASING,
        C.WRITE_PURCHASING,
        C.RECEIVE_GOODS,
        C.READ_TRANSFERS,
        C.WRITE_TRANSFERS,
    },
    Role.FINANCE: _STAFF_READ
    | {
        C.READ_ORDERS,
        C.RELEASE_CREDIT,
        C.READ_SHIPMENTS,
        C.READ_INVOICES,
        C.READ_PAYMENTS,
        C.RECORD_PAYMENTS,
        C.READ_FREIGHT_BILLS,
        C.RECORD_FREIGHT_BILLS,
        C.READ_RETURNS,
        C.DECIDE_RETURNS,
    },
    # Always limited to the portal user's own customer account.
    Role.PORTAL: frozenset(
        {
            C.READ_CUSTOMERS,
            C.READ_PRODUCTS,
            C.READ_QUOTES,
            C.WRITE_QUOTES,
            C.READ_ORDERS,
            C.PLACE_ORDERS,
            C.CANCEL_ORDERS,
            C.READ_SHIPMENTS,
            C.READ_INVOICES,
            C.READ_RETURNS,
            C.REQUEST_RETURNS,
        }
    ),
}


def may(role: Role, capability: Capability) -> bool:
    return capability in GRANTS[role]


def needs_customer(role: Role) -> bool:
    """A portal user belongs to exactly one customer account; staff to none."""
    return role is Role.PORTAL


class NotAuthenticated(O2CError):
    """No credentials, or credentials that identify nobody (unknown, expired or revoked)."""

    code = "not_authenticated"
    http_status = 401


class NotPermitted(O2CError):
    """The caller is known but their role does not allow this."""

    code = "not_permitted"
    http_status = 403
