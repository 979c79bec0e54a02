"""Frozen value classes, made without compiling code at import: ``@record``.

In: a class with annotated fields. Out: the class as ``@dataclass(frozen=True, slots=True)``
would make it, for the parts scopecheck uses: fields with defaults or ``field(...)`` (a default
factory, left out of ``__init__``, of equality or of ``repr``, keyword-only), ``__post_init__``,
equality and hashing over the compared fields, ``repr``, ``__match_args__``, pickling, and
``replace``.

Why not ``dataclasses``: it writes and compiles six methods for each frozen class as the class is
defined, about half a millisecond a class. The hundred value classes a command imports cost 45 ms
that way, more than importing click, on every start. Here equality, hashing and ``repr`` are
built from ``operator.attrgetter`` without compiling anything, and ``__init__`` (which must be as
fast as written by hand, as decisions are made in the millions) is compiled the first time the
class is instantiated, so a class a run never makes costs nothing.

Classes are not meant to inherit from a record; a record's base classes give it no fields.
"""

from __future__ import annotations

import operator
from dataclasses import MISSING, FrozenInstanceError
from typing import Any, TypeVar

T = TypeVar("T")

_FACTORY = object()  # the default of a parameter whose field has a default factory


class Field:
    """One field of a record: what ``field(...)`` says of it, and its name once placed."""

    __slots__ = ("name", "default", "default_factory", "init", "repr", "compare", "hash", "kw_only")

    def __init__(self, default: Any = MISSING, default_factory: Any = MISSING, init: bool = True,
                 repr: bool = True, compare: bool = True, hash: bool | None = None, kw_only: bool = False):
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("a field cannot have both a default and a default factory")
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare
        self.hash = compare if hash is None else hash
        self.kw_only = kw_only

    @property
    def has_default(self) -> bool:
        return self.default is not MISSING or self.default_factory is not MISSING


def field(*, default: Any = MISSING, default_factory: Any = MISSING, init: bool = True, repr: bool = True,
          compare: bool = True, hash: bool | None = None, kw_only: bool = False) -> Any:
    """A field with more to say than its default; it is hashed when it is compared, unless ``hash`` says otherwise."""
    return Field(default, default_factory, init, repr, compare, hash, kw_only)


def record(cls: type[T] | None = None, /, *, slots: bool = True, eq: bool = True, kw_only: bool = False) -> Any:
    """Make ``cls`` a frozen value class. ``slots=False`` keeps the instances' ``__dict__``
    (for ``functools.cached_property``); ``eq=False`` keeps identity for equality and hashing;
    ``kw_only`` makes every field keyword-only."""

    def make(cls: type[T]) -> type[T]:
        return _make(cls, slots, eq, kw_only)

    return make if cls is None else make(cls)


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of the record ``obj`` with ``changes``, made through its ``__init__`` (so
    ``__post_init__`` runs again), as ``dataclasses.replace`` does."""
    for spec in obj.__record_fields__:
        if spec.init and spec.name not in changes:
            changes[spec.name] = getattr(obj, spec.name)
    return obj.__class__(**changes)


def field_names(obj: object) -> tuple[str, ...]:
    """The field names of a record (class or instance), in the order they are declared."""
    return tuple(spec.name for spec in obj.__record_fields__)


def is_record(obj: object) -> bool:
    return hasattr(type(obj), "__record_fields__")


def _make(cls: type, slots: bool, eq: bool, kw_only: bool) -> type:
    fields = []
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if isinstance(annotation, str) and annotation.startswith(("ClassVar", "typing.ClassVar")):
            continue
        value = cls.__dict__.get(name, MISSING)
        spec = value if isinstance(value, Field) else Field(default=value)
        spec.name = name
        spec.kw_only = spec.kw_only or kw_only
        fields.append(spec)
    _check_defaults(cls, fields)
    fields_t = tuple(fields)
    names = tuple(spec.name for spec in fields)
    methods: dict[str, Any] = {
        "__record_fields__": fields_t,
        "__match_args__": tuple(spec.name for spec in fields if spec.init and not spec.kw_only),
        "__init__": _init_on_first_use(),
        "__repr__": _repr_of(tuple(spec.name for spec in fields if spec.repr)),
        "__setattr__": _frozen_setattr,
        "__delattr__": _frozen_delattr,
    }
    if eq:
        methods.update(_equality_of(tuple(spec.name for spec in fields if spec.compare),
                                    tuple(spec.name for spec in fields if spec.hash)))
    if slots:
        methods.update(__getstate__=_getstate_of(names), __setstate__=_setstate_of(names))
    # What the class writes itself it keeps (a calendar pickles without what it remembers).
    methods = {name: method for name, method in methods.items() if name not in cls.__dict__ or name.startswith("__record")}
    if slots:
        namespace = {key: value for key, value in cls.__dict__.items() if key not in names and key not in ("__dict__", "__weakref__")}
        namespace.update(methods, __slots__=names)
        made = type(cls)(cls.__name__, cls.__bases__, namespace)
    else:
        made = cls
        for name, value in methods.items():
            setattr(made, name, value)
        for spec in fields:  # the class attribute is the default, as in a dataclass
            if spec.default is not MISSING:
                setattr(made, spec.name, spec.default)
            elif spec.name in cls.__dict__:
                delattr(made, spec.name)
    if "__init__" in methods:
        made.__init__.owner = made
    return made


def _check_defaults(cls: type, fields: list[Field]) -> None:
    seen_default = None
    for spec in fields:
        if not spec.init or spec.kw_only:
            continue
        if spec.has_default:
            seen_default = spec.name
        elif seen_default is not None:
            raise TypeError(f"{cls.__qualname__}: field {spec.name!r} without a default follows {seen_default!r}, which has one")


def _init_on_first_use():
    """An ``__init__`` that compiles the class's own on its first call and puts it in its place."""

    def __init__(self, *args, **kwargs):
        owner = __init__.owner
        compiled = owner.__init__ = _compile_init(owner)
        compiled(self, *args, **kwargs)

    return __init__


def _compile_init(owner: type):
    # Only field names (identifiers the class declares) reach the source; defaults and factories
    # are bound by name in its globals.
    scope: dict[str, Any] = {"_set": object.__setattr__, "_FACTORY": _FACTORY}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for spec in owner.__record_fields__:
        name = spec.name
        if spec.default is not MISSING:
            scope[f"_default_{name}"] = spec.default
        if spec.default_factory is not MISSING:
            scope[f"_factory_{name}"] = spec.default_factory
        if spec.init:
            if spec.default is not MISSING:
                parameter, value = f"{name}=_default_{name}", name
            elif spec.default_factory is not MISSING:
                parameter, value = f"{name}=_FACTORY", f"_factory_{name}() if {name} is _FACTORY else {name}"
            else:
                parameter, value = name, name
            (keyword if spec.kw_only else positional).append(parameter)
        elif spec.default is not MISSING:
            value = f"_default_{name}"
        elif spec.default_factory is not MISSING:
            value = f"_factory_{name}()"
        else:
            continue
        body.append(f"    _set(self, {name!r}, {value})")
    if hasattr(owner, "__post_init__"):
        body.append("    self.__post_init__()")
    parameters = ["self", *positional, *(["*", *keyword] if keyword else [])]
    source = f"def __init__({', '.join(parameters)}):\n" + ("\n".join(body) or "    pass") + "\n"
    exec(compile(source, f"<record {owner.__qualname__}>", "exec"), scope)
    compiled = scope["__init__"]
    compiled.__qualname__ = f"{owner.__qualname__}.__init__"
    compiled.__module__ = owner.__module__
    return compiled


def _repr_of(shown: tuple[str, ...]):
    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}({', '.join(f'{name}={getattr(self, name)!r}' for name in shown)})"

    return __repr__


def _equality_of(compared: tuple[str, ...], hashed: tuple[str, ...]) -> dict[str, Any]:
    key = _key_of(compared)
    hash_key = key if hashed == compared else _key_of(hashed)

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(hash_key(self))

    return {"__eq__": __eq__, "__hash__": __hash__}


def _key_of(names: tuple[str, ...]):
    return operator.attrgetter(*names) if names else (lambda _: ())


def _frozen_setattr(self, name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate_of(names: tuple[str, ...]):
    def __getstate__(self) -> list:
        return [getattr(self, name) for name in names]

    return __getstate__


def _setstate_of(names: tuple[str, ...]):
    def __setstate__(self, state: list) -> None:
        for name, value in zip(names, state):
            object.__setattr__(self, name, value)

    return __setstate__
