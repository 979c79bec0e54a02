"""The Lark parser for ``grammar/scope.lark``, built once per process."""

from __future__ import annotations

from functools import cache

from lark import Lark

from scopecheck.resources import grammar_path


@cache
def lark_parser() -> Lark:
    """LALR(1) with positions; ``cache=True`` keeps the parse tables on disk between runs so
    that a one-ticket command starts fast."""
    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        start=["start", "expr"],
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
    )
