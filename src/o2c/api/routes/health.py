"""Liveness and readiness probes (no authentication)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from o2c.api.deps import RuntimeDep
from o2c.services.health import database_ready

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "The database is not reachable or not migrated"}})
def readyz(runtime: RuntimeDep) -> JSONResponse:
    """The database is reachable and at this version's schema."""
    problem = database_ready(runtime.engine)
    if problem is not None:
        return JSONResponse({"status": "unavailable", "reason": problem}, status_code=503)
    return JSONResponse({"status": "ready"})
