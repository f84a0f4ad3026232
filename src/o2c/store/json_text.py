"""JSON text as the store writes it: ``json.dumps``'s text, from an encoder made once.

``json.dumps`` builds a new C encoder on every call, and for a small document (an event's payload, an
order's acknowledgement) building it costs more than encoding. :func:`dumps` makes its encoder once.
It skips the circular-reference check, so one encoder can serve every call and every thread (the
check keeps per-call state): what the store serialises is built by o2c's own code and is never
circular. Otherwise the text is exactly ``json.dumps``'s (separators, ASCII escapes, key order,
``NaN``), so rows written either way compare equal. The engines use it for their JSON columns
(:func:`o2c.store.database.create_db_engine`).
"""

from __future__ import annotations

import json
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

_plain = json.JSONEncoder(check_circular=False)  # json.dumps's defaults, but for the check
# None on an interpreter without the C accelerator: the pure-Python encoder then.
_encode = (
    None
    if c_make_encoder is None
    else c_make_encoder(None, _plain.default, encode_basestring_ascii, None, ": ", ", ", False, False, True)
)


# A plain module function, not a closure: psycopg warns of closures given as its JSON dumper.
def dumps(value: Any) -> str:
    if _encode is None:
        return _plain.encode(value)
    return "".join(_encode(value, 0))


__all__ = ["dumps"]
