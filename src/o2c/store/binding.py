"""How values go to the driver and come back: each converted by its column type's own bind and result
processors, as ``Connection.execute`` converts them, with the per-call work of Core done once per
statement (for :class:`~o2c.store.driver.Prepared`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.sql.compiler import SQLCompiler

Params = Mapping[str, Any]
Processor = Callable[[Any], Any]


def no_conversion(values: list[Any]) -> list[Any]:
    return values


def binder(compiled: SQLCompiler, dialect: Dialect) -> Callable[[Params], Any]:
    """A function from ``{name: value}`` to what the DBAPI takes, each value converted by its type: a
    list for positional paramstyles (SQLite), a dict otherwise (psycopg). Literal values of the
    statement (a ``LIMIT 1``, a ``+ 1``) are converted once, here."""
    names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
    if not names:
        return lambda _params: [] if compiled.positional else {}
    constants: dict[str, Any] = {}
    processors: list[Processor | None] = []
    for name in names:
        bind = compiled.binds[name]
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if bind.required:
            processors.append(process)
        else:  # a literal: converted now, passed as it is
            constants[name] = process(bind.effective_value) if process else bind.effective_value
            processors.append(None)
    pick = itemgetter(*names)
    convert = converter(processors)

    def values(params: Params) -> list[Any]:
        if constants:
            params = {**params, **constants}
        picked = pick(params)
        return convert(list(picked) if len(names) > 1 else [picked])

    if compiled.positional:
        return values
    keys = [compiled.escaped_bind_names.get(name, name) for name in names]
    return lambda params: dict(zip(keys, values(params), strict=True))


def as_given(compiled: SQLCompiler, dialect: Dialect) -> list[str] | None:
    """The parameter names in the driver's order (a name used twice is there twice), if the driver
    takes them positionally and none of them is converted or a literal."""
    if not compiled.positional:
        return None
    names = list(compiled.positiontup or ())
    binds = [compiled.binds[name] for name in names]
    if not names or not all(b.required for b in binds):
        return None
    if any(b.type.dialect_impl(dialect).bind_processor(dialect) is not None for b in binds):
        return None
    return names


def row_binder(
    compiled: SQLCompiler, dialect: Dialect, column_keys: list[str] | None
) -> Callable[[Sequence[Any]], Any]:
    """Like :func:`binder`, from a row of values in the order of ``column_keys`` (of an INSERT,
    whose parameters are its columns)."""
    names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
    if column_keys is None or sorted(names) != sorted(column_keys):

        def refuse(_row: Sequence[Any]) -> Any:
            raise TypeError(f"rows of values need an INSERT of its column_keys: {compiled.string}")

        return refuse
    at = [column_keys.index(name) for name in names]
    pick = itemgetter(*at) if len(at) > 1 else lambda row: (row[at[0]],)
    in_order = at == list(range(len(at)))
    convert = converter(
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )

    def values(row: Sequence[Any]) -> list[Any]:
        return convert(list(row) if in_order else list(pick(row)))

    if compiled.positional:
        return values
    keys = [compiled.escaped_bind_names.get(name, name) for name in names]
    return lambda row: dict(zip(keys, values(row), strict=True))


def converter(processors: Iterable[Processor | None]) -> Callable[[list[Any]], list[Any]]:
    """Applies each position's processor, if it has one, to a list of values in place.

    A NULL is passed over by a processor that maps NULL to NULL (asked once, here: processors are
    pure and all take NULL): most values an order writes at entry are NULL or plain integers, and a
    call per value is what costs.
    """
    null_safe: list[tuple[int, Processor]] = []
    always: list[tuple[int, Processor]] = []  # e.g. JSON, which writes None as 'null'
    for i, process in enumerate(processors):
        if process is not None:
            (null_safe if process(None) is None else always).append((i, process))

    if not null_safe and not always:
        return no_conversion
    # Unrolled, one statement per converted position: an order entered runs this for some two dozen
    # rows, and looping over (position, processor) pairs costs about as much as the calls themselves.
    body = [
        f"    v = values[{i}]\n    if v is not None:\n        values[{i}] = p{i}(v)" for i, _ in null_safe
    ]
    # What such a processor makes of NULL is asked once too: an order's idempotency acknowledgement,
    # mostly absent, would otherwise be serialised as JSON on every order.
    body += [f"    v = values[{i}]\n    values[{i}] = n{i} if v is None else p{i}(v)" for i, _ in always]
    namespace: dict[str, Any] = {f"p{i}": process for i, process in (*null_safe, *always)}
    namespace.update({f"n{i}": process(None) for i, process in always})
    exec("def convert(values):\n" + "\n".join(body) + "\n    return values", namespace)
    convert: Callable[[list[Any]], list[Any]] = namespace["convert"]
    return convert
