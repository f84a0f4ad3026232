"""The store's JSON text is json.dumps's, character for character, from an encoder made once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from o2c.store.json_text import dumps

DOCUMENTS: list[Any] = [
    {"customer": "ACME", "lines": 5, "total": "107.99"},
    {"lines": [{"line_no": 1, "allocated": 3, "backordered": 0, "lost": 0}]},
    {"note": 'quoted "text", caf\u00e9 \u2013 \U0001f600', "empty": {}, "none": None, "flags": [True, False]},
    {1: "integer key", "float": 1.5, "nan": float("nan"), "inf": float("-inf")},
    [],
    "a bare string",
    42,
    None,
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_text_is_json_dumps_text(document: Any) -> None:
    assert dumps(document) == json.dumps(document)


def test_it_refuses_what_json_dumps_refuses_and_keeps_working() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"when": object()})
    assert dumps({"after": "a failure"}) == '{"after": "a failure"}'
