"""Pure business rules of the order-to-cash cycle: state machines, allocation, pricing, credit.

Nothing here does I/O or imports a framework (SQLAlchemy, FastAPI, Typer, pandas); time comes in
through :class:`o2c.domain.clock.Clock`. ``tests/unit/test_layering.py`` enforces it.
"""
