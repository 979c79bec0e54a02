"""Agreement loading: YAML file -> schema validation -> semantic checks -> ``Agreement``.

In: the path of a client's agreement file (or its text and the name to report it under).
Out: a frozen ``Agreement``, or a ``DiagnosticError`` carrying every problem found, each at the
line and column of the offending key or value, in plain lower-case words:

    agreement.not-found             the file is missing or unreadable
    agreement.empty                 the file holds no document
    agreement.unknown-key           a key the schema does not have (with "did you mean")
    agreement.missing-key           a required key is absent
    agreement.invalid-value         a value of the wrong kind, shape or range
    agreement.unknown-device-class  a device class that tickets cannot have
    agreement.currency-mismatch     an amount written in another currency than the agreement's
    agreement.term-order            the term ends on or before it starts
    agreement.duplicate-entry       a user or device listed twice under coverage, or a prepaid
                                    block id used twice (from ``prepaid``)
    agreement.wrong-model           from ``prepaid``: prepaid hours under a plan that is not
                                    block_hours
    agreement.unknown-time-zone     from ``business_time``, with the calendar's other checks:
    agreement.invalid-hours         business hours that do not read, or end before they start
    agreement.unknown-holidays      a holiday country, subdivision or name the calendar lacks
    agreement.schema                any other schema finding
    yaml.*                          from ``load_yaml``, passed through unchanged

Schema checks come first and are all collected; semantic checks then run on every value the
schema did not already reject, so one problem is reported once.
"""

from __future__ import annotations

import collections
import copy
import datetime as dt
import functools
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from scopecheck import cache
from scopecheck.agreement.business_time import read_calendar
from scopecheck.agreement.model import (
    Agreement,
    Client,
    Coverage,
    CoveredDevice,
    Fees,
    ParamOverride,
    Plan,
    Premiums,
    Prepaid,
    Rates,
    RuleFileRef,
    Term,
    agreement_schema,
    child_schema,
    item_schema,
    resolve,
    x_type,
)
from scopecheck.agreement.prepaid import read_prepaid
from scopecheck.calendar import BusinessCalendar
from scopecheck.diagnostics import Diagnostic, DiagnosticError, Span, did_you_mean, suggest
from scopecheck.record import record
from scopecheck.tickets.model import DEVICE_CLASSES
from scopecheck.values import PARSERS, ValueFormatError, duration_from_hours, format_percent, parse_money
from scopecheck.yamlsource import JsonPath, SourceMap, dotted, frozen, load_yaml, shown_value

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError

DEFAULT_CURRENCY = "USD"

_STANDARD_RULE_NAME = re.compile(r"[a-z_][a-z0-9_]*")

# What a value of each schema definition looks like, for "must be ...; found ..." messages.
_EXPECTED_BY_DEFINITION = {
    "money": "an amount of money of 0 or more, like $150 or 1,500.00",
    "percent": "a percentage from 0% to 100%, like 10%",
    "duration": "a duration like 4h, 90m or 1h30m",
    "date": "a date like 2026-01-01",
    "count": "a whole number of 0 or more",
    "name": "a name of lower-case letters, digits and underscores",
    "slug": "lower-case letters, digits and dashes, like harbor-vale",
    "currency_code": "a three-letter currency code in capitals, like USD",
    "country_code": "a country code in capitals, like US or GB",
    "scalar": "text, a number or true/false",
    "name_list": "a list of names",
    "money_by_device_class": "a mapping from device class to an amount of money",
    "count_by_device_class": "a mapping from device class to a count",
    "device_list": "a list of devices, each with 'id' and 'class'",
    "device": "a device with 'id' and 'class'",
    "rule_file": "a standard rule file name like standard, or a path to a .scope file like ./client.scope",
    "multiplier": "a multiplier from 1 to 10, like 1.5",
    "opening_span": "a span of local time like 08:00-18:00",
    "opening_hours": "a span of local time like 08:00-18:00, a list of spans, or closed",
    "own_holiday": "a date like 2026-12-24, a date with a name like {date: 2026-12-24, name: Christmas Eve}, or a closure like {from: 2026-12-28, to: 2026-12-31}",
    "hours": "a number of hours more than 0, like 20 or 7.5, or a duration like 7h30m",
    "prepaid_block": "a block of hours with 'hours', 'price' or 'rate', and 'purchased'",
}
_EXPECTED_BY_JSON_TYPE = {
    "object": "a mapping of keys to values",
    "array": "a list",
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
}
# Findings about a structure rather than a value: worth reporting even inside an anyOf branch.
_STRUCTURAL = {"additionalProperties", "required", "minItems", "uniqueItems"}


def load_agreement(path: str | Path) -> Agreement:
    """Read, validate and type the agreement at ``path``; raises ``DiagnosticError``."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        reason = "there is no such file"
    except IsADirectoryError:
        reason = "it is a folder, not a file"
    except UnicodeDecodeError:
        reason = "it is not UTF-8 text"
    except OSError as error:
        reason = (error.strerror or "it cannot be read").lower()
    else:
        return parse_agreement(text, shown)
    raise DiagnosticError([Diagnostic("agreement.not-found", f"cannot read the agreement '{shown}': {reason}")])


def parse_agreement(text: str, path: str) -> Agreement:
    """Validate and type agreement ``text``; ``path`` names it in messages and, resolved,
    gives the folder its rule files are found in."""
    read = cache.cached("agreement", (path, text), _Document, lambda: _read_document(text, path))
    data, source_map = read.data, read.source_map
    rejected: set[JsonPath] = set()
    findings = [finding for error in read.schema_errors for finding in _translate(error, source_map, rejected)]
    normaliser = _Normaliser(source_map, rejected, _currency_of(data))
    document = normaliser.normalise(data)
    findings.extend(normaliser.findings)
    calendar = prepaid = None
    if isinstance(document, Mapping):
        calendar, problems = read_calendar(document, source_map, normaliser.all_valid)
        findings.extend(problems)
        prepaid, problems = read_prepaid(document, source_map, normaliser.all_valid)
        findings.extend(problems)
    if findings:
        raise DiagnosticError(_in_reading_order(findings))
    return _build(document, data, source_map, path, calendar, prepaid)


@record(slots=False)
class _Document:
    """An agreement's YAML as data, where each part of it was written, and what the schema
    found wrong in it. Kept in the cache only when the schema found nothing: that spares the
    next run PyYAML and jsonschema, while a file with problems is checked and reported afresh."""

    data: object
    source_map: SourceMap
    schema_errors: tuple[ValidationError, ...]


def _read_document(text: str, path: str) -> tuple[_Document, bool]:
    data, source_map = load_yaml(text, path)
    if data is None:
        raise DiagnosticError(
            [Diagnostic("agreement.empty", "the agreement is empty", Span(path, 1, 1), help="it needs at least 'client', 'plan', 'rates' and 'rules'")]
        )
    errors = tuple(_validator().iter_errors(data))
    return _Document(data, source_map, errors), not errors


@functools.cache
def _validator() -> Draft202012Validator:
    # Imported here, not at the top: jsonschema is the costliest import of a short run, and an
    # agreement found valid before (``scopecheck.cache``) is not validated again.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(agreement_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _in_reading_order(findings: list[Diagnostic]) -> list[Diagnostic]:
    unique = list(dict.fromkeys(findings))  # one missing key is one required-error per key
    return sorted(unique, key=lambda finding: (finding.span.line, finding.span.column) if finding.span else (0, 0))


# --- schema errors in plain words ----------------------------------------------------------


def _translate(error: ValidationError, source_map: SourceMap, rejected: set[JsonPath]) -> Iterator[Diagnostic]:
    path = tuple(error.absolute_path)
    instance = error.instance
    schema_path = list(error.relative_schema_path)
    if len(schema_path) >= 2 and schema_path[-2] == "propertyNames":
        # jsonschema reports a bad key at its mapping, with the key itself as the instance.
        rejected.add(path + (instance,))
        yield _bad_key(path, instance, error.schema, source_map.span_of(path + (instance,), key=True))
        return
    match error.validator:
        case "additionalProperties":
            known = tuple(error.schema.get("properties", {}))
            for key in instance:
                if key not in known:
                    rejected.add(path + (key,))
                    yield _unknown_key(path, key, known, source_map.span_of(path + (key,), key=True))
        case "required":
            known = tuple(error.schema.get("properties", {}))
            misspelt = {suggest(key, error.validator_value) for key in instance if key not in known}
            span = source_map.span_of(path, key=True)
            if not path and "then" in error.absolute_schema_path:
                # The file needs the key because of the plan's model: point at the model.
                span = source_map.span_of(("plan", "model"))
            for key in error.validator_value:
                # A misspelt key is reported once, as unknown with "did you mean", not also as missing.
                if key not in instance and key not in misspelt:
                    yield _missing_key(path, key, error, span)
        case "anyOf" | "oneOf" if keys := _choice_of_keys(error.validator_value):
            rejected.add(path)
            if isinstance(instance, dict):  # anything else is reported as of the wrong kind
                yield _choice(path, instance, keys, source_map)
        case "anyOf" | "oneOf":
            yield from _translate_alternatives(error, source_map, rejected)
        case "uniqueItems":
            rejected.add(path)
            for index, item in enumerate(instance):
                # By equality, as items may be lists; those are reported as items of the wrong kind.
                if not isinstance(item, (list, dict)) and item in instance[:index]:
                    message = f"'{dotted(path)}' lists {shown_value(item)} more than once"
                    yield Diagnostic("agreement.invalid-value", message, source_map.span_of(path + (index,)))
                    break
        case "dependentRequired":
            rejected.add(path)
            for key, needed in error.validator_value.items():
                if key in instance:
                    for missing in (name for name in needed if name not in instance):
                        message = f"'{dotted(path + (key,))}' needs '{dotted(path + (missing,))}' beside it"
                        yield Diagnostic("agreement.missing-key", message, source_map.span_of(path + (key,), key=True))
        case "minItems" | "minLength" | "minProperties":
            rejected.add(path)
            yield Diagnostic("agreement.invalid-value", f"{_subject(path)} must not be empty", source_map.span_of(path))
        case _:
            rejected.add(path)
            yield _invalid_value(path, instance, error.schema, error.validator, source_map.span_of(path))


def _translate_alternatives(error: ValidationError, source_map: SourceMap, rejected: set[JsonPath]) -> Iterator[Diagnostic]:
    """An anyOf failure: when the value has the right shape for one alternative, say what is
    wrong inside it (e.g. a list item); otherwise say which shapes were allowed."""
    path = tuple(error.absolute_path)
    alternatives = error.schema.get(error.validator, [])
    fitting = [index for index, alternative in enumerate(alternatives) if _fits(error.instance, alternative)]
    if len(fitting) == 1:
        inside = [sub for sub in error.context if sub.relative_schema_path[0] == fitting[0]]
        specific = [
            sub
            for sub in inside
            if len(sub.absolute_path) > len(path)
            or sub.validator in _STRUCTURAL
            or "propertyNames" in sub.relative_schema_path
        ]
        if specific:
            for sub in specific:
                yield from _translate(sub, source_map, rejected)
            return
    rejected.add(path)
    yield _invalid_value(path, error.instance, error.schema, error.validator, source_map.span_of(path))


def _fits(instance: object, alternative: Mapping) -> bool:
    declared = resolve(alternative).get("type")
    types = declared if isinstance(declared, list) else [declared]
    return any(json_type and _validator().is_type(instance, json_type) for json_type in types)


def _unknown_key(path: JsonPath, key: str, known: tuple[str, ...], span: Span) -> Diagnostic:
    where = f" in '{dotted(path)}'" if path else ""
    if re.fullmatch(r"\d{3}(?:\.\d+)?", key):
        # `{price: $1,800}`: inside braces YAML ends the amount at the comma, leaving a key '800'.
        hint = "inside { } a comma separates keys, so an amount like $1,800 is cut at its comma; write it $1800, or in quotes: \"$1,800\""
    else:
        hint = did_you_mean(key, known) or f"the keys allowed here are {', '.join(known)}"
    return Diagnostic("agreement.unknown-key", f"unknown key '{key}'{where}", span, help=hint)


def _choice_of_keys(alternatives: object) -> tuple[str, ...] | None:
    """The keys of alternatives that each just require one key (a block's price or rate)."""
    if not isinstance(alternatives, list):
        return None
    keys = []
    for alternative in alternatives:
        if not isinstance(alternative, Mapping) or set(alternative) != {"required"} or len(alternative["required"]) != 1:
            return None
        keys.append(alternative["required"][0])
    return tuple(keys)


def _choice(path: JsonPath, instance: dict, keys: tuple[str, ...], source_map: SourceMap) -> Diagnostic:
    """A mapping that must give exactly one of ``keys`` gives none, or more than one."""
    quoted = [f"'{key}'" for key in keys]
    given = [key for key in keys if key in instance]
    if not given:
        node = _schema_for(path)
        examples = [f"'{key}: {_flow(example[0])}'" for key in keys if (example := (child_schema(node, key) or {}).get("examples"))] if node else []
        hint = f"add one, for example {' or '.join(examples)}" if examples else None
        return Diagnostic("agreement.missing-key", f"{_subject(path)} needs {' or '.join(quoted)}", source_map.span_of(path, key=True), help=hint)
    shown = " and ".join(f"'{key}'" for key in given)
    message = f"{_subject(path)} gives both {shown}; give only one" if len(given) == 2 else f"{_subject(path)} gives {shown}; give only one"
    return Diagnostic("agreement.invalid-value", message, source_map.span_of(path + (given[1],), key=True),
                      help="keep one of them: two ways of saying the same thing could disagree")


def _schema_for(path: JsonPath) -> Mapping | None:
    """The schema of the value at a document ``path``."""
    node: Mapping | None = agreement_schema()
    for part in path:
        if node is None:
            return None
        node = item_schema(node) if isinstance(part, int) else child_schema(node, part)
    return node


def _missing_key(path: JsonPath, key: str, error: ValidationError, span: Span) -> Diagnostic:
    where = f" in '{dotted(path)}'" if path else ""
    if "then" in error.absolute_schema_path and path == ("plan", "fees"):
        hint = f"a {_model_of_conditional(error)} plan states its monthly fee in 'plan.fees.{key}'"
    elif "then" in error.absolute_schema_path:
        example = (child_schema(agreement_schema(), key) or {}).get("examples")
        hint = f"a {_model_of_conditional(error)} plan lists the hours bought in advance" + (
            f", for example '{key}: {_flow(example[0])}'" if example else ""
        )
    else:
        example = (child_schema(error.schema, key) or {}).get("examples")
        hint = f"add it, for example '{key}: {_flow(example[0])}'" if example else None
    return Diagnostic("agreement.missing-key", f"missing key '{key}'{where}", span, help=hint)


def _model_of_conditional(error: ValidationError) -> str:
    """The model named by the ``if`` whose ``then`` asked for a key: the plan's own (a fee),
    or the whole file's (``prepaid``)."""
    schema_path = list(error.absolute_schema_path)
    branch = agreement_schema()
    for part in schema_path[: schema_path.index("then")]:
        branch = branch[part]
    condition = branch["if"]["properties"]
    if "plan" in condition:
        condition = condition["plan"]["properties"]
    return condition["model"]["const"]


def _bad_key(path: JsonPath, key: str, names_schema: Mapping, span: Span) -> Diagnostic:
    if names_schema is agreement_schema()["$defs"]["device_class"]:
        hint = did_you_mean(key, DEVICE_CLASSES) or f"device classes are {', '.join(DEVICE_CLASSES)}"
        return Diagnostic("agreement.unknown-device-class", f"unknown device class '{key}' in '{dotted(path)}'", span, help=hint)
    message = f"the key '{key}' in '{dotted(path)}' must be {_expected(names_schema)}"
    return Diagnostic("agreement.invalid-value", message, span)


def _invalid_value(path: JsonPath, value: object, node: Mapping, validator: str, span: Span) -> Diagnostic:
    if node is agreement_schema()["$defs"]["device_class"] and isinstance(value, str):
        hint = did_you_mean(value, DEVICE_CLASSES) or f"device classes are {', '.join(DEVICE_CLASSES)}"
        return Diagnostic("agreement.unknown-device-class", f"unknown device class {shown_value(value)}", span, help=hint)
    hint = did_you_mean(value, node["enum"]) if validator == "enum" and isinstance(value, str) else None
    known = validator in ("enum", "const", "type", "pattern", "format", "anyOf", "oneOf", "minimum", "maximum", "exclusiveMinimum")
    code = "agreement.invalid-value" if known else "agreement.schema"
    return Diagnostic(code, f"{_subject(path)} must be {_expected(node)}; found {shown_value(value)}", span, help=hint)


def _expected(node: Mapping) -> str:
    """What a value of schema ``node`` looks like, in words."""
    for name, definition in agreement_schema()["$defs"].items():
        if node is definition and name in _EXPECTED_BY_DEFINITION:
            return _EXPECTED_BY_DEFINITION[name]
    if "$ref" in node:
        return _expected(resolve(node))
    if alternatives := node.get("anyOf") or node.get("oneOf"):
        return ", or ".join(_expected(alternative) for alternative in alternatives)
    if "enum" in node:
        return "one of " + ", ".join(str(value) for value in node["enum"])
    if "const" in node:
        return str(node["const"])
    return _EXPECTED_BY_JSON_TYPE.get(node.get("type"), "something else")


# --- normalising values, and the checks the schema cannot make -----------------------------


def _currency_of(data: object) -> str | None:
    """The agreement's currency, or ``None`` when it is written wrong (then amounts are not
    compared with it, so the one mistake is reported once)."""
    currency = data.get("currency", DEFAULT_CURRENCY) if isinstance(data, dict) else DEFAULT_CURRENCY
    return currency if isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency) else None


class _Normaliser:
    """Walks the document beside its schema, turning each scalar into its ``x-type``'s value,
    filling in schema defaults, and collecting what only typed values reveal."""

    def __init__(self, source_map: SourceMap, rejected: set[JsonPath], currency: str | None):
        self.source_map = source_map
        self.rejected = rejected
        self.currency = currency
        self.findings: list[Diagnostic] = []

    def normalise(self, data: object) -> object:
        document = self._value(data, agreement_schema(), ())
        if isinstance(document, dict):
            self._check_term(document)
            self._count_coverage(document)
        return document

    def _value(self, raw: object, node: Mapping | None, path: JsonPath) -> object:
        if node is None or any(path[:cut] in self.rejected for cut in range(len(path) + 1)):
            return raw
        if isinstance(raw, dict):
            result = {key: self._value(value, child_schema(node, key), path + (key,)) for key, value in raw.items()}
            for key, child in resolve(node).get("properties", {}).items():
                if key not in result and "default" in child:
                    # Through _value, so a section's default ({}) gets its own keys' defaults.
                    result[key] = self._value(copy.deepcopy(child["default"]), child, path + (key,))
            return result
        if isinstance(raw, list):
            return [self._value(item, item_schema(node), path + (index,)) for index, item in enumerate(raw)]
        return self._scalar(raw, x_type(node), path)

    def _scalar(self, raw: object, declared: str | None, path: JsonPath) -> object:
        if declared in (None, "any") or raw is None:
            return raw
        if declared == "duration" and isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
            # A bare number where the schema allows one for a duration (a block's hours) is hours.
            try:
                return duration_from_hours(raw)
            except OverflowError:
                self.findings.append(Diagnostic("agreement.invalid-value", f"'{dotted(path)}': '{raw}' is too long a duration", self.source_map.span_of(path)))
                return raw
        try:
            if declared == "money":
                return self._money(raw, path)
            value = PARSERS[declared](raw)
        except ValueFormatError as error:
            self.findings.append(Diagnostic("agreement.invalid-value", f"'{dotted(path)}': {error}", self.source_map.span_of(path)))
            return raw
        if declared == "percent" and not 0 <= value <= 1:
            message = f"'{dotted(path)}' must be a percentage from 0% to 100%; found {format_percent(value)}"
            self.findings.append(Diagnostic("agreement.invalid-value", message, self.source_map.span_of(path)))
        return value

    def _money(self, raw: object, path: JsonPath) -> Decimal:
        money = parse_money(raw)
        if money.currency and self.currency and money.currency != self.currency:
            message = f"'{dotted(path)}' is in {money.currency} but the agreement's currency is {self.currency}"
            hint = f"write the amount without a currency, or set 'currency: {money.currency}' if the whole agreement is in {money.currency}"
            self.findings.append(Diagnostic("agreement.currency-mismatch", message, self.source_map.span_of(path), help=hint))
        return money.amount

    def _check_term(self, document: dict) -> None:
        term = document.get("plan", {}).get("term") if isinstance(document.get("plan"), dict) else None
        if not isinstance(term, dict):
            return
        start, end = term.get("start"), term.get("end")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end <= start:
            message = f"'plan.term.end' ({end.isoformat()}) must be after 'plan.term.start' ({start.isoformat()})"
            self.findings.append(Diagnostic("agreement.term-order", message, self.source_map.span_of(("plan", "term", "end"))))

    def _count_coverage(self, document: dict) -> None:
        """Rules read coverage as counts (the schema's x-type); lists become their counts."""
        coverage = document.get("coverage")
        if not isinstance(coverage, dict):
            return
        users = coverage.get("users")
        if isinstance(users, list) and self.all_valid(("coverage", "users")):
            self._report_repeats(users, ("coverage", "users"), "user")
            coverage["users"] = len(users)
        devices = coverage.get("devices")
        if isinstance(devices, list) and self.all_valid(("coverage", "devices")):
            identifiers = [device.get("id") if isinstance(device, dict) else None for device in devices]
            self._report_repeats(identifiers, ("coverage", "devices"), "device", suffix=("id",))
            by_class = collections.Counter(device.get("class") for device in devices if isinstance(device, dict))
            coverage["devices"] = {name: by_class[name] for name in DEVICE_CLASSES if by_class[name]}

    def all_valid(self, path: JsonPath) -> bool:
        """Nothing at or under ``path`` was rejected by the schema."""
        return not any(rejected[: len(path)] == path for rejected in self.rejected)

    def _report_repeats(self, names: list, path: JsonPath, noun: str, suffix: JsonPath = ()) -> None:
        seen: set = set()
        for index, name in enumerate(names):
            if name is not None and name in seen:
                span = self.source_map.span_of(path + (index,) + suffix)
                self.findings.append(Diagnostic("agreement.duplicate-entry", f"{noun} '{name}' is listed twice in '{dotted(path)}'", span))
            seen.add(name)


# --- the typed model -----------------------------------------------------------------------


def _build(document: dict, data: dict, source_map: SourceMap, path: str, calendar: BusinessCalendar, prepaid: Prepaid | None) -> Agreement:
    client, plan, rates, premiums = document["client"], document["plan"], document["rates"], document["premiums"]
    fees = plan.get("fees", {})
    coverage = document.get("coverage", {})
    ceilings = coverage.get("ceilings", {})
    raw_coverage = data.get("coverage", {})
    raw_users = raw_coverage.get("users")
    raw_devices = raw_coverage.get("devices")
    return Agreement(
        path=path,
        folder=Path(path).resolve().parent,
        client=Client(client["name"], client.get("id"), client.get("contact")),
        plan=Plan(
            model=plan["model"],
            term=Term(plan["term"]["start"], plan["term"]["end"]),
            fees=Fees(fees.get("per_user"), MappingProxyType(fees.get("per_device", {})), fees.get("flat"), fees.get("retainer")),
        ),
        currency=document["currency"],
        timezone=document["timezone"],
        calendar=calendar,
        rates=Rates(
            standard=rates["standard"],
            roles=MappingProxyType(rates.get("roles", {})),
            work_types=MappingProxyType(rates.get("work_types", {})),
            contract_discount=rates["contract_discount"],
            minimum=rates["minimum"],
            increment=rates["increment"],
        ),
        premiums=Premiums(
            after_hours=Decimal(premiums["after_hours"]),
            holiday=Decimal(premiums["holiday"]),
            emergency=Decimal(premiums["emergency"]),
            waived=frozenset(premiums["waived"]),
        ),
        coverage=Coverage(
            users=coverage.get("users"),
            user_names=tuple(raw_users) if isinstance(raw_users, list) else (),
            devices=MappingProxyType(coverage.get("devices", {})),
            device_list=tuple(CoveredDevice(device["id"], device["class"]) for device in raw_devices) if isinstance(raw_devices, list) else (),
            printers=coverage.get("printers"),
            user_ceiling=ceilings.get("users"),
            device_ceiling=ceilings.get("devices"),
        ),
        params=tuple(
            ParamOverride(name, value, source_map.span_of(("params", name)), source_map.span_of(("params", name), key=True))
            for name, value in document.get("params", {}).items()
        ),
        rule_files=tuple(
            RuleFileRef(target, not _STANDARD_RULE_NAME.fullmatch(target), source_map.span_of(("rules", index)))
            for index, target in enumerate(document["rules"])
        ),
        prepaid=prepaid,
        document=frozen(document),
        source_map=source_map,
    )


# --- words ---------------------------------------------------------------------------------


def _subject(path: JsonPath) -> str:
    return f"'{dotted(path)}'" if path else "the agreement"


def _flow(example: object) -> str:
    """An example value as one line of YAML, for hints."""
    if isinstance(example, dict):
        return "{" + ", ".join(f"{key}: {_flow(value)}" for key, value in example.items()) + "}"
    if isinstance(example, list):
        return "[" + ", ".join(_flow(value) for value in example) + "]"
    return str(example)
