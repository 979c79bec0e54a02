"""The agreement as every later stage sees it, and the types its fields have in rules.

In: nothing (this module only declares) except the published JSON Schema, read once from
``scopecheck/schemas/agreement.schema.json``. Out: the frozen ``Agreement`` value and its parts,
and ``agreement_field_type`` / ``agreement_field_names``, which the rule checker uses to type and
suggest ``agreement.<path>`` and ``client.<path>``. Both are derived from the schema's
``properties``, ``$ref``s and ``x-type`` annotations, so the schema stays the one description of
the file; the loader (``load.py``) walks the same schema to normalise values.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

from scopecheck.calendar import BusinessCalendar
from scopecheck.diagnostics import Span
from scopecheck.record import field, record
from scopecheck.values import ANY, SCALAR_TYPES, Type, enum_of, list_of, record_of
from scopecheck.yamlsource import SourceMap

_NOTHING: Mapping = MappingProxyType({})

PRICING_MODELS = ("per_user", "per_device", "flat_rate", "block_hours", "retainer")


@record
class Client:
    """Who the agreement is with."""

    name: str
    id: str | None = None
    contact: str | None = None


@record
class Term:
    """The first and last day the agreement is in force, both inclusive."""

    start: dt.date
    end: dt.date

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@record
class Fees:
    """The recurring monthly fee; which one applies depends on the plan's model."""

    per_user: Decimal | None = None
    per_device: Mapping[str, Decimal] = field(default_factory=lambda: _NOTHING)
    flat: Decimal | None = None
    retainer: Decimal | None = None


@record
class Plan:
    """How the recurring fee is computed (``model`` is one of ``PRICING_MODELS``)."""

    model: str
    term: Term
    fees: Fees = Fees()


@record
class Rates:
    """Hourly rates for billable work.

    ``contract_discount`` is a fraction (10% is 0.10). Billable time is rounded up to a whole
    number of ``increment`` and is never less than ``minimum`` (see ``pricing``).
    """

    standard: Decimal
    roles: Mapping[str, Decimal] = field(default_factory=lambda: _NOTHING)
    work_types: Mapping[str, Decimal] = field(default_factory=lambda: _NOTHING)
    contract_discount: Decimal = Decimal(0)
    minimum: dt.timedelta = dt.timedelta(0)
    increment: dt.timedelta = dt.timedelta(minutes=1)

    def hourly_rate(self, role: str | None, work_type: str | None = None) -> Decimal:
        """The most specific rate the agreement names: the work type's, else the role's, else
        the standard rate. A work type (onsite, remote) is what PSA suites price by; a role
        (engineer) is who did it, and an agreement that names both means the work type to win."""
        if work_type and work_type in self.work_types:
            return self.work_types[work_type]
        if role and role in self.roles:
            return self.roles[role]
        return self.standard


PREMIUM_KINDS = ("after_hours", "holiday", "emergency")


@record
class Premiums:
    """Rate multipliers (1 charges no premium) and the premiums the contract waives."""

    after_hours: Decimal = Decimal(1)
    holiday: Decimal = Decimal(1)
    emergency: Decimal = Decimal(1)
    waived: frozenset[str] = frozenset()


@record
class CoveredDevice:
    """One device from a coverage list written as ``{id, class}``."""

    id: str
    device_class: str


@record
class Coverage:
    """Who and what the plan covers.

    ``users`` is always a count; when the agreement lists names, ``user_names`` keeps them.
    ``devices`` is always counts by class; when the agreement lists devices, ``device_list``
    keeps them.
    """

    users: int | None = None
    user_names: tuple[str, ...] = ()
    devices: Mapping[str, int] = field(default_factory=lambda: _NOTHING)
    device_list: tuple[CoveredDevice, ...] = ()
    printers: int | None = None
    user_ceiling: int | None = None
    device_ceiling: int | None = None

    @property
    def device_count(self) -> int | None:
        """All covered devices, for the devices-per-user ratio (DOMAIN.md: 1.5 and 2.0)."""
        return sum(self.devices.values()) if self.devices else None


@record
class ParamOverride:
    """``params.<name>: value`` as written; the rule file's ``param`` declaration types it.

    ``span`` is where the value was written, ``name_span`` where the name was.
    """

    name: str
    value: object
    span: Span
    name_span: Span | None = None


@record
class RuleFileRef:
    """One entry of ``rules``: a standard library file by name, or a path relative to the
    agreement's folder (``is_path``)."""

    target: str
    is_path: bool
    span: Span


@record
class PrepaidBlock:
    """One block of hours bought in advance (``prepaid.blocks``).

    ``minutes`` is what it holds; ``price`` what the client paid for it (written, or its rate x
    its hours, rounded to the currency's minor unit). It can be drawn on from ``purchased`` to
    ``expires``, both inclusive; ``expires`` is ``None`` for a block that never expires.
    """

    id: str
    minutes: int
    price: Decimal
    purchased: dt.date
    expires: dt.date | None = None

    def usable_on(self, day: dt.date) -> bool:
        return self.purchased <= day and (self.expires is None or day <= self.expires)


@record
class Prepaid:
    """The prepaid hours of a ``block_hours`` plan, blocks in the order they were written.

    ``warn_below``: when the usable hours left fall below it, the balance report warns.
    """

    blocks: tuple[PrepaidBlock, ...]
    warn_below: dt.timedelta | None = None


# Keyword-only so that fields added later can have defaults without breaking any caller.
@record(kw_only=True)
class Agreement:
    """One client's agreement, loaded and validated.

    ``calendar`` holds the time zone, business hours and holidays together, as one value the
    evaluator asks whether a moment is in business hours. ``path`` is the file as it was named; ``folder`` is its resolved directory, the root beyond
    which rule files may not be imported. ``document`` is the whole file normalised and
    read-only (money as Decimal, percentages as Decimal fractions, dates as ``datetime.date``,
    defaults filled in); it is what rules read through ``agreement.<path>``.
    """

    path: str
    folder: Path
    client: Client
    plan: Plan
    currency: str
    timezone: str = "UTC"
    calendar: BusinessCalendar
    rates: Rates
    premiums: Premiums = Premiums()
    coverage: Coverage
    params: tuple[ParamOverride, ...]
    rule_files: tuple[RuleFileRef, ...]
    prepaid: Prepaid | None = None  # only, and always, for a block_hours plan
    document: Mapping[str, object] = field(compare=False, repr=False)
    source_map: SourceMap = field(compare=False, repr=False)

    def lookup(self, path: tuple[str, ...]) -> object | None:
        """The value at ``path`` in the document, e.g. ``("rates", "standard")`` for
        ``agreement.rates.standard`` or ``("client", "name")`` for ``client.name``; ``None``
        when the agreement does not have it."""
        value: object = self.document
        for part in path:
            if not isinstance(value, Mapping) or part not in value:
                return None
            value = value[part]
        return value

    def param(self, name: str) -> ParamOverride | None:
        return next((override for override in self.params if override.name == name), None)


# --- the schema, and types derived from it ------------------------------------------------


@functools.cache
def agreement_schema_text() -> str:
    """The published JSON Schema, exactly as shipped (``scopecheck schema agreement``)."""
    # A path beside this module rather than importlib.resources, whose import costs every run
    # more than reading the file does; the package is always installed as files (``resources``).
    return (Path(__file__).resolve().parent.parent / "schemas" / "agreement.schema.json").read_text(encoding="utf-8")


@functools.cache
def agreement_schema() -> dict:
    """The schema as data, parsed once; shared, so callers must not change it."""
    return json.loads(agreement_schema_text())


def resolve(node: Mapping) -> Mapping:
    """The schema node that ``node``'s ``$ref`` chain ends at (only local ``#/$defs/`` refs)."""
    definitions = agreement_schema()["$defs"]
    while "$ref" in node:
        node = definitions[node["$ref"].removeprefix("#/$defs/")]
    return node


def x_type(node: Mapping) -> str | None:
    """The ``x-type`` written on a property, else on the definition it refers to."""
    if "x-type" in node:
        return node["x-type"]
    return resolve(node).get("x-type")


def _branches(node: Mapping, json_type: str) -> list[Mapping]:
    """The shapes ``node`` allows whose JSON type is ``json_type`` (through anyOf / oneOf)."""
    node = resolve(node)
    alternatives = node.get("anyOf") or node.get("oneOf")
    if alternatives:
        return [branch for alternative in alternatives for branch in _branches(alternative, json_type)]
    return [node] if node.get("type") == json_type else []


def allowed_names(node: Mapping) -> tuple[str, ...] | None:
    """The only key names a map allows (``propertyNames`` with an enum), or ``None``."""
    if "propertyNames" not in node:
        return None
    return tuple(resolve(node["propertyNames"]).get("enum", ())) or None


def child_schema(node: Mapping, name: str) -> Mapping | None:
    """The schema of key ``name`` inside an object schema, or ``None`` when it has no such key."""
    for shape in _branches(node, "object"):
        properties = shape.get("properties", {})
        if name in properties:
            return properties[name]
        names = allowed_names(shape)
        extra = shape.get("additionalProperties")
        if isinstance(extra, Mapping) and (names is None or name in names):
            return extra
    return None


def item_schema(node: Mapping) -> Mapping | None:
    """The schema of the items of an array schema, or ``None`` when ``node`` allows no list."""
    for shape in _branches(node, "array"):
        return shape.get("items", {})
    return None


def _schema_at(path: tuple[str, ...]) -> Mapping | None:
    node: Mapping | None = agreement_schema()
    for part in path:
        node = child_schema(node, part) if node is not None else None
    return node


def _type_of(node: Mapping) -> Type:
    declared = x_type(node)
    if declared:
        values = resolve(node).get("enum")
        if declared == "any":  # a parameter's value: its rule file's declaration types it
            return ANY
        return enum_of(tuple(values)) if values and declared == "text" else SCALAR_TYPES[declared]
    items = item_schema(node)
    if items is not None:
        return list_of(_type_of(items))
    shapes = _branches(node, "object")
    if not shapes:
        return ANY  # a scalar the schema leaves untyped: a parameter, typed by its rule file
    shape = shapes[0]
    names = tuple(shape.get("properties", {})) or allowed_names(shape) or ()
    fields = {name: _type_of(child) for name in names if (child := child_schema(shape, name)) is not None}
    return record_of(fields) if fields else Type("record")


def agreement_field_type(path: tuple[str, ...]) -> Type | None:
    """The type a rule sees at ``agreement.<path>`` (``client.<path>`` is ``("client", ...)``);
    ``None`` when the agreement file cannot have that path.

    Objects type as records; a map such as ``rates.roles`` types any child name as its value
    type, and ``params.<name>`` as ``any`` (its rule file declares the type).
    """
    node = _schema_at(tuple(path))
    return None if node is None else _type_of(node)


def agreement_field_names(prefix: tuple[str, ...]) -> list[str]:
    """The names that may follow ``prefix`` (``()`` for the top level), for suggestions; a map
    whose keys are free (``rates.roles``, ``params``) has none to offer."""
    node = _schema_at(tuple(prefix))
    if node is None:
        return []
    names: list[str] = []
    for shape in _branches(node, "object"):
        names.extend(shape.get("properties", {}))
        names.extend(allowed_names(shape) or ())
    return list(dict.fromkeys(names))
