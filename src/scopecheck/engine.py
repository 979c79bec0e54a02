"""From an agreement file to a ready ``Program``: load, resolve rule files, check, compile.

In: the path of an agreement. Out: a ``LoadedAgreement`` (the agreement and its program; the
text of every rule file read goes into the caller's ``SourceLines``, for rendering
diagnostics), or ``DiagnosticError`` carrying every problem found in the agreement and its
rule files.
"""

from __future__ import annotations

from pathlib import Path

from scopecheck.agreement.load import load_agreement
from scopecheck.agreement.model import Agreement
from scopecheck.check.checker import check_rule_files
from scopecheck.check.resolve import load_rule_files
from scopecheck.diagnostics import SourceLines
from scopecheck.evaluate.program import Program
from scopecheck.record import record


@record(slots=False)
class LoadedAgreement:
    agreement: Agreement
    program: Program


def load(agreement_path: str | Path, sources: SourceLines | None = None) -> LoadedAgreement:
    """Everything needed to classify tickets for one agreement; rule file texts are added to
    ``sources`` so that errors in them render with their lines."""
    agreement = load_agreement(agreement_path)
    loaded = load_rule_files(agreement.rule_files, agreement.folder)
    if sources is not None:
        for path, text in loaded.texts.items():
            sources.add(path, text)
    checked = check_rule_files(loaded.files, loaded.texts)
    return LoadedAgreement(agreement, Program.build(checked, agreement))
