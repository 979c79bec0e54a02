"""``@record``: frozen value classes behave as ``@dataclass(frozen=True, slots=True)`` ones do."""

from __future__ import annotations

import copy
import functools
import pickle
from dataclasses import FrozenInstanceError

import pytest

from scopecheck.record import field, field_names, record, replace


@record
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = field(default_factory=tuple)
    note: str = field(default="", compare=False, repr=False)
    label: str = field(default="-", kw_only=True)


@record(kw_only=True)
class Settings:
    name: str
    size: int = 1


@record
class Checked:
    low: int
    high: int
    width: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError("low above high")
        object.__setattr__(self, "width", self.high - self.low)


@record(slots=False)
class Cached:
    value: int

    @functools.cached_property
    def doubled(self) -> int:
        return self.value * 2


@record(eq=False)
class Identity:
    value: int


def test_fields_defaults_and_keyword_only_fields() -> None:
    point = Point(1, label="a")
    assert (point.x, point.y, point.tags, point.note, point.label) == (1, 0, (), "", "a")
    assert Point(1, 2, ("t",), "n").tags == ("t",)
    with pytest.raises(TypeError):
        Point(1, 2, (), "n", "positional label")
    assert Settings(name="n").size == 1
    with pytest.raises(TypeError):
        Settings("n")
    assert field_names(Point) == ("x", "y", "tags", "note", "label")
    assert Point.__match_args__ == ("x", "y", "tags", "note")


def test_a_default_factory_gives_each_instance_its_own_value() -> None:
    @record
    class Bag:
        items: list = field(default_factory=list)

    first, second = Bag(), Bag()
    first.items.append(1)
    assert second.items == []


def test_equality_and_hash_leave_out_fields_not_compared() -> None:
    assert Point(1, 2, note="one") == Point(1, 2, note="other")
    assert hash(Point(1, 2, note="one")) == hash(Point(1, 2, note="other"))
    assert Point(1, 2) != Point(1, 3)
    assert Point(1) != (1, 0, (), "-")
    assert len({Point(1), Point(1), Point(2)}) == 2
    assert Identity(1) != Identity(1)


def test_repr_shows_the_fields_in_order_without_those_hidden() -> None:
    assert repr(Point(1, 2, note="secret", label="l")) == "Point(x=1, y=2, tags=(), label='l')"


def test_instances_are_frozen_and_slotted() -> None:
    point = Point(1)
    with pytest.raises(FrozenInstanceError):
        point.x = 2
    with pytest.raises(FrozenInstanceError):
        del point.x
    assert not hasattr(point, "__dict__")


def test_post_init_runs_and_fields_out_of_init_get_their_default() -> None:
    assert Checked(1, 4).width == 3
    with pytest.raises(ValueError, match="low above high"):
        Checked(5, 1)
    with pytest.raises(TypeError):
        Checked(1, 2, 3)


def test_pickle_copy_and_replace_keep_the_values() -> None:
    point = Point(1, 2, ("a",), "n", label="l")
    for copied in (pickle.loads(pickle.dumps(point)), copy.copy(point), copy.deepcopy(point)):
        assert copied == point and copied.note == "n" and copied.label == "l"
    assert replace(point, y=5) == Point(1, 5, ("a",), label="l")
    assert replace(point, y=5).note == "n"
    with pytest.raises(ValueError):
        replace(Checked(1, 2), high=0)  # made through __init__, so checked again


def test_a_record_with_a_dict_keeps_cached_properties() -> None:
    cached = Cached(4)
    assert cached.doubled == 8 and cached.doubled == 8
    assert Cached(4) == Cached(4)
    with pytest.raises(FrozenInstanceError):
        cached.value = 5
    assert pickle.loads(pickle.dumps(cached)).value == 4


def test_a_field_without_a_default_after_one_with_a_default_is_refused() -> None:
    with pytest.raises(TypeError, match="'b' without a default follows 'a'"):
        @record
        class Wrong:
            a: int = 1
            b: int


def test_pattern_matching_by_position() -> None:
    match Point(1, 2):
        case Point(1, y):
            assert y == 2
        case _:
            pytest.fail("did not match")
