"""The rule language's abstract syntax tree.

In: nothing (declarations only). Out: frozen, slotted dataclasses that the parser builds and the
checker, compiler, formatter and explainer read. Every node has a ``span`` that takes no part in
equality, so two parses of the same text compare equal wherever the text sat in its file.

Nodes are plain data; the stages that consume them dispatch with ``match``.
"""

from __future__ import annotations

from collections.abc import Iterator

from scopecheck.diagnostics import Span
from scopecheck.record import field, field_names, is_record, record

NO_SPAN = Span("<none>", 0, 0)


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False, kw_only=True)


# --- expressions -------------------------------------------------------------------------------


@record
class Literal:
    """A typed constant; ``text`` is how it was written, ``kind`` its language type name."""

    kind: str
    value: object
    text: str
    span: Span = _span()


@record
class Path:
    """A field path: ``ticket.estimate``, ``params.project_threshold``, ``agreement.rates.standard``."""

    root: str
    names: tuple[str, ...]
    span: Span = _span()

    @property
    def dotted(self) -> str:
        return ".".join((self.root, *self.names))


@record
class Name:
    """A bare name where a value was expected; always an error the checker explains."""

    name: str
    span: Span = _span()


@record
class Call:
    """A call of one of the fixed built-in functions."""

    function: str
    args: tuple[Expr, ...]
    span: Span = _span()


@record
class ListOf:
    items: tuple[Expr, ...]
    span: Span = _span()


@record
class Negative:
    operand: Expr
    span: Span = _span()


@record
class Arithmetic:
    """``first op1 second op2 third ...``, left to right; ``operators`` are ``+ - * /``."""

    first: Expr
    rest: tuple[tuple[str, Expr], ...]
    span: Span = _span()


@record
class Compare:
    """A comparison. ``operator`` is one of ``== != < <= > >= is, is not, in, not in, contains,
    starts with, ends with, mentions``."""

    operator: str
    left: Expr
    right: Expr
    span: Span = _span()


@record
class Presence:
    """``x is missing`` (``present=False``) or ``x is present``."""

    operand: Expr
    present: bool
    span: Span = _span()


@record
class Not:
    operand: Expr
    span: Span = _span()


@record
class AllOf:
    """``a and b and c``: kept flat so explanations can go clause by clause."""

    operands: tuple[Expr, ...]
    span: Span = _span()


@record
class AnyOf:
    """``a or b or c``."""

    operands: tuple[Expr, ...]
    span: Span = _span()


@record
class HistoryWindow:
    """Which earlier tickets count: ``contract_year`` (anchored on the term start),
    ``calendar_month`` or ``last_days`` with ``days``."""

    kind: str
    days: int | None = None
    span: Span = _span()


@record
class CountEarlier:
    """``count earlier tickets [for same F] [in WINDOW] [where (COND)]``; inside COND the
    earlier ticket is ``earlier``."""

    same: str | None
    window: HistoryWindow | None
    condition: Expr | None
    span: Span = _span()


Expr = Literal | Path | Name | Call | ListOf | Negative | Arithmetic | Compare | Presence | Not | AllOf | AnyOf | CountEarlier


# --- rule parts --------------------------------------------------------------------------------


@record
class Template:
    """A ``because`` text: literal pieces and ``{expression}`` pieces, in order."""

    parts: tuple[str | Expr, ...]
    text: str
    span: Span = _span()


@record
class Premium:
    """Charge ``multiplier`` times the rate on ``hours`` (all the ticket's labour when ``None``)."""

    multiplier: Expr
    hours: Expr | None
    span: Span = _span()


@record
class Fee:
    amount: Expr
    span: Span = _span()


@record
class MaterialsCharge:
    """Bill the ticket's materials at cost, plus ``markup`` (a percentage) when given."""

    markup: Expr | None
    span: Span = _span()


Effect = Premium | Fee | MaterialsCharge


@record
class Outcome:
    """``then project with ...`` decides (``kind`` set); ``then add ...`` only adds charges
    (``kind`` is ``None``) and never decides the classification."""

    kind: str | None
    effects: tuple[Effect, ...]
    span: Span = _span()


OUTCOMES = ("in_plan", "billable", "project", "review")


@record
class Rule:
    id: str
    title: str | None
    priority: int
    condition: Expr
    outcome: Outcome
    because: Template | None
    span: Span = _span()


@record
class TypeRef:
    """A parameter's declared type: ``duration``, ``money``, ``list[text]``."""

    name: str
    item: str | None = None
    span: Span = _span()

    def __str__(self) -> str:
        return f"{self.name}[{self.item}]" if self.item else self.name


@record
class Param:
    name: str
    type: TypeRef
    default: Expr
    description: str | None
    span: Span = _span()


@record
class Import:
    """``import standard`` (a library file by name) or ``import "./client.scope"`` (a path)."""

    target: str
    is_path: bool
    span: Span = _span()


@record
class RuleFile:
    """One parsed ``.scope`` file, its items in the order they were written."""

    path: str
    imports: tuple[Import, ...]
    params: tuple[Param, ...]
    rules: tuple[Rule, ...]
    comments: tuple[tuple[int, str], ...] = field(default=(), compare=False)


def walk(node: object, stop_at: tuple[type, ...] = ()) -> Iterator[object]:
    """Every AST node at and below ``node``, each before the nodes inside it, in the order they
    were written; the nodes inside a ``stop_at`` node are not visited."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, tuple):
            stack.extend(reversed(current))
        elif type(current).__module__ == __name__ and is_record(current) and current is not NO_SPAN:
            yield current
            if not isinstance(current, stop_at):
                stack.extend(reversed([getattr(current, name) for name in field_names(current) if name not in ("span", "comments")]))
