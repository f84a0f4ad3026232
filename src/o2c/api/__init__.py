"""The HTTP API (FastAPI): versioned resources under ``/api/v1`` over the service layer.

Routes call services only, never SQL; one module per resource under ``routes/``. Errors of the
``O2CError`` family become RFC 9457 problem documents in one handler (:mod:`o2c.api.problems`);
authentication is a bearer API token, authorisation a role's capabilities (:mod:`o2c.domain.access`),
and a portal user sees only its own customer's documents. Every mutation is audited in the same
transaction as the change (:class:`o2c.services.audit.AuditedUnitOfWork`).
"""

from o2c.api.app import create_app

__all__ = ["create_app"]
