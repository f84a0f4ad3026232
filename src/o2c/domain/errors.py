"""The one error family of o2c.

Every refusal a user can cause is an :class:`O2CError` with a stable ``code`` and the context that
explains it. The CLI and the HTTP API each map this family to an exit status / HTTP status in exactly
one place, so a new error needs no new handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class O2CError(Exception):
    """Base of every error that is the caller's to fix (bad input, illegal action, conflict)."""

    code = "o2c_error"
    http_status = 400

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return self.message


class ValidationFailed(O2CError):
    """Input that breaks a rule; ``field`` names the offending input where there is one."""

    code = "validation_failed"
    http_status = 422

    def __init__(self, message: str, *, field: str | None = None, **context: Any) -> None:
        super().__init__(message, field=field, **context)
        self.field = field


class NotFound(O2CError):
    code = "not_found"
    http_status = 404


class IllegalTransition(O2CError):
    """An action the current state of an order, shipment or invoice does not allow."""

    code = "illegal_transition"
    http_status = 409


class IdempotencyConflict(O2CError):
    """The idempotency key was already used for a different request body."""

    code = "idempotency_conflict"
    http_status = 409


class Conflict(O2CError):
    """Something changed underneath the caller (duplicate key, stale version)."""

    code = "conflict"
    http_status = 409


class StaleOrder(Conflict):
    """The order was saved by another transaction since it was read: re-run the use case."""

    code = "stale_order"


@dataclass(frozen=True)
class RowProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class ImportRejected(O2CError):
    """A CSV file with at least one bad row: nothing was imported; every bad row is listed."""

    code = "import_rejected"
    http_status = 422

    def __init__(self, source: str, problems: list[RowProblem]) -> None:
        summary = "; ".join(str(p) for p in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(
            f"{source}: {len(problems)} bad row(s), nothing imported: {summary}{more}",
            source=source,
            problems=[{"line": p.line, "reason": p.reason} for p in problems],
        )
        self.problems = problems
