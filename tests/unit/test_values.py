"""domain.values.quick_init: a frozen dataclass with the quicker constructor behaves as before."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from o2c.domain.values import quick_init


@quick_init
@dataclass(frozen=True)
class Sample:
    a: int
    b: str = "b"
    items: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Plain:
    a: int
    b: str = "b"
    items: list[int] = field(default_factory=list)


def test_builds_as_the_dataclass_does_positionally_by_keyword_and_with_defaults() -> None:
    for args, kwargs in [((1,), {}), ((1, "x"), {}), ((), {"a": 2, "items": [3]}), ((4,), {"b": "y"})]:
        quick, plain = Sample(*args, **kwargs), Plain(*args, **kwargs)
        assert dataclasses.asdict(quick) == dataclasses.asdict(plain)
    assert Sample(1).items is not Sample(1).items  # a fresh default from the factory each time


def test_stays_frozen_comparable_and_hashable() -> None:
    sample = Sample(1, "x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        sample.a = 2  # type: ignore[misc]
    assert sample == Sample(1, "x") and sample != Sample(2, "x")
    assert hash(SampleHashable(1)) == hash(SampleHashable(1))
    assert dataclasses.replace(sample, b="z") == Sample(1, "z")
    assert repr(sample) == "Sample(a=1, b='x', items=[])"


@quick_init
@dataclass(frozen=True)
class SampleHashable:
    a: int


def test_wrong_arguments_fail_as_before() -> None:
    with pytest.raises(TypeError):
        Sample()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Sample(1, c=2)  # type: ignore[call-arg]


def test_refuses_what_it_does_not_handle() -> None:
    @dataclass
    class Mutable:
        a: int

    @dataclass(frozen=True)
    class WithPostInit:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclass(frozen=True, slots=True)
    class Slotted:
        a: int

    for cls in (Mutable, WithPostInit, Slotted):
        with pytest.raises(TypeError):
            quick_init(cls)
