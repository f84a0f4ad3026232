"""o2c: order-to-cash and customer service.

Layers, innermost first: ``domain`` (pure rules), ``store`` (tables, repositories, unit of work,
migrations), ``services`` (one module per business process, each call one transaction),
``analytics`` (metrics over recorded facts), and the entry points ``cli``, ``api`` and ``sim``.
Dependencies point inward: ``domain`` imports nothing of the others.
"""

__version__ = "0.1.0"
