"""The Lark parser for ``grammar/scope.lark``, built once per process."""

from __future__ import annotations

import io
from functools import cache

import lark
from lark import Lark

from scopecheck import cache as work_cache
from scopecheck.resources import grammar_path


@cache
def lark_parser() -> Lark:
    """LALR(1) with positions. Building the parse tables from the grammar takes longer than a
    short command should, so they are kept in scopecheck's cache (``scopecheck.cache``), keyed
    by the grammar's text and Lark's version: a changed grammar is built afresh."""
    grammar = grammar_path().read_text(encoding="utf-8")
    return work_cache.cached("grammar", (grammar, lark.__version__), bytes, lambda: (_tables(grammar), True),
                             load=lambda tables: Lark.load(io.BytesIO(tables)))


def _tables(grammar: str) -> bytes:
    parser = Lark(grammar, parser="lalr", start=["start", "expr"], propagate_positions=True, maybe_placeholders=True)
    saved = io.BytesIO()
    parser.save(saved)
    return saved.getvalue()
