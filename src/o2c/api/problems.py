"""RFC 9457 problem details: the one place where errors become HTTP responses.

Every ``O2CError`` carries its ``code`` and ``http_status``, so a new error needs no new handler here.
Validation errors name the offending field; database data errors (a value the column cannot hold) are
the caller's input too (422); nothing reaches the client as a bare 500 page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException

from o2c.domain.errors import O2CError, ValidationFailed

log = logging.getLogger("o2c.api")

PROBLEM_JSON = "application/problem+json"


class BodyTooLarge(O2CError):
    code = "body_too_large"
    http_status = 413


class RateLimited(O2CError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    code: str
    field: str | None = None
    errors: list[FieldProblem] = []
    context: dict[str, Any] = {}


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    instance: str | None = None,
    errors: list[FieldProblem] | None = None,
    context: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    errors = errors or []
    body = Problem(
        type=f"urn:o2c:problem:{code}",
        title=code.replace("_", " ").capitalize(),
        status=status,
        detail=detail,
        instance=instance,
        code=code,
        field=errors[0].field if errors else None,
        errors=errors,
        context=to_jsonable_python(context or {}, fallback=str),
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def field_path(location: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "lines", 0, "sku")`` → ``lines[0].sku``; the source (body, query …) is dropped."""
    path = ""
    for part in location[1:] if location and location[0] in ("body", "query", "path", "header") else location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or str(location[0] if location else "input")


def _pydantic_problem(error: Mapping[str, Any]) -> FieldProblem:
    if error.get("type") == "json_invalid":  # its location is a character position, not a field
        reason = error.get("ctx", {}).get("error", "")
        return FieldProblem(field="body", message=f"not valid JSON: {reason} at character {error['loc'][-1]}")
    return FieldProblem(field=field_path(error.get("loc", ())), message=str(error.get("msg", "")))


def _pydantic_problems(errors: list[Any]) -> list[FieldProblem]:
    return [_pydantic_problem(e) for e in errors]


def o2c_error(request: Request, error: O2CError) -> JSONResponse:
    errors = None
    if isinstance(error, ValidationFailed) and error.field:
        errors = [FieldProblem(field=error.field, message=error.message)]
    headers: dict[str, str] | None = {"WWW-Authenticate": "Bearer"} if error.http_status == 401 else None
    if isinstance(error, RateLimited):
        headers = {"Retry-After": str(error.retry_after)}
    context = {k: v for k, v in error.context.items() if k != "field" and v is not None}
    return problem_response(
        error.http_status,
        error.code,
        error.message,
        instance=request.url.path,
        errors=errors,
        context=context,
        headers=headers,
    )


def request_invalid(request: Request, error: RequestValidationError | ValidationError) -> JSONResponse:
    problems = _pydantic_problems(list(error.errors()))
    detail = "; ".join(f"{p.field}: {p.message}" for p in problems[:5])
    return problem_response(
        422, "validation_failed", detail or "invalid request", instance=request.url.path, errors=problems
    )


def http_error(request: Request, error: HTTPException) -> JSONResponse:
    if error.status_code == 400:  # the framework could not parse the body (not UTF-8, a broken form)
        problem = FieldProblem(field="body", message="the request body cannot be parsed: send JSON in UTF-8")
        return problem_response(
            422, "validation_failed", problem.message, instance=request.url.path, errors=[problem]
        )
    code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, f"http_{error.status_code}")
    return problem_response(
        error.status_code, code, str(error.detail), instance=request.url.path, headers=error.headers
    )


def data_error(request: Request, error: DataError) -> JSONResponse:
    reason = str(error.orig).strip().splitlines()[0] if error.orig else "value out of range"
    return problem_response(
        422, "validation_failed", f"a value cannot be stored: {reason}", instance=request.url.path
    )


def database_unavailable(request: Request, error: OperationalError) -> JSONResponse:
    log.error("database error on %s: %s", request.url.path, error)
    return problem_response(
        503, "database_unavailable", "the database is unavailable", instance=request.url.path
    )


def unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error on %s", request.url.path, exc_info=error)
    return problem_response(500, "internal_error", "an unexpected error occurred", instance=request.url.path)


def install(app: FastAPI) -> None:
    app.add_exception_handler(O2CError, o2c_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, request_invalid)  # type: ignore[arg-type]
    app.add_exception_handler(ValidationError, request_invalid)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(DataError, data_error)  # type: ignore[arg-type]
    app.add_exception_handler(OperationalError, database_unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, unexpected)


_PROBLEM_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
    429: {
        "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}
    },
}

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": Problem,
        "content": {PROBLEM_JSON: {}},
        "description": description,
        **({"headers": _PROBLEM_HEADERS[status]} if status in _PROBLEM_HEADERS else {}),
    }
    for status, description in (
        (401, "No valid bearer token"),
        (403, "The role does not allow this"),
        (404, "Unknown, or not yours"),
        (409, "Illegal transition, idempotency-key reuse with another body, or stale version"),
        (413, "Request body too large"),
        (422, "Invalid input; `field` names the offending field"),
        (429, "Rate limited; see Retry-After"),
    )
}
