"""A quicker constructor for the frozen dataclasses built by the dozen on every order entered.

A frozen dataclass's ``__init__`` stores each field through ``object.__setattr__`` (its own
``__setattr__`` refuses), a call per field: a five-line order builds some forty such values (stock
positions, reservations, priced lines, line summaries) and spent more time in those calls than in
anything it computes. :func:`quick_init` gives such a class an ``__init__`` with the same signature
that writes the fields into the instance's ``__dict__`` at once. Nothing else changes: the class stays
frozen (assignment still raises), compares, hashes and prints as before.
"""

from __future__ import annotations

import inspect
from dataclasses import MISSING, fields, is_dataclass
from typing import Any, TypeVar

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Replace the ``__init__`` of a frozen dataclass (no slots, no ``__post_init__``, no init-only
    or keyword-only fields) with one that fills ``__dict__`` directly; anything else is refused."""
    params = getattr(cls, "__dataclass_params__", None)
    if not is_dataclass(cls) or params is None or not params.frozen:
        raise TypeError(f"{cls.__name__} is not a frozen dataclass")
    if "__slots__" in cls.__dict__ or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has slots or a __post_init__: keep the dataclass's own __init__")
    declared = fields(cls)
    if len(declared) != len(cls.__dataclass_fields__) or any(not f.init or f.kw_only for f in declared):
        raise TypeError(f"{cls.__name__} has fields the quick __init__ does not handle")
    if any(f.name in ("self", "held") or f.name.startswith("_") for f in declared):
        raise TypeError(f"{cls.__name__} has a field name the quick __init__ uses itself")
    env: dict[str, Any] = {"_MISSING": MISSING}
    signature, prepare = [], []
    for f in declared:
        if f.default is not MISSING:
            env[f"_default_{f.name}"] = f.default
            signature.append(f"{f.name}=_default_{f.name}")
        elif f.default_factory is not MISSING:
            env[f"_factory_{f.name}"] = f.default_factory
            signature.append(f"{f.name}=_MISSING")
            prepare.append(f"    if {f.name} is _MISSING: {f.name} = _factory_{f.name}()")
        else:
            signature.append(f.name)
    source = "\n".join(
        [
            f"def __init__(self, {', '.join(signature)}):",
            *prepare,
            "    held = self.__dict__",
            *(f"    held[{f.name!r}] = {f.name}" for f in declared),
        ]
    )
    exec(source, env)
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    before = inspect.signature(cls.__init__)
    if list(inspect.signature(init).parameters) != list(before.parameters):
        raise AssertionError(f"quick __init__ of {cls.__name__} would change its signature")
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
