"""Readiness: can the database be reached, and is it at this version's schema?"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from o2c.store.migrate import current_revision, head_revision


def database_ready(engine: Engine) -> str | None:
    """None when ready; otherwise why not, in one line."""
    try:
        current = current_revision(engine)
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        return f"database unreachable: {str(cause).strip().splitlines()[0]}"
    if current != head_revision():
        return f"database schema is {current}, not {head_revision()}: run `o2c init`"
    return None
