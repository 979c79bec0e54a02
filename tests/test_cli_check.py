"""`scopecheck check` as users meet it: the shipped examples, fail levels, report files, and the
pre-commit hooks and CI workflow other repositories copy."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner

from scopecheck.cli import main

ROOT = Path(__file__).parent.parent
CONFLICTING = (ROOT / "tests" / "cases" / "check" / "ambiguous-pair.yaml")


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text)


def test_the_shipped_examples_and_library_are_clean_even_of_warnings() -> None:
    result = CliRunner().invoke(main, ["check", str(ROOT / "examples"), str(ROOT / "rules"), "--fail-level", "warning"])
    assert result.exit_code == 0, result.output
    assert "7 files checked, no problems" in result.output


def test_the_ambiguous_pair_is_shown_with_both_places_and_a_ticket_that_fires_both(tmp_path: Path, monkeypatch) -> None:
    _write(tmp_path, yaml.safe_load(CONFLICTING.read_text())["files"])
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0  # a warning, under the default fail level
    out = result.output
    assert "client.scope:6:1: warning[lint.ambiguous]: rules 'trial_preparation' (billable) and 'courtroom_setup' (project)" in out
    assert "client.scope:1:1: rule 'trial_preparation' is here" in out
    example = re.search(r"note: a ticket that fires both: \{(.*)\}", out)
    assert example, out
    assert "trial prep" in example[1] and "courtroom" in example[1] and "estimate: " in example[1]
    assert CliRunner().invoke(main, ["check", "--fail-level", "warning"]).exit_code == 1


def test_the_example_ticket_really_fires_both_rules(tmp_path: Path, monkeypatch) -> None:
    """Classify the printed example against the same rules: both rules fire."""
    _write(tmp_path, yaml.safe_load(CONFLICTING.read_text())["files"])
    monkeypatch.chdir(tmp_path)
    note = re.search(r"a ticket that fires both: (\{.*\})", CliRunner().invoke(main, ["check"]).output)[1]
    ticket = yaml.safe_load(note.replace("T10:00", " 10:00"))
    ticket = {key: str(value) for key, value in ticket.items()} | {"id": "T1"}
    (tmp_path / "agreement.yaml").write_text(
        "client: {name: Example}\nplan: {model: per_user, term: {start: 2026-01-01, end: 2026-12-31}}\n"
        "rates: {standard: $100}\nrules: [./client.scope]\n")
    (tmp_path / "tickets.json").write_text(json.dumps([ticket]))
    result = CliRunner().invoke(main, ["classify", "agreement.yaml", "tickets.json", "--format", "json", "--no-ledger"])
    decision = json.loads(result.stdout)["decisions"][0]
    assert {rule["rule"] for rule in decision["fired"]} >= {"trial_preparation", "courtroom_setup"}


def test_a_report_file_is_written_whole_and_a_summary_goes_to_standard_error(tmp_path: Path) -> None:
    _write(tmp_path, {"client.scope": 'rule odd "Odd"\n  when ticket.estimate > 6h and ticket.estimate < 2h\n  then project\n  because "odd"\n'})
    report = tmp_path / "out" / "scopecheck.sarif"
    report.parent.mkdir()
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--format", "sarif", "-o", str(report)])
    assert result.exit_code == 1
    assert json.loads(report.read_text())["runs"][0]["results"][0]["ruleId"] == "lint.never-fires"
    assert "1 error, 0 warnings; report written to" in result.stderr
    assert [p.name for p in report.parent.iterdir()] == ["scopecheck.sarif"]


def test_usage_errors_exit_with_2() -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["check", "no/such/folder"]).exit_code == 2
    assert runner.invoke(main, ["check", "--format", "xml"]).exit_code == 2
    assert runner.invoke(main, ["check", "--fail-level", "note"]).exit_code == 2


def test_a_named_yaml_file_that_is_no_agreement_is_reported(tmp_path: Path) -> None:
    mapping = ROOT / "examples" / "mappings" / "connectwise-style.yaml"
    result = CliRunner().invoke(main, ["check", str(mapping)])
    assert result.exit_code == 1
    assert "error[check.not-an-agreement]" in result.output


def test_an_empty_folder_says_there_was_nothing_to_check(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 0
    assert "warning[check.no-files]" in result.output


# --- in a real pipeline ---------------------------------------------------------------------------


def _hook_command(hook: dict, folder: Path) -> list[str]:
    arguments = shlex.split(hook["entry"])[1:] + hook.get("args", [])
    if hook.get("pass_filenames", True):
        pattern = re.compile(hook["files"])
        arguments += sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and pattern.search(str(p)))
    return [sys.executable, "-m", "scopecheck", *arguments]


def test_the_pre_commit_hooks_pass_on_the_examples_and_catch_a_broken_rule(tmp_path: Path) -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {hook["id"] for hook in hooks} == {"scopecheck-check", "scopecheck-fmt"}
    examples = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", examples)
    before = {p: p.read_bytes() for p in examples.rglob("*.scope")}
    for hook in hooks:
        assert shlex.split(hook["entry"])[0] == "scopecheck"
        done = subprocess.run(_hook_command(hook, examples), cwd=examples, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (hook["id"], done.stdout, done.stderr)
    assert {p: p.read_bytes() for p in examples.rglob("*.scope")} == before  # already formatted

    client_rules = examples / "harbor-vale" / "harbor-vale.scope"
    client_rules.write_text(client_rules.read_text().replace("ticket.summary", "ticket.sumary", 1))
    check_hook = next(hook for hook in hooks if hook["id"] == "scopecheck-check")
    done = subprocess.run(_hook_command(check_hook, examples), cwd=examples, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "harbor-vale/harbor-vale.scope:" in done.stdout and "check.unknown-field" in done.stdout


def test_the_ci_workflow_runs_commands_that_work_on_the_examples(tmp_path: Path, monkeypatch) -> None:
    workflow = yaml.safe_load((ROOT / "examples" / "ci" / "scopecheck.yml").read_text())
    steps = workflow["jobs"]["rules"]["steps"]
    uploads = [step for step in steps if step.get("uses", "").startswith("github/codeql-action/upload-sarif")]
    assert uploads and uploads[0]["with"]["sarif_file"] == "scopecheck.sarif"
    commands = [step["run"] for step in steps if step.get("run", "").startswith("scopecheck ")]
    assert [shlex.split(c)[1] for c in commands] == ["check", "check", "test", "fmt"]
    shutil.copytree(ROOT / "examples", tmp_path / "repo")
    shutil.copytree(ROOT / "rules", tmp_path / "repo" / "rules")
    monkeypatch.chdir(tmp_path / "repo")
    for command in commands:
        arguments, _, redirect = command.partition(">")
        result = CliRunner().invoke(main, shlex.split(arguments)[1:])
        assert result.exit_code == 0, (command, result.output)
        if redirect.strip():
            Path(redirect.strip()).write_text(result.stdout)
    assert json.loads(Path("scopecheck.sarif").read_text())["runs"][0]["results"] == []


def test_linked_folders_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "sub" / "self").symlink_to(tmp_path / "sub", target_is_directory=True)
    (tmp_path / "client.scope").write_text('rule a "A"\n  when ticket.estimate > 6h\n  then project\n  because "a"\n')
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 0
    assert "1 file checked, no problems" in result.output


def test_a_report_file_is_readable_by_the_next_step(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    CliRunner().invoke(main, ["check", str(ROOT / "examples"), "--format", "json", "-o", str(report)])
    assert report.stat().st_mode & 0o044  # not private to its writer
