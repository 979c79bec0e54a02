"""The ticket: the work request scopecheck classifies, as every later stage sees it.

In: nothing (this module only declares). Out: the ``Ticket`` and ``Material`` values, and
``TICKET_FIELDS``, the one table from which the reader coerces input, the checker types
``ticket.*`` paths, and ``scopecheck schema ticket`` is generated.

Categories and causes are closed sets so that rules can be checked against them and a lint can
reason about them; an export's own words are mapped onto them by a mapping file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import NamedTuple

from scopecheck.values import (
    BOOLEAN,
    DATETIME,
    DURATION,
    MONEY,
    NUMBER,
    TEXT,
    Type,
    enum_of,
    list_of,
    record_of,
)

CATEGORIES = (
    "help_desk",  # day-to-day support: the core of every plan
    "incident",  # something broke
    "maintenance",  # patching, monitoring follow-up, backups
    "user_setup",  # a new user's accounts and devices
    "install_software",  # new software: a project per DOMAIN.md
    "add_device",  # adding machines: a project per DOMAIN.md
    "move",  # moving one person's desk or equipment
    "office_relocation",  # moving the whole office: always a project
    "repair",  # hardware repair
    "purchase",  # buying parts, software or licences
    "training",
    "project",  # already agreed as project work
    "other",
)

CAUSES = (
    "normal",  # ordinary wear, faults and questions
    "user_error",
    "third_party_damage",  # e.g. a copier repairman who fries a printer
    "act_of_god",  # e.g. a flood that destroys hardware
    "unknown",
)

DEVICE_CLASSES = ("workstation", "laptop", "server", "network", "mobile", "tablet", "printer", "other")

MATERIAL_KINDS = ("part", "software", "license", "freight")


class Material(NamedTuple):
    """A line of materials on a ticket; always billed on top of the plan (DOMAIN.md)."""

    description: str
    kind: str
    cost: Decimal
    quantity: int | Decimal = 1


MATERIAL_TYPE = record_of(
    {
        "description": TEXT,
        "kind": enum_of(MATERIAL_KINDS),
        "cost": MONEY,
        "quantity": NUMBER,
    }
)


class Ticket(NamedTuple):
    """One work request. Times without an offset are local to the agreement's time zone.

    A NamedTuple rather than a dataclass: immutable, typed, and cheap to build a million of.
    """

    id: str
    opened_at: dt.datetime
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    requester: str | None = None
    site: str | None = None
    device: str | None = None
    device_class: str | None = None
    category: str | None = None
    summary: str | None = None
    description: str | None = None
    estimate: dt.timedelta | None = None
    time_spent: dt.timedelta | None = None
    cause: str | None = None
    emergency: bool | None = None
    role: str | None = None
    work_type: str | None = None
    materials: tuple[Material, ...] = ()
    custom: Mapping[str, object] = MappingProxyType({})


class FieldSpec(NamedTuple):
    """A ticket field: its language type, whether a ticket must have it, and what it means."""

    type: Type
    required: bool
    description: str


TICKET_FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec(TEXT, True, "the ticket's id in the provider's system"),
    "opened_at": FieldSpec(DATETIME, True, "when the request was opened"),
    "started_at": FieldSpec(DATETIME, False, "when work started; defaults to opened_at"),
    "ended_at": FieldSpec(DATETIME, False, "when work ended"),
    "requester": FieldSpec(TEXT, False, "the person who asked (a covered user)"),
    "site": FieldSpec(TEXT, False, "the client's site or office"),
    "device": FieldSpec(TEXT, False, "the device worked on (an asset tag or name)"),
    "device_class": FieldSpec(enum_of(DEVICE_CLASSES), False, "the kind of device"),
    "category": FieldSpec(enum_of(CATEGORIES), False, "what kind of work it is"),
    "summary": FieldSpec(TEXT, False, "the one-line subject"),
    "description": FieldSpec(TEXT, False, "the free text of the request"),
    "estimate": FieldSpec(DURATION, False, "how long the work is expected to take"),
    "time_spent": FieldSpec(DURATION, False, "how long the work took"),
    "cause": FieldSpec(enum_of(CAUSES), False, "why the work is needed"),
    "emergency": FieldSpec(BOOLEAN, False, "the client asked for emergency service"),
    "role": FieldSpec(TEXT, False, "the role of the technician doing the work, for its rate"),
    "work_type": FieldSpec(TEXT, False, "the kind of work, such as onsite or remote, for its rate"),
    "materials": FieldSpec(list_of(MATERIAL_TYPE), False, "parts, software, licences and freight"),
    "custom": FieldSpec(Type("record"), False, "the export's own extra fields, by name"),
}

assert tuple(TICKET_FIELDS) == Ticket._fields, "TICKET_FIELDS must follow the Ticket's field order"
