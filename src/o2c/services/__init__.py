"""Use cases, one module per business process; each public function is one transaction.

A service takes plain values or a Pydantic request and a :class:`~o2c.store.uow.UnitOfWork`, and returns
numbers or plain result objects, never database rows. Time comes from ``uow.clock``.
"""
