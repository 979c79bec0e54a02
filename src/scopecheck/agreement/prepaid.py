"""The agreement's prepaid hours: ``prepaid`` -> ``Prepaid``.

Stage: agreement loading, after the schema and the normaliser (``load.py``). In: the normalised
document (hours as ``timedelta``, money as ``Decimal``, dates as ``datetime.date``), its source
map, and which paths the schema already rejected. Out: the ``Prepaid`` value (``None`` when the
agreement has no prepaid hours), or the problems found, each at the key or value at fault:

    agreement.wrong-model       'prepaid' under a plan whose model is not block_hours
    agreement.invalid-value     a block of no hours, or of hours that are not whole minutes;
                                a block that expires before it was bought
    agreement.duplicate-entry   two blocks with the same id, written or given by default

The schema has already checked the shape (and that a block_hours plan has ``prepaid``); these
are the checks that need typed values or more than one value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from scopecheck.agreement.model import PRICING_MODELS, Prepaid, PrepaidBlock
from scopecheck.diagnostics import Diagnostic
from scopecheck.values import format_duration, minor_unit
from scopecheck.yamlsource import JsonPath, SourceMap, dotted

BLOCK_MODEL = "block_hours"
_BLOCKS: JsonPath = ("prepaid", "blocks")


def default_block_id(index: int) -> str:
    """The id of the block written ``index``-th (from 0) that names none: ``block-1``..."""
    return f"block-{index + 1}"


def read_prepaid(
    document: Mapping, source_map: SourceMap, usable: Callable[[JsonPath], bool]
) -> tuple[Prepaid | None, list[Diagnostic]]:
    """The agreement's prepaid hours, or ``None`` with the problems that prevent them.

    ``usable(path)`` is false for a part the schema already rejected: it is not read again, so
    one mistake is reported once.
    """
    section = document.get("prepaid")
    if section is None:
        return None, []
    problems: list[Diagnostic] = []
    model = document["plan"].get("model") if isinstance(document.get("plan"), Mapping) else None
    if usable(("plan", "model")) and model in PRICING_MODELS and model != BLOCK_MODEL:
        # Under a per_user, per_device, flat_rate or retainer plan the recurring fee already pays
        # for in-plan work: drawing blocks down as well would charge the client twice.
        problems.append(
            Diagnostic(
                "agreement.wrong-model",
                f"'prepaid' is only for a block_hours plan, and this plan is {model}",
                source_map.span_of(("prepaid",), key=True),
                help=f"prepaid hours stand in for a plan's cover; under a {model} plan they would draw down hours "
                "the fee already pays for. Set 'plan.model: block_hours' or remove 'prepaid'",
            )
        )
    blocks = section.get("blocks") if isinstance(section, Mapping) else None
    if not isinstance(blocks, list) or not usable(("prepaid",)):
        return None, problems
    built = [_block(index, entry, source_map, problems) for index, entry in enumerate(blocks)]
    _report_repeated_ids(blocks, source_map, problems)
    if problems or None in built:
        return None, problems
    currency = document.get("currency")
    return Prepaid(tuple(_priced(block, currency) for block in built), section.get("warn_below")), problems


def _block(index: int, entry: Mapping, source_map: SourceMap, problems: list[Diagnostic]) -> dict | None:
    """The block's checked values, or ``None`` when the normaliser could not type them (it has
    said why)."""
    if not isinstance(entry, Mapping):
        return None
    path = _BLOCKS + (index,)
    hours, purchased, expires = entry.get("hours"), entry.get("purchased"), entry.get("expires")
    cost = entry.get("price", entry.get("rate"))
    if not (isinstance(hours, dt.timedelta) and isinstance(purchased, dt.date) and isinstance(expires, (dt.date, type(None)))
            and isinstance(cost, Decimal)):
        return None
    seconds = int(hours.total_seconds())
    if seconds <= 0:
        problems.append(Diagnostic("agreement.invalid-value", f"'{dotted(path + ('hours',))}' must be more than 0; found {format_duration(hours)}",
                                   source_map.span_of(path + ("hours",))))
    elif seconds % 60:
        # Work is measured and drawn in whole minutes; a block of 7h19.8m could never be used up.
        problems.append(Diagnostic("agreement.invalid-value",
                                   f"'{dotted(path + ('hours',))}' must be a whole number of minutes; found {format_duration(hours)}",
                                   source_map.span_of(path + ("hours",)), help="write it as hours and minutes, like 7h20m"))
    if expires is not None and expires < purchased:
        problems.append(
            Diagnostic(
                "agreement.invalid-value",
                f"'{dotted(path + ('expires',))}' ({expires.isoformat()}) is before '{dotted(path + ('purchased',))}' ({purchased.isoformat()})",
                source_map.span_of(path + ("expires",)),
                help="a block can be used from the day it was bought to the day it expires, both included",
            )
        )
    return {
        "id": entry.get("id") or default_block_id(index),
        "minutes": seconds // 60,
        "price": entry.get("price"),
        "rate": entry.get("rate"),
        "purchased": purchased,
        "expires": expires,
    }


def _report_repeated_ids(blocks: list, source_map: SourceMap, problems: list[Diagnostic]) -> None:
    first_at: dict[str, int] = {}
    for index, entry in enumerate(blocks):
        written = entry.get("id") if isinstance(entry, Mapping) else None
        block_id = written or default_block_id(index)
        if block_id not in first_at:
            first_at[block_id] = index
            continue
        first = dotted(_BLOCKS + (first_at[block_id],))
        # Draws, invoices and the balance report name blocks by id: two alike could not be told apart.
        if written:
            message = f"block id '{block_id}' is used twice in 'prepaid.blocks'"
            span = source_map.span_of(_BLOCKS + (index, "id"))
            hint = f"the first is '{first}'; give each block its own 'id'"
        else:
            message = f"'{dotted(_BLOCKS + (index,))}' has no id, and its default, '{block_id}', is the id of '{first}'"
            span = source_map.span_of(_BLOCKS + (index,), key=True)
            hint = "give it an 'id' of its own"
        problems.append(Diagnostic("agreement.duplicate-entry", message, span, help=hint))


def _priced(block: dict, currency: str) -> PrepaidBlock:
    price = block["price"]
    if price is None:
        # What an invoice for the block would have said: rate x hours, rounded once, half up.
        exact = block["rate"] * Decimal(block["minutes"]) / Decimal(60)
        price = exact.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)
    return PrepaidBlock(block["id"], block["minutes"], price, block["purchased"], block["expires"])
