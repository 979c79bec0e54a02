"""The ledger's values: what one entry holds, and how a ticket is kept so it can be decided again.

In: a ``Decision`` and the agreement it was made under. Out: an ``Entry``, the immutable value
the ledger stores and gives back, and the JSON text of a ticket that reads back into an equal
``Ticket``. A ticket is kept whole because a later run may need to decide it again (an earlier
ticket arrived late, or the ticket itself changed) and because ``count earlier tickets ... where
(earlier.<field> ...)`` may read any of its fields.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

from scopecheck.agreement.model import Agreement
from scopecheck.evaluate.decision import Decision, Draw
from scopecheck.evaluate.history import Earlier, work_start
from scopecheck.record import record, replace
from scopecheck.tickets.model import Material, Ticket
from scopecheck.values import minor_unit

_MICROSECOND = dt.timedelta(microseconds=1)


# --- tickets as JSON ---------------------------------------------------------------------
# Values a ticket can hold that JSON cannot are written as one-key objects whose key starts
# with "$", so the text reads back into exactly the value it came from.


def _encode(value: object) -> object:
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, float):
        return {"$float": repr(value)}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"$duration": value // _MICROSECOND}
    if isinstance(value, Material):
        return {"$material": [_encode(part) for part in value]}
    if isinstance(value, Mapping):
        return {"$map": {str(key): _encode(item) for key, item in value.items()}}
    if isinstance(value, (tuple, list)):
        return [_encode(item) for item in value]
    raise TypeError(f"a ticket cannot hold {type(value).__name__}")


def _decode(value: object) -> object:
    if isinstance(value, list):
        return tuple(_decode(item) for item in value)
    if not isinstance(value, dict):
        return value
    ((tag, inner),) = value.items()
    match tag:
        case "$decimal":
            return Decimal(inner)
        case "$float":
            return float(inner)
        case "$datetime":
            return dt.datetime.fromisoformat(inner)
        case "$date":
            return dt.date.fromisoformat(inner)
        case "$time":
            return dt.time.fromisoformat(inner)
        case "$duration":
            return inner * _MICROSECOND
        case "$material":
            return Material(*(_decode(part) for part in inner))
        case "$map":
            return MappingProxyType({key: _decode(item) for key, item in inner.items()})
    raise ValueError(f"unknown value tag {tag!r}")


_compact_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_text_json = json.encoder.encode_basestring  # a JSON string, as ensure_ascii=False writes it
_EMPTY = ((), {})
_FIELD_KEYS = tuple(_text_json(name) + ":" for name in Ticket._fields)


def ticket_json(ticket: Ticket, moment=dt.datetime.isoformat) -> str:
    """The ticket as canonical JSON text: only the fields it has, in field order; compact, as
    ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` writes it. ``moment`` gives
    a time's ``isoformat`` (the output's renderer remembers the ones it wrote)."""
    parts = []
    append = parts.append
    for key, value in zip(_FIELD_KEYS, ticket):
        # Text, times and the export's own text columns are most of a ticket: they are
        # written here rather than through the general encoder, to the same text.
        if value is None:
            continue
        kind = value.__class__
        if kind is str:
            append(key + _text_json(value))
        elif kind is dt.datetime:
            append(key + '{"$datetime":"' + moment(value) + '"}')
        elif kind is dt.timedelta:
            append(key + '{"$duration":' + str(value // _MICROSECOND) + "}")
        elif kind is dict or kind is MappingProxyType:
            if value:
                append(key + _map_json(value))
        elif value not in _EMPTY:
            append(key + _compact_json(_encode(value)))
    return "{" + ",".join(parts) + "}"


def _map_json(mapping: Mapping) -> str:
    texts = []
    for name, item in mapping.items():
        if name.__class__ is not str or item.__class__ is not str:
            return _compact_json(_encode(mapping))
        texts.append(_text_json(name) + ":" + _text_json(item))
    return '{"$map":{' + ",".join(texts) + "}}"


def ticket_from_json(text: str) -> Ticket:
    """The ticket ``ticket_json`` wrote; its times carry fixed offsets (``Program.prepare``
    makes them local again)."""
    fields = json.loads(text)
    return Ticket(**{name: _decode(value) for name, value in fields.items()})


def fingerprint(text: str) -> str:
    """A short content hash: equal texts, equal fingerprints."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def agreement_version(agreement: Agreement) -> str:
    """A content hash of the agreement as loaded (rates, premiums, coverage and all), so an
    entry says which terms priced it."""
    text = json.dumps(agreement.document, sort_keys=True, default=str, ensure_ascii=False)
    return fingerprint(text)


def client_key(agreement: Agreement) -> str:
    """The name a client's entries are kept under: its id, else its name."""
    return agreement.client.id or agreement.client.name


# --- entries -----------------------------------------------------------------------------


@record
class Entry:
    """One ticket's current decision in the ledger.

    ``charges`` is the bill's lines in the JSON shape ``classify --format json`` prints;
    ``drawn`` the prepaid minutes by block. ``revision`` counts the times the entry was
    replaced (1: as first decided). ``decided_at`` is when this decision was made, in UTC.
    """

    client: str
    ticket_id: str
    work_start: dt.datetime
    work_end: dt.datetime | None
    requester: str | None
    device: str | None
    site: str | None
    category: str | None
    outcome: str
    deciding_rule: str | None
    reason: str
    total: Decimal
    currency: str
    charges: tuple[Mapping[str, object], ...]
    drawn: tuple[Draw, ...]
    rules_version: str
    agreement_version: str
    ticket_hash: str
    ticket_text: str
    decided_at: dt.datetime
    revision: int = 1

    @property
    def ticket(self) -> Ticket:
        return ticket_from_json(self.ticket_text)

    @property
    def drawn_minutes(self) -> int:
        return sum(draw.minutes for draw in self.drawn)

    @property
    def order(self) -> tuple[float, str]:
        """Where the entry stands among a client's entries (``program.decision_order``)."""
        return self.work_start.timestamp(), self.ticket_id

    def same_decision(self, other: Entry) -> bool:
        """Whether two entries record the same decision of the same ticket under the same
        terms; when they do, recording ``other`` changes nothing."""
        return self.same_result(other) and (self.rules_version, self.agreement_version) == (other.rules_version, other.agreement_version)

    def same_result(self, other: Entry) -> bool:
        """Whether two entries decide the same ticket alike, whatever terms decided them."""
        return _content(self) == _content(other)

    def earlier(self, ticket: Ticket | None = None) -> Earlier:
        """The entry as a later ticket's history sees it."""
        return Earlier(ticket or self.ticket, self.work_start, self.work_start.timestamp(), self.outcome, self.deciding_rule,
                       self.drawn)

    def renumbered(self, revision: int) -> Entry:
        """The entry as revision ``revision`` of its ticket's decision."""
        return replace(self, revision=revision)


def _content(entry: Entry) -> tuple:
    return (
        entry.ticket_hash, entry.outcome, entry.deciding_rule, entry.reason, entry.total, entry.charges, entry.drawn,
        # As text: in the hour the clocks go back, Python never finds a zoned and a fixed-offset
        # time equal (PEP 495), and entries read back carry fixed offsets.
        entry.work_start.isoformat(), entry.work_end.isoformat() if entry.work_end else None,
    )


def entry_of(decision: Decision, client: str, currency: str, rules: str, terms: str, decided_at: dt.datetime) -> Entry:
    from scopecheck.output import line_record

    text = ticket_json(decision.ticket)
    work = decision.work
    return Entry(
        client=client,
        ticket_id=decision.ticket.id,
        # The ticket's own start, to the second: the order tickets are decided in.
        work_start=work_start(decision.ticket),
        work_end=work.end,
        requester=decision.ticket.requester,
        device=decision.ticket.device,
        site=decision.ticket.site,
        category=decision.ticket.category,
        outcome=decision.outcome,
        deciding_rule=decision.deciding_rule.rule_id if decision.deciding_rule else None,
        reason=decision.reason,
        total=decision.bill.total.quantize(minor_unit(currency)),
        currency=currency,
        charges=tuple(MappingProxyType(line_record(line, currency)) for line in decision.bill.lines),
        drawn=decision.drawn,
        rules_version=rules,
        agreement_version=terms,
        ticket_hash=fingerprint(text),
        ticket_text=text,
        decided_at=decided_at,
    )


class EntryRows:
    """Ledger rows for new entries, made straight from decisions: the row
    ``sqlite._row(entry_of(decision, ...))`` gives, without the ``Entry`` in between, which a
    run recording a great many new tickets would build only to take apart again."""

    def __init__(self, client: str, currency: str, rules: str, terms: str, decided_at: dt.datetime, renderer=None):
        from scopecheck.output import DecisionRenderer

        self.client, self.currency, self.rules, self.terms = client, currency, rules, terms
        self._decided_at = decided_at.isoformat()
        # The charges column holds the bill's lines as ``classify --format json`` prints them:
        # the output's own renderer (``renderer``), when there is one, writes them once for both.
        self._renderer = renderer if renderer is not None else DecisionRenderer(rules, currency)

    def row(self, decision: Decision) -> tuple:
        ticket = decision.ticket
        renderer = self._renderer
        moment = renderer.moment
        text = ticket_json(ticket, moment)
        start = work_start(ticket)
        end = decision.work.end
        deciding = decision.deciding_rule
        drawn = decision.drawn
        return (
            self.client, ticket.id, 1, moment(start), start.timestamp(), moment(end) if end else None,
            ticket.requester, ticket.device, ticket.site, ticket.category, decision.outcome,
            deciding.rule_id if deciding else None, decision.reason, renderer.total(decision.bill), self.currency,
            renderer.charges_json(decision.bill), _drawn_json(drawn) if drawn else "[]", sum(draw.minutes for draw in drawn),
            self.rules, self.terms, fingerprint(text), text, self._decided_at,
        )


def _drawn_json(drawn: tuple[Draw, ...]) -> str:
    return _compact_json([[draw.block_id, draw.minutes] for draw in drawn])


def why_replaced(old: Entry, new: Entry) -> str:
    """Why an entry's decision changed, in words for the history."""
    if old.ticket_hash != new.ticket_hash:
        before, after = json.loads(old.ticket_text), json.loads(new.ticket_text)
        changed = [name for name in Ticket._fields if before.get(name) != after.get(name)]
        return "the ticket changed: " + ", ".join(changed)
    if old.rules_version != new.rules_version:
        return "the rules changed"
    if old.agreement_version != new.agreement_version:
        return "the agreement changed"
    return "decided again: an earlier ticket was recorded or changed"
