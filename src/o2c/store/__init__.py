"""Persistence: tables, exact column types, repositories, the unit of work and Alembic migrations.

SQLAlchemy Core rather than the ORM: the hot paths (placing an order, reserving stock) write a handful
of rows with guarded SQL and must stay close to raw-driver speed. Repositories map rows to the plain
domain objects of :mod:`o2c.domain` and never commit; the unit of work does.
"""
