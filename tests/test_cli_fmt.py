"""`scopecheck fmt` as its users meet it: rewriting files in place, and CI asking whether any
file would change."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from scopecheck.cli import main

from .conftest import EXAMPLES, REPO

MESSY = 'rule moves "Moves"   when ticket.category is "move"  # moves\n then billable\n'
CANONICAL = 'rule moves "Moves"\n  when ticket.category is "move"  # moves\n  then billable\n'
BROKEN = "rule broken\n  when ticket.estimate > 4h\n  thn project\n"


def run(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "clients").mkdir()
    (tmp_path / "clients" / "messy.scope").write_text(MESSY)
    (tmp_path / "clients" / "tidy.scope").write_text(CANONICAL)
    (tmp_path / "notes.txt").write_text("not a rule file")
    return tmp_path


def test_files_are_rewritten_in_place_and_reported(folder: Path) -> None:
    messy = folder / "clients" / "messy.scope"
    result = run("fmt", str(folder))
    assert result.exit_code == 0, result.output
    assert messy.read_text() == CANONICAL
    assert f"reformatted {messy}" in result.stderr
    assert "1 file reformatted, 1 left unchanged" in result.stderr
    assert result.stdout == ""
    assert run("fmt", str(folder)).stderr.strip() == "0 files reformatted, 2 left unchanged"


def test_rewriting_keeps_the_files_mode_and_leaves_no_temporary_file(folder: Path) -> None:
    messy = folder / "clients" / "messy.scope"
    os.chmod(messy, 0o640)
    run("fmt", str(messy))
    assert stat.S_IMODE(messy.stat().st_mode) == 0o640
    assert sorted(path.name for path in messy.parent.iterdir()) == ["messy.scope", "tidy.scope"]


def test_crlf_files_are_rewritten_with_lf(tmp_path: Path) -> None:
    path = tmp_path / "windows.scope"
    path.write_bytes(CANONICAL.replace("\n", "\r\n").encode())
    assert run("fmt", "--check", str(path)).exit_code == 1
    run("fmt", str(path))
    assert path.read_bytes() == CANONICAL.encode()


def test_check_writes_nothing_and_exits_1_when_a_file_would_change(folder: Path) -> None:
    messy = folder / "clients" / "messy.scope"
    result = run("fmt", "--check", str(folder))
    assert result.exit_code == 1
    assert messy.read_text() == MESSY
    assert f"would reformat {messy}" in result.stderr
    assert "1 file would be reformatted, 1 left unchanged" in result.stderr
    assert result.stdout == ""
    assert run("fmt", "--check", str(folder / "clients" / "tidy.scope")).exit_code == 0


def test_diff_prints_a_unified_diff_and_writes_nothing(folder: Path) -> None:
    messy = folder / "clients" / "messy.scope"
    result = run("fmt", "--diff", str(folder))
    assert result.exit_code == 0
    assert messy.read_text() == MESSY
    assert result.stdout.startswith(f"--- a/{messy}\n+++ b/{messy}\n@@ ")
    assert '-rule moves "Moves"   when ticket.category is "move"  # moves\n' in result.stdout
    assert '+  when ticket.category is "move"  # moves\n' in result.stdout
    assert "tidy.scope" not in result.stdout
    assert run("fmt", "--diff", "--check", str(folder)).exit_code == 1


def test_standard_input_is_formatted_to_standard_output() -> None:
    result = run("fmt", "-", input=MESSY)
    assert result.exit_code == 0
    assert result.stdout == CANONICAL
    result = run("fmt", "--check", "-", input=MESSY)
    assert result.exit_code == 1 and result.stdout == ""
    assert "would reformat <stdin>" in result.stderr
    assert run("fmt", "--check", "-", input=CANONICAL.replace("\n", "\r\n").encode()).exit_code == 1


def test_a_broken_file_is_reported_and_left_alone_while_the_others_are_formatted(folder: Path) -> None:
    broken = folder / "clients" / "broken.scope"
    broken.write_text(BROKEN)
    result = run("fmt", str(folder))
    assert result.exit_code == 2
    assert broken.read_text() == BROKEN
    assert (folder / "clients" / "messy.scope").read_text() == CANONICAL
    assert f"{broken}:3:3: error[syntax.unknown-keyword]" in result.stderr
    assert "3 |   thn project" in result.stderr and "help: did you mean 'then'?" in result.stderr
    assert "1 file reformatted, 1 left unchanged, 1 could not be formatted" in result.stderr
    assert "Traceback" not in result.output


def test_a_broken_file_on_standard_input_prints_nothing_to_standard_output() -> None:
    result = run("fmt", "-", input=BROKEN)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "<stdin>:3:3: error[syntax.unknown-keyword]" in result.stderr


def test_a_missing_or_unreadable_path_is_one_line_and_exit_2(folder: Path) -> None:
    result = run("fmt", str(folder / "nowhere.scope"), str(folder / "clients"))
    assert result.exit_code == 2
    assert f"error: cannot read '{folder / 'nowhere.scope'}': no such file or folder" in result.stderr
    assert (folder / "clients" / "messy.scope").read_text() == CANONICAL
    binary = folder / "binary.scope"
    binary.write_bytes(b"\xff\xfe rule")
    result = run("fmt", str(binary))
    assert result.exit_code == 2
    assert f"error: cannot read '{binary}': it is not UTF-8 text" in result.stderr
    assert "Traceback" not in result.output


def test_folders_skip_hidden_and_environment_folders(folder: Path) -> None:
    for skipped in (".git", ".venv", "venv", "build", "dist", "node_modules"):
        (folder / skipped).mkdir()
        (folder / skipped / "vendored.scope").write_text(MESSY)
    result = run("fmt", "--check", str(folder))
    assert "vendored" not in result.stderr
    assert "1 file would be reformatted, 1 left unchanged" in result.stderr


def test_paths_default_to_the_current_folder_and_a_file_named_twice_is_formatted_once(folder: Path, monkeypatch) -> None:
    monkeypatch.chdir(folder)
    result = run("fmt", "--check")
    assert result.exit_code == 1
    assert f"would reformat {Path('clients') / 'messy.scope'}" in result.stderr
    result = run("fmt", "clients", "clients/messy.scope")
    assert result.stderr.count("reformatted") == 2  # one file line, one summary


def test_a_folder_without_rule_files_says_so(tmp_path: Path) -> None:
    result = run("fmt", "--check", str(tmp_path))
    assert result.exit_code == 0
    assert "no rule files (*.scope) found" in result.stderr


def test_the_shipped_rules_and_examples_are_already_formatted() -> None:
    result = run("fmt", "--check", str(REPO / "rules"), str(EXAMPLES))
    assert result.exit_code == 0, result.output
    assert "0 files would be reformatted" in result.stderr


def test_the_shipped_examples_come_back_unchanged_from_a_rewrite(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    before = {path: path.read_bytes() for path in (tmp_path / "examples").rglob("*.scope")}
    assert run("fmt", str(tmp_path / "examples")).exit_code == 0
    assert {path: path.read_bytes() for path in before} == before


def test_help_shows_examples() -> None:
    result = run("fmt", "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output and "scopecheck fmt --check --diff ." in result.output
