"""Parsing: rule file text in, a ``RuleFile`` AST out, or every syntax error that could be found.

The grammar (``grammar/scope.lark``) is parsed by Lark in LALR(1) mode with positions on. To
report more than the first error, the file is cut into items at each line that starts with
``rule``, ``param`` or ``import``, and each item is parsed on its own: a broken rule costs one
diagnostic and the rules after it are still read.

Lark's trees never leave the syntax package; ``syntax.build`` turns them into AST nodes.
"""

from __future__ import annotations

import re

from scopecheck import cache
from scopecheck.diagnostics import Diagnostic, DiagnosticError, Span
from scopecheck.syntax.ast import Import, Param, Rule, RuleFile

# A real rule file is a few kilobytes; the limit keeps a hostile or generated file from taking
# the machine with it.
MAX_FILE_BYTES = 1_000_000

_ITEM_START = re.compile(r"^[ \t]*(?:rule|param|import)\b", re.MULTILINE)


def parse_rule_file(text: str, path: str) -> RuleFile:
    """Parse a whole ``.scope`` file; raises ``DiagnosticError`` with every error found.

    A file parsed before, with the same path and text, comes from the cache (``scopecheck.cache``):
    the path is part of the key because every node's span names it."""
    if len(text.encode("utf-8", errors="replace")) > MAX_FILE_BYTES:
        raise DiagnosticError(
            [Diagnostic("syntax.too-large", f"the rule file is larger than {MAX_FILE_BYTES // 1000} kB", Span(path, 1, 1))]
        )
    return cache.cached("rule-file", (path, text), RuleFile, lambda: (_parse(text, path), True))


def _parse(text: str, path: str) -> RuleFile:
    # Lark and the tree builder are imported here, not at the top: a run whose rule files
    # all come from the cache never needs them, and importing Lark is a good part of start-up.
    from lark.exceptions import UnexpectedInput

    from scopecheck.syntax.build import AstBuilder, Origin
    from scopecheck.syntax.errors import describe_parse_error
    from scopecheck.syntax.grammar import lark_parser

    items: list[Import | Param | Rule] = []
    comments: list[tuple[int, str]] = []
    problems: list[Diagnostic] = []
    for line, chunk in _items(text):
        origin = Origin(path, line)
        try:
            tree = lark_parser().parse(chunk, start="start")
        except UnexpectedInput as error:
            problems.append(describe_parse_error(error, chunk, origin))
            continue
        builder = AstBuilder(origin)
        items.extend(builder.file_items(tree))
        problems.extend(builder.problems)
        comments.extend(_comments(chunk, line))
    if problems:
        raise DiagnosticError(problems)
    return RuleFile(
        path=path,
        imports=tuple(item for item in items if isinstance(item, Import)),
        params=tuple(item for item in items if isinstance(item, Param)),
        rules=tuple(item for item in items if isinstance(item, Rule)),
        comments=tuple(comments),
    )


def _items(text: str):
    """Yield (first line, text) for each top-level item's stretch of the file."""
    starts = [match.start() for match in _ITEM_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    starts.append(len(text))
    line = 1
    for begin, end in zip(starts, starts[1:]):
        chunk = text[begin:end]
        yield line, chunk
        line += chunk.count("\n")


def _comments(chunk: str, first_line: int) -> list[tuple[int, str]]:
    """The chunk's comments with their file line numbers, kept for the formatter."""
    from scopecheck.syntax.grammar import lark_parser

    if "#" not in chunk:
        return []
    return [
        (first_line + token.line - 1, str(token))
        for token in lark_parser().lex(chunk, dont_ignore=True)
        if token.type == "COMMENT"
    ]
