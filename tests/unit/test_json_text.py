"""The store's JSON text: orjson's compact text, read back as json.dumps's would be, and valid JSON."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from o2c.store.json_text import dumps

DOCUMENTS: list[Any] = [
    {"customer": "ACME", "lines": 5, "total": "107.99"},
    {"lines": [{"line_no": 1, "allocated": 3, "backordered": 0, "lost": 0}]},
    {"note": 'quoted "text", caf\u00e9 \u2013 \U0001f600', "empty": {}, "none": None, "flags": [True, False]},
    {1: "integer key", "float": 1.5},
    [],
    "a bare string",
    42,
    None,
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_text_reads_back_as_json_dumps_text_does(document: Any) -> None:
    assert json.loads(dumps(document)) == json.loads(json.dumps(document))


def test_the_text_is_compact_keeps_the_key_order_and_writes_utf8_as_it_is() -> None:
    assert dumps({"b": [1, 2], "a": {"x": None}}) == '{"b":[1,2],"a":{"x":null}}'
    assert dumps({"note": "caf\u00e9"}) == '{"note":"caf\u00e9"}'
    assert dumps({7: "seven"}) == '{"7":"seven"}'  # a key as its text, as json.dumps writes it


def test_a_number_json_cannot_hold_is_written_as_null_not_as_invalid_json() -> None:
    """json.dumps would write NaN and -Infinity, which PostgreSQL's json type refuses."""
    text = dumps({"nan": math.nan, "inf": -math.inf})
    assert text == '{"nan":null,"inf":null}'
    assert json.loads(text) == {"nan": None, "inf": None}


def test_it_refuses_what_it_cannot_write_and_keeps_working() -> None:
    with pytest.raises(TypeError):
        dumps({"when": object()})
    assert dumps({"after": "a failure"}) == '{"after":"a failure"}'
