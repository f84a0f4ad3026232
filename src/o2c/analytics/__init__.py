"""Metrics and models over recorded facts: read-only, with an explicit period or ``as_of``.

What belongs here: service metrics (fill rates, OTIF, cycle times), customer analytics (profitability,
cost-to-serve, zones, ABC/XYZ, lifetime value, SLAs, service-level economics). Aggregation is set-based
SQL (SQLAlchemy Core), never a Python loop over order lines; per-customer or per-SKU arrays may go to
NumPy/SciPy for the models. Nothing here writes to the database except configuration tables owned by
the analytics themselves (activity rates, SLA definitions), through their own functions.
"""
