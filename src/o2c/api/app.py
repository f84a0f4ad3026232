"""The FastAPI application: settings, engine, limits, problem handlers and the versioned routers."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import Engine

from o2c import __version__
from o2c.api import problems
from o2c.api.deps import Runtime, known_query
from o2c.api.limits import FailedLogins, LimitsMiddleware, TokenBuckets
from o2c.api.routes import (
    access,
    catalogue,
    documents,
    freight,
    health,
    orders,
    planning,
    quotes,
    returns,
    supply,
)
from o2c.api.settings import ApiSettings
from o2c.domain.clock import Clock, SystemClock
from o2c.store.database import create_db_engine

API_PREFIX = "/api/v1"

DESCRIPTION = """\
Order-to-cash over HTTP. Authenticate with `Authorization: Bearer <token>` (get one from
`POST /api/v1/auth/token` or `o2c token create`). Errors are RFC 9457 `application/problem+json`
documents with a stable `code` and, for invalid input, the offending `field`. Creating requests take an
`Idempotency-Key` header; actions on orders, purchase orders, transfers, returns and shipments take
`If-Match` with the ETag the document was read with. Lists are paged with `limit` / `offset` and
report `next_offset` (null on the last page). A query parameter an operation does not take, or an
empty filter, is a 422.
"""


def operation_id(route: APIRoute) -> str:
    """Stable operation ids for generated clients: ``orders_create_order``, ``orders_cancel``."""
    return f"{route.tags[0]}_{route.name}" if route.tags else route.name


def create_app(
    settings: ApiSettings | None = None, *, engine: Engine | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or ApiSettings()
    engine = engine or create_db_engine(settings.database_url)
    app = FastAPI(
        title="o2c",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        responses=problems.PROBLEM_RESPONSES,
        generate_unique_id_function=operation_id,
    )
    app.state.runtime = Runtime(
        settings,
        engine,
        clock or SystemClock(),
        FailedLogins(
            settings.login_attempts, settings.login_window_seconds, settings.login_attempts_per_address
        ),
    )
    problems.install(app)
    app.add_middleware(
        LimitsMiddleware,
        max_body_bytes=settings.max_body_bytes,
        buckets=TokenBuckets(settings.rate_per_second, settings.rate_burst),
    )
    app.include_router(health.router)
    api = APIRouter(prefix=API_PREFIX, dependencies=[Depends(known_query)])
    for module in (access, catalogue, quotes, orders, documents, freight, returns, planning, supply):
        api.include_router(module.router)
    app.include_router(api)
    return app
