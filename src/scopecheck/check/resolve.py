"""Finding and parsing the rule files an agreement uses, with everything they import.

In: the agreement's ``rules:`` entries and its folder. Out: the parsed ``RuleFile``s in the
order their rules apply (a file's imports before the file itself, each file once), with the
text of each for error rendering.

A library file is named (``standard``) and comes from the shipped ``rules/`` folder; a client
file is a path relative to the file that names it, and may never leave the agreement's folder
tree: an agreement repository must not read files its reviewers cannot see.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from scopecheck.agreement.model import RuleFileRef
from scopecheck.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from scopecheck.record import record
from scopecheck.resources import resource_dir, standard_library
from scopecheck.syntax.ast import Import, RuleFile
from scopecheck.syntax.parser import parse_rule_file


# One reference to a rule file: a library name or a path, and where it was written. An
# agreement's `rules:` entry and a rule file's `import` both are one.
RuleSource = RuleFileRef | Import


@record
class LoadedRules:
    files: tuple[RuleFile, ...]
    texts: dict[str, str]


def load_rule_files(sources: Iterable[RuleSource], root: Path, base: Path | None = None) -> LoadedRules:
    """Parse every rule file ``sources`` name, following imports; raises ``DiagnosticError``.

    ``root`` is the folder no client file may leave; relative paths are read from ``base``
    (the agreement's folder, which is also the default root).
    """
    loader = _Loader(root.resolve())
    for source in sources:
        loader.visit(source, (base or root).resolve())
    if loader.problems:
        raise DiagnosticError(loader.problems)
    return LoadedRules(tuple(loader.files), loader.texts)


class _Loader:
    def __init__(self, root: Path):
        self.root = root
        self.files: list[RuleFile] = []
        self.texts: dict[str, str] = {}
        self.problems: list[Diagnostic] = []
        self.seen: set[Path] = set()
        self.in_progress: list[Path] = []

    def visit(self, source: RuleSource, base: Path) -> None:
        path = self._locate(source, base)
        if path is None:
            return
        if path in self.in_progress:
            cycle = " -> ".join(p.name for p in self.in_progress[self.in_progress.index(path) :] + [path])
            self.problems.append(Diagnostic("check.import-cycle", f"rule files import each other in a circle: {cycle}", source.span))
            return
        if path in self.seen:
            return
        self.seen.add(path)
        shown = self._shown_path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = "it is not UTF-8 text" if isinstance(error, UnicodeDecodeError) else (error.strerror or str(error)).lower()
            self.problems.append(Diagnostic("check.unreadable-file", f"cannot read rule file '{shown}': {reason}", source.span))
            return
        self.texts[shown] = text
        try:
            rule_file = parse_rule_file(text, shown)
        except DiagnosticError as error:
            self.problems.extend(error.diagnostics)
            return
        self.in_progress.append(path)
        for item in rule_file.imports:
            self.visit(item, path.parent)
        self.in_progress.pop()
        self.files.append(rule_file)

    def _locate(self, source: RuleSource, base: Path) -> Path | None:
        if not source.is_path:
            library = standard_library()
            if source.target in library:
                return library[source.target].resolve()
            self.problems.append(
                Diagnostic(
                    "check.unknown-library",
                    f"there is no rule library named '{source.target}'",
                    source.span,
                    help=did_you_mean(source.target, library) or f"the libraries are: {', '.join(library)}; a file of your own is written as a path, like \"./{source.target}.scope\"",
                )
            )
            return None
        path = (base / source.target).resolve()
        if not (path.is_relative_to(self.root) or path.parent == resource_dir("rules").resolve()):
            self.problems.append(
                Diagnostic(
                    "check.outside-folder",
                    f"rule file '{source.target}' is outside the agreement's folder",
                    source.span,
                    help="keep a client's rule files in the agreement's folder or below it",
                )
            )
            return None
        if not path.is_file():
            self.problems.append(
                Diagnostic(
                    "check.file-not-found",
                    f"rule file '{source.target}' does not exist",
                    source.span,
                    help=did_you_mean(Path(source.target).name, [p.name for p in path.parent.glob("*.scope")]) if path.parent.is_dir() else None,
                )
            )
            return None
        return path

    def _shown_path(self, path: Path) -> str:
        """Paths in messages are relative to the working folder when they can be."""
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)
