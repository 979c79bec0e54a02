"""Start-up: what a short command leaves unloaded, and the cache that spares it repeated work.

In: the shipped examples and small inline files, with the cache in a folder of each test's own.
Out: assertions on which libraries a fresh process imports, and on cache entries: used when
the files are unchanged, ignored when corrupt, never written for a file with problems, and
never a reason for a command to fail. No timings: those are the benchmark's (bench/).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from scopecheck import cache
from scopecheck.agreement.load import load_agreement, parse_agreement
from scopecheck.cli import main
from scopecheck.diagnostics import DiagnosticError
from scopecheck.syntax import grammar
from scopecheck.syntax.parser import parse_rule_file

from .conftest import EXAMPLES

HARBOR_VALE = EXAMPLES / "harbor-vale"
# Libraries needed only to parse rule files or YAML and to validate an agreement.
PARSERS_AND_VALIDATOR = ("jsonschema", "lark", "yaml")

RULES = """\
rule covered "Everything else is covered"
  when true
  then in_plan
"""

AGREEMENT = """\
client: {name: Acme Dental}
plan:
  model: per_user
  term: {start: 2026-01-01, end: 2026-12-31}
rates:
  standard: $150
rules: [standard]
"""


@pytest.fixture(autouse=True)
def cache_in_test_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SCOPECHECK_CACHE_DIR", str(folder))
    monkeypatch.delenv("SCOPECHECK_NO_CACHE", raising=False)
    return folder


def entries(folder: Path, kind: str) -> list[Path]:
    return sorted((folder / kind).iterdir()) if (folder / kind).is_dir() else []


def fresh_process(code: str, cache_folder: Path) -> dict:
    """Run ``code`` in a new interpreter and return the JSON it prints."""
    environment = {**os.environ, "SCOPECHECK_CACHE_DIR": str(cache_folder)}
    finished = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True)
    return json.loads(finished.stdout)


LOADED_LIBRARIES = """
import json, sys
{work}
grammar = sys.modules.get("scopecheck.syntax.grammar")
print(json.dumps({{
    "imported": sorted(name for name in {names!r} if name in sys.modules),
    "grammar built": bool(grammar and grammar.lark_parser.cache_info().currsize),
}}))
"""


# --- what is imported --------------------------------------------------------------------


def test_the_command_line_loads_no_parser_validator_or_database(cache_in_test_folder: Path) -> None:
    code = LOADED_LIBRARIES.format(work="import scopecheck.cli", names=(*PARSERS_AND_VALIDATOR, "sqlite3"))
    assert fresh_process(code, cache_in_test_folder) == {"imported": [], "grammar built": False}


def test_an_unchanged_agreement_is_loaded_without_parsing_or_validating(cache_in_test_folder: Path) -> None:
    work = f"from scopecheck import engine\nengine.load({str(HARBOR_VALE / 'agreement.yaml')!r})"
    code = LOADED_LIBRARIES.format(work=work, names=("jsonschema", "yaml"))
    # The first run does the work and keeps it; the second finds it.
    assert fresh_process(code, cache_in_test_folder) == {"imported": ["jsonschema", "yaml"], "grammar built": True}
    assert fresh_process(code, cache_in_test_folder) == {"imported": [], "grammar built": False}


# --- entries are used ----------------------------------------------------------------------


def test_a_rule_file_parsed_before_comes_from_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = parse_rule_file(RULES, "client.scope")
    monkeypatch.setattr("scopecheck.syntax.parser._parse", _must_not_run)
    assert parse_rule_file(RULES, "client.scope") == parsed


def test_the_path_is_part_of_a_rule_files_key() -> None:
    first = parse_rule_file(RULES, "one.scope")
    second = parse_rule_file(RULES, "two.scope")
    assert first.rules[0].span.path == "one.scope"
    assert second.rules[0].span.path == "two.scope"


def test_a_changed_rule_file_is_parsed_again() -> None:
    parse_rule_file(RULES, "client.scope")
    changed = parse_rule_file(RULES.replace("in_plan", "billable"), "client.scope")
    assert changed.rules[0].outcome.kind == "billable"


def test_an_agreement_read_before_is_neither_parsed_nor_validated_again(monkeypatch: pytest.MonkeyPatch) -> None:
    path = HARBOR_VALE / "agreement.yaml"
    loaded = load_agreement(path)
    monkeypatch.setattr("scopecheck.agreement.load.load_yaml", _must_not_run)
    monkeypatch.setattr("scopecheck.agreement.load._validator", _must_not_run)
    again = load_agreement(path)
    assert again == loaded
    assert again.document == loaded.document
    assert again.source_map == loaded.source_map


def test_the_grammars_tables_come_from_the_cache(cache_in_test_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    grammar.lark_parser.cache_clear()
    expected = grammar.lark_parser().parse(RULES, start="start")
    assert len(entries(cache_in_test_folder, "grammar")) == 1
    grammar.lark_parser.cache_clear()
    monkeypatch.setattr(grammar, "_tables", _must_not_run)
    assert grammar.lark_parser().parse(RULES, start="start") == expected
    grammar.lark_parser.cache_clear()


def test_classify_decides_the_same_from_a_cold_cache_a_warm_one_and_none(monkeypatch: pytest.MonkeyPatch) -> None:
    arguments = ["classify", str(HARBOR_VALE / "agreement.yaml"), str(HARBOR_VALE / "tickets.csv"), "--no-ledger", "--format", "jsonl"]
    cold = CliRunner().invoke(main, arguments, catch_exceptions=False)
    warm = CliRunner().invoke(main, arguments, catch_exceptions=False)
    monkeypatch.setenv("SCOPECHECK_NO_CACHE", "1")
    uncached = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert cold.exit_code == warm.exit_code == uncached.exit_code == 0
    assert cold.stdout == warm.stdout == uncached.stdout
    assert cold.stdout.count("\n") >= 30


# --- entries that cannot be used -----------------------------------------------------------


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda stored: b"", id="empty"),
        pytest.param(lambda stored: stored[: len(stored) // 2], id="cut short"),
        pytest.param(lambda stored: stored[:-1] + bytes([stored[-1] ^ 1]), id="one bit changed"),
        pytest.param(lambda stored: _with_checksum(b"not a pickle"), id="not a pickle"),
        pytest.param(lambda stored: _with_checksum(pickle.dumps(7)), id="another type"),
    ],
)
def test_an_entry_that_cannot_be_used_is_ignored_and_written_again(cache_in_test_folder: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   spoil) -> None:
    parsed = parse_rule_file(RULES, "client.scope")
    loaded = parse_agreement(AGREEMENT, "agreement.yaml")
    for kind in ("rule-file", "agreement"):
        [entry] = entries(cache_in_test_folder, kind)
        entry.write_bytes(spoil(entry.read_bytes()))
    assert parse_rule_file(RULES, "client.scope") == parsed
    assert parse_agreement(AGREEMENT, "agreement.yaml") == loaded
    # Written again: the next run is served from the cache.
    monkeypatch.setattr("scopecheck.syntax.parser._parse", _must_not_run)
    monkeypatch.setattr("scopecheck.agreement.load.load_yaml", _must_not_run)
    assert parse_rule_file(RULES, "client.scope") == parsed
    assert parse_agreement(AGREEMENT, "agreement.yaml") == loaded


def test_a_file_with_problems_is_never_cached_and_reported_the_same_every_time(cache_in_test_folder: Path) -> None:
    broken_rules = RULES.replace("then in_plan", "thn in_plan")
    broken_agreement = AGREEMENT + "ruels: [standard]\n"
    reports = []
    for _ in range(2):
        with pytest.raises(DiagnosticError) as rules_error:
            parse_rule_file(broken_rules, "client.scope")
        with pytest.raises(DiagnosticError) as agreement_error:
            parse_agreement(broken_agreement, "agreement.yaml")
        reports.append((rules_error.value.diagnostics, agreement_error.value.diagnostics))
    assert reports[0] == reports[1]
    assert [diagnostic.code for diagnostic in reports[0][1]] == ["agreement.unknown-key"]
    assert entries(cache_in_test_folder, "rule-file") == []
    assert entries(cache_in_test_folder, "agreement") == []


def test_an_agreement_valid_to_the_schema_but_not_beyond_is_reported_every_time() -> None:
    # The schema accepts the text; the check that the term ends after it starts comes later.
    backwards = AGREEMENT.replace("end: 2026-12-31", "end: 2025-12-31")
    for _ in range(2):
        with pytest.raises(DiagnosticError) as raised:
            parse_agreement(backwards, "agreement.yaml")
        assert [diagnostic.code for diagnostic in raised.value.diagnostics] == ["agreement.term-order"]


# --- where the cache lives, and when it is not used ----------------------------------------


def test_no_cache_writes_nothing(cache_in_test_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCOPECHECK_NO_CACHE", "1")
    assert cache.cache_folder() is None
    parse_rule_file(RULES, "client.scope")
    parse_agreement(AGREEMENT, "agreement.yaml")
    assert not cache_in_test_folder.exists()


def test_a_cache_folder_that_cannot_be_written_is_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SCOPECHECK_CACHE_DIR", str(blocker / "cache"))
    parsed = parse_rule_file(RULES, "client.scope")
    assert parse_rule_file(RULES, "client.scope") == parsed
    result = CliRunner().invoke(main, ["classify", str(HARBOR_VALE / "agreement.yaml"), str(HARBOR_VALE / "tickets.csv"), "--no-ledger",
                                       "--format", "jsonl"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stderr == ""


def test_writing_leaves_no_temporary_files(cache_in_test_folder: Path) -> None:
    parse_rule_file(RULES, "client.scope")
    parse_rule_file(RULES, "client.scope")
    assert [path.name for path in (cache_in_test_folder / "rule-file").iterdir() if path.name.startswith(".")] == []


def test_entries_used_least_recently_are_removed_beyond_the_limit(cache_in_test_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    texts = [RULES.replace("covered", f"covered_{number}") for number in range(5)]
    parse_rule_file(texts[0], "client.scope")
    for text in texts[1:]:
        for entry in entries(cache_in_test_folder, "rule-file"):
            os.utime(entry, (0, 0))  # every entry so far long unused...
        parse_rule_file(texts[0], "client.scope")  # ...but the first, used again now
        parse_rule_file(text, "client.scope")
    assert len(entries(cache_in_test_folder, "rule-file")) == 3
    monkeypatch.setattr("scopecheck.syntax.parser._parse", _must_not_run)
    parse_rule_file(texts[0], "client.scope")
    parse_rule_file(texts[4], "client.scope")


def test_the_cache_folder_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCOPECHECK_CACHE_DIR", str(tmp_path / "chosen"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_folder() == tmp_path / "chosen"
    monkeypatch.delenv("SCOPECHECK_CACHE_DIR")
    assert cache.cache_folder() == tmp_path / "xdg" / "scopecheck"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # to be ignored, as the XDG specification says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_folder() == tmp_path / "home" / ".cache" / "scopecheck"
    monkeypatch.setenv("SCOPECHECK_NO_CACHE", "0")
    assert cache.cache_folder() == tmp_path / "home" / ".cache" / "scopecheck"


def _must_not_run(*args, **kwargs):
    raise AssertionError("the cache should have answered")


def _with_checksum(payload: bytes) -> bytes:
    return hashlib.sha256(payload).digest() + payload


def test_grammar_tables_lark_cannot_load_are_built_again(cache_in_test_folder: Path) -> None:
    from scopecheck import cache
    from scopecheck.syntax import grammar

    grammar.lark_parser.cache_clear()
    grammar.lark_parser()  # writes the tables
    (entry,) = (cache_in_test_folder / "grammar").iterdir()
    name = entry.name
    cache._write(entry, b"not the tables of any grammar")  # a sound entry Lark cannot read
    grammar.lark_parser.cache_clear()
    assert grammar.lark_parser().parse("rule a \"A\"\n  when true\n  then in_plan\n", start="start")
    assert cache._read(cache_in_test_folder / "grammar" / name) != b"not the tables of any grammar"  # written again
