"""The JSON Schema of the canonical JSON ticket, generated from ``TICKET_FIELDS``.

In: the ticket model. Out: ``ticket_json_schema()``, a draft 2020-12 schema as a dict, and
``ticket_schema_text()``, its text as committed in ``src/scopecheck/schemas/ticket.schema.json``.
Regenerate that file with ``python -m scopecheck.tickets.schema > src/scopecheck/schemas/ticket.schema.json``;
a test fails when the two drift apart.

The schema describes what the reader accepts in its canonical spelling, and a little more where
exports commonly differ (ids as numbers, money as numbers, materials as one line of text). The
reader remains the authority: it also accepts any case and spacing of the fixed values.
"""

from __future__ import annotations

import json

from scopecheck.tickets.mapping import BUILTIN_ALIASES
from scopecheck.tickets.model import MATERIAL_KINDS, TICKET_FIELDS
from scopecheck.values import Type

SCHEMA_ID = "urn:scopecheck:schema:ticket"

# The spellings values.parse_duration reads: 4h, 1h30m, 1.5h, 2d, 90 m, 1:30, PT1H30M.
DURATION_PATTERN = (
    r"^\s*(?:(?:\d+(?:\.\d+)?\s*[dhm]\s*)+"
    r"|\d+:[0-5]\d"
    r"|(?![Pp][Tt]?\s*$)[Pp](?:\d+(?:\.\d+)?[Dd])?(?:[Tt](?:\d+(?:\.\d+)?[Hh])?(?:\d+(?:\.\d+)?[Mm])?)?)\s*$"
)
# values.parse_money: $150, $1,500.00, 150, 150.00 EUR, €20.
MONEY_PATTERN = r"^\s*[$€£]?\s*-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s*(?:[A-Z]{3})?\s*$"
# ISO 8601 as datetime.fromisoformat reads it: a date, optionally a time, optionally an offset.
DATETIME_PATTERN = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$"

_DEFS = {
    "duration": {
        "description": "a duration: 4h, 90m, 1h30m, 1.5h, 2d (a day is 24 hours), 1:30 or ISO 8601 PT1H30M",
        "type": "string",
        "pattern": DURATION_PATTERN,
    },
    "money": {
        "description": "an amount: a JSON number, or text like $150, 1,500.00 or 150.00 EUR",
        "anyOf": [{"type": "number"}, {"type": "string", "pattern": MONEY_PATTERN}],
    },
    "datetime": {
        "description": "ISO 8601, e.g. 2026-11-21T09:30; without an offset it is local to the agreement's time zone",
        "type": "string",
        "pattern": DATETIME_PATTERN,
    },
    "material": {
        "type": "object",
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "kind": {"enum": list(MATERIAL_KINDS)},
            "cost": {"$ref": "#/$defs/money"},
            "quantity": {"type": "number", "exclusiveMinimum": 0},
        },
        "required": ["description", "kind", "cost"],
        "additionalProperties": False,
    },
}


def _property(name: str, field_type: Type, description: str) -> dict:
    if field_type.values is not None:
        return {"description": description, "enum": list(field_type.values)}
    match field_type.name:
        case "datetime" | "duration" | "money":
            return {"description": description, "$ref": f"#/$defs/{field_type.name}"}
        case "boolean":
            return {"description": description, "type": "boolean"}
        case "number":
            return {"description": description, "type": "number"}
        case "list":
            return {
                "description": f"{description}: a list of materials, or one line like "
                "'part: 1TB SSD = $120; freight: courier = $15 x 2'",
                "anyOf": [{"type": "array", "items": {"$ref": "#/$defs/material"}}, {"type": "string"}],
            }
        case "record":
            return {"description": description, "type": "object"}
    if name == "id":
        return {"description": f"{description} (a number is read as its text)", "type": ["string", "integer"], "minLength": 1}
    return {"description": description, "type": "string"}


def ticket_json_schema() -> dict:
    """The draft 2020-12 schema of one canonical JSON ticket."""
    properties = {}
    for name, spec in TICKET_FIELDS.items():
        described = _property(name, spec.type, spec.description)
        if not spec.required:
            # null is how JSON says a value is missing; the reader treats it as absent.
            description = described.pop("description")
            described = {"description": description, "anyOf": [described, {"type": "null"}]}
        properties[name] = described
    for alias, target in BUILTIN_ALIASES.items():
        properties[alias] = {
            "description": f"another way to give '{target.field}': a plain number of {target.unit}",
            "anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": r"^\s*\d+(?:\.\d+)?\s*$"}],
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "scopecheck ticket",
        "description": (
            "One IT-support ticket as scopecheck reads it from JSON, JSON Lines or YAML. A file holds an "
            "array of these (or one). Keys that are not ticket fields are allowed: the reader keeps them "
            "in 'custom' under their own names, which is why additionalProperties is true. Null or an "
            "empty string means the value is missing. Fixed values such as categories are also read in "
            "any case, with spaces or hyphens for underscores ('Act of God' is act_of_god)."
        ),
        "type": "object",
        "properties": properties,
        "required": [name for name, spec in TICKET_FIELDS.items() if spec.required],
        "additionalProperties": True,
        "$defs": _DEFS,
    }


def ticket_schema_text() -> str:
    return json.dumps(ticket_json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(ticket_schema_text())
