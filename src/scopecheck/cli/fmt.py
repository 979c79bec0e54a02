"""`scopecheck fmt`: rule files in, the same files in canonical layout out (or a report of
which files would change).

Reading, writing and exit codes live here; the layout itself is ``syntax.format``.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click

from scopecheck.cli.common import EXIT_FOUND, EXIT_OK, EXIT_UNUSABLE, replace_file, report
from scopecheck.diagnostics import DiagnosticError, SourceLines
from scopecheck.folders import files_under

STDIN = "-"
_STDIN_NAME = "<stdin>"


@dataclass
class _Tally:
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: int = 0


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(allow_dash=True))
@click.option("--check", is_flag=True, help="Write nothing; exit with 1 when a file would be reformatted.")
@click.option("--diff", "show_diff", is_flag=True, help="Write nothing; print a unified diff for each file that would change.")
def fmt(paths: tuple[str, ...], check: bool, show_diff: bool) -> None:
    """Lay out rule files (*.scope) in the canonical form, keeping every comment.

    PATHS are files or folders (default: the current folder); folders are searched for
    *.scope files, skipping hidden folders, virtual environments and build output. - reads
    standard input and writes the formatted text to standard output. Files whose layout
    changes are rewritten in place; the layout is described in docs/language.md, "Formatting".

    A file that does not parse is reported with its errors and left as it is; the others are
    still formatted.

    Exit codes: 0 done (or, with --check, nothing would change), 1 with --check when a file
    would be reformatted, 2 a path that cannot be read or a file that does not parse.

    \b
    Examples:
      scopecheck fmt
      scopecheck fmt rules/ clients/harbor-vale.scope
      scopecheck fmt --check --diff .
      scopecheck fmt - < client.scope
    """
    from scopecheck.syntax.format import format_rule_file

    sources = SourceLines()
    tally = _Tally()
    writing = not (check or show_diff)
    for path in _rule_files(paths or (".",), tally):
        shown = _STDIN_NAME if path == STDIN else path
        text = _read(path, tally)
        if text is None:
            continue
        sources.add(shown, text)
        try:
            formatted = format_rule_file(text, shown)
        except DiagnosticError as error:
            report(error.diagnostics, sources)
            tally.failed += 1
            continue
        if path == STDIN and writing:
            click.echo(formatted, nl=False)
        if formatted == text:
            tally.unchanged += 1
            continue
        if show_diff:
            click.echo(_diff(text, formatted, shown), nl=False)
        if not writing:
            click.echo(f"would reformat {shown}", err=True)
        elif path != STDIN:
            if not _write(Path(path), formatted, tally):
                continue
            click.echo(f"reformatted {shown}", err=True)
        tally.changed.append(shown)
    click.echo(_summary(tally, writing), err=True)
    if tally.failed:
        sys.exit(EXIT_UNUSABLE)
    sys.exit(EXIT_FOUND if check and tally.changed else EXIT_OK)


def _rule_files(paths: tuple[str, ...], tally: _Tally) -> Iterator[str]:
    """The files to format, each once: named files as named, folders searched in name order."""
    seen: set[str] = set()
    for given in paths:
        if given == STDIN:
            found = [STDIN]
        elif os.path.isdir(given):
            found = [str(path) for path in files_under(Path(given), (".scope",))]
        elif os.path.exists(given) and not given.endswith(".scope"):
            click.echo(f"error: '{given}' is not a rule file; fmt lays out .scope files only", err=True)
            tally.failed += 1
            continue
        elif os.path.exists(given):
            found = [given]
        else:
            click.echo(f"error: cannot read '{given}': no such file or folder", err=True)
            tally.failed += 1
            continue
        for path in found:
            key = path if path == STDIN else os.path.realpath(path)
            if key not in seen:
                seen.add(key)
                yield path


def _read(path: str, tally: _Tally) -> str | None:
    """The file's text with its line endings as they are, so CRLF counts as a change."""
    try:
        data = sys.stdin.buffer.read() if path == STDIN else Path(path).read_bytes()
        # A byte order mark some editors write is no part of the rules.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        reason = "it is not UTF-8 text"
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
    click.echo(f"error: cannot read '{path}': {reason}", err=True)
    tally.failed += 1
    return None


def _write(path: Path, text: str, tally: _Tally) -> bool:
    problem = replace_file(path, lambda out: out.write(text))
    if problem is not None:
        click.echo(f"error: {problem}", err=True)
        tally.failed += 1
    return problem is None


def _diff(before: str, after: str, shown: str) -> str:
    lines = difflib.unified_diff(_lines(before), _lines(after), f"a/{shown}", f"b/{shown}")
    # A file that ended without a newline would glue the next header onto its last line.
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _lines(text: str) -> list[str]:
    # Only a line feed ends a line: a carriage return stays part of the line it ends (CRLF).
    return re.findall(r"[^\n]*\n|[^\n]+", text)


def _summary(tally: _Tally, writing: bool) -> str:
    def files(count: int) -> str:
        return f"{count} file{'' if count == 1 else 's'}"

    if not (tally.changed or tally.unchanged or tally.failed):
        return "no rule files (*.scope) found"
    parts = [f"{files(len(tally.changed))} {'reformatted' if writing else 'would be reformatted'}", f"{tally.unchanged} left unchanged"]
    if tally.failed:
        parts.append(f"{tally.failed} could not be formatted")
    return ", ".join(parts)
