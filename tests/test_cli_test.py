"""`scopecheck test` as account managers and CI servers meet it: cases, diffs, coverage, exit codes."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from click.testing import CliRunner

from scopecheck.cli import main

CLIENT_RULES = """\
rule big_move "A move of more than two hours is a project"
  when ticket.category is "move" and ticket.estimate > 2h
  then project
  because "a move of {ticket.estimate} is a project"

rule second_move "A second move in a contract year is billable"
  when ticket.category is "move"
    and count earlier tickets for same requester in contract year where (earlier.category is "move" or earlier.summary mentions "move") >= 1
  then billable
  because "{ticket.requester} has moved before this year"

rule covered "Everything else is covered" priority -1 when true then in_plan
"""

PASSING = """\
scopecheck_tests: 1
rules: [./client.scope]
now: 2026-03-02T10:00
cases:
  - name: a short move is covered
    ticket: {category: move, requester: ann, estimate: 1h}
    expect: {outcome: in_plan, rule: covered}
  - name: a long move is a project
    ticket: {category: move, requester: ann, estimate: 3h}
    expect: {outcome: project, rule: big_move, reason: "a move of 3h is a project"}
"""


def run(*args: str):
    return CliRunner().invoke(main, ["test", *args], catch_exceptions=False)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A client folder with its rule file, as the working folder, so paths print short."""
    (tmp_path / "client.scope").write_text(CLIENT_RULES)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def test_passing_cases_print_a_line_each_and_exit_0(folder: Path) -> None:
    write(folder, "client.tests.yaml", PASSING)
    result = run("--no-coverage")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "PASS a short move is covered (client.tests.yaml:5)",
        "PASS a long move is a project (client.tests.yaml:8)",
        "2 passed, 0 failed in 1 file",
    ]


def test_a_failing_case_shows_expected_and_actual_per_key_and_why(folder: Path) -> None:
    write(folder, "client.tests.yaml", PASSING + """\
  - name: a second move is a project
    earlier:
      - {category: move, requester: ann, opened_at: -30d, estimate: 1h}
    ticket: {category: move, requester: ann, estimate: 1h}
    expect: {outcome: project, rule: second_move, fired: [covered]}
""")
    result = run("--no-coverage")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    failure = lines.index("FAIL a second move is a project (client.tests.yaml:11)")
    assert lines[failure + 1 : failure + 6] == [
        "    - outcome: project",
        "    + outcome: billable",
        "    - fired: [covered]",
        "    + fired: [second_move, covered]",
        '      reason: "ann has moved before this year"',
    ]
    assert lines[-1] == "2 passed, 1 failed in 1 file"


def test_reason_contains_shows_the_whole_reason_when_it_fails(folder: Path) -> None:
    write(folder, "client.tests.yaml", """\
        scopecheck_tests: 1
        rules: [./client.scope]
        now: 2026-03-02T10:00
        cases:
          - name: the reason names the length
            ticket: {category: move, estimate: 3h}
            expect: {reason_contains: "four hours"}
    """)
    result = run("--no-coverage")
    assert result.exit_code == 1
    assert '    - reason_contains: "four hours"' in result.stdout
    assert '    + reason: "a move of 3h is a project"' in result.stdout


def test_an_invalid_ticket_fails_its_case_with_the_readers_diagnostic(folder: Path) -> None:
    write(folder, "client.tests.yaml", PASSING + """\
  - name: an estimate without a unit
    ticket: {category: move, estimate: 3}
    expect: {outcome: project}
  - name: the reader refuses it
    ticket: {category: move, estimate: 3}
    expect: {error: ticket.invalid-value}
""")
    result = run("--no-coverage")
    assert result.exit_code == 1
    assert "FAIL an estimate without a unit (client.tests.yaml:11)" in result.stdout
    assert "client.tests.yaml:12:40: error[ticket.invalid-value]: ticket 'T1': field 'estimate': '3' has no unit" in result.stdout
    assert "PASS the reader refuses it (client.tests.yaml:14)" in result.stdout
    assert "Traceback" not in result.output


def test_an_invalid_agreement_override_is_placed_where_the_case_wrote_it(folder: Path) -> None:
    write(folder, "client.tests.yaml", """\
        scopecheck_tests: 1
        rules: [./client.scope]
        now: 2026-03-02T10:00
        cases:
          - name: a premium below one
            agreement: {premiums: {after_hours: 0.5}}
            ticket: {category: move, estimate: 1h}
            expect: {outcome: in_plan}
    """)
    result = run("--no-coverage")
    assert result.exit_code == 1
    assert "client.tests.yaml:6:41: error[agreement.invalid-value]: 'premiums.after_hours' must be a multiplier" in result.stdout


def test_coverage_names_each_uncovered_clause_at_its_place(folder: Path) -> None:
    write(folder, "client.tests.yaml", PASSING)
    result = run()
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "coverage of 1 rule file: rules 2/3 (66.6%), clauses 1/6 (16.6%)" in out
    assert "client.scope:6:1: rule 'second_move' never fired" in out
    # Every case was a move: the category clauses were never false; the estimate went both ways.
    assert "client.scope:2:8: clause 'ticket.category is \"move\"' was never false" in out
    assert "client.scope:7:8: clause 'ticket.category is \"move\"' was never false" in out
    assert "clause 'ticket.estimate > 2h'" not in out
    assert "client.scope:8:9: clause 'count earlier tickets for same requester in contract year where (earlier.cate...' was never true" in out
    # Inside the count's condition: with no earlier ticket it never ran.
    assert "client.scope:8:74: clause 'earlier.category is \"move\"' was never evaluated" in out


def test_clauses_inside_a_count_are_covered_by_earlier_tickets(folder: Path) -> None:
    write(folder, "client.tests.yaml", """\
        scopecheck_tests: 1
        rules: [./client.scope]
        now: 2026-03-02T10:00
        cases:
          - name: a move after a move
            earlier:
              - {category: move, requester: ann, opened_at: -30d, estimate: 1h}
              - {category: help_desk, summary: Move my monitor, requester: ann, opened_at: -20d, estimate: 1h}
              - {category: help_desk, summary: Printer jam, requester: ann, opened_at: -10d, estimate: 1h}
            ticket: {category: move, requester: ann, estimate: 1h}
            expect: {outcome: billable, rule: second_move}
    """)
    result = run()
    assert result.exit_code == 0, result.output
    assert "clause 'earlier.category is \"move\"'" not in result.stdout
    assert "clause 'earlier.summary mentions \"move\"'" not in result.stdout


def test_coverage_min_fails_when_rules_or_clauses_are_under_it(folder: Path) -> None:
    write(folder, "client.tests.yaml", PASSING)
    under = run("--coverage-min", "50")
    assert under.exit_code == 1
    assert "error: clause coverage 1/6 (16.6%) is under the minimum of 50%" in under.stderr
    assert "rule coverage" not in under.stderr
    assert run("--coverage-min", "16%").exit_code == 0
    assert run("--coverage-min", "16.7").exit_code == 1
    assert run("--coverage-min", "0").exit_code == 0


@pytest.mark.parametrize("args", [["--coverage-min", "101"], ["--coverage-min", "most"], ["--coverage-min", "50", "--no-coverage"]])
def test_a_bad_coverage_minimum_is_a_usage_error(folder: Path, args: list[str]) -> None:
    write(folder, "client.tests.yaml", PASSING)
    assert run(*args).exit_code == 2


def test_junit_has_a_suite_per_file_and_a_case_per_case(folder: Path) -> None:
    write(folder, "client.tests.yaml", PASSING + """\
  - name: a long move is billable
    ticket: {category: move, estimate: 5h}
    expect: {outcome: billable}
""")
    (folder / "more").mkdir()
    (folder / "more" / "client.scope").write_text(CLIENT_RULES)
    write(folder / "more", "other.tests.yaml", PASSING)
    write(folder, "broken.tests.yaml", "scopecheck_tests: 1\nrules: [./client.scope]\n")
    result = run("--format", "junit")
    assert result.exit_code == 2
    root = ElementTree.fromstring(result.stdout)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("6", "1", "1")
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert set(suites) == {"broken.tests.yaml", "client.tests.yaml", "more/other.tests.yaml"}
    client = suites["client.tests.yaml"]
    assert (client.get("tests"), client.get("failures")) == ("3", "1")
    failure = client.find("testcase[@name='a long move is billable']/failure")
    assert failure is not None
    assert "- outcome: billable\n+ outcome: project" in failure.text
    assert failure.get("message") == "outcome: expected billable, got project"
    assert suites["broken.tests.yaml"].find("testcase/error") is not None


def test_json_holds_the_summary_cases_and_coverage(folder: Path) -> None:
    write(folder, "client.tests.yaml", PASSING + """\
  - name: a long move is billable
    ticket: {category: move, estimate: 5h}
    expect: {outcome: billable, fired: [big_move, covered]}
""")
    result = run("--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["summary"] == {"passed": 2, "failed": 1, "files": 1, "unusable_files": 0}
    assert document["files"] == [{"path": "client.tests.yaml", "usable": True, "cases": 3, "problems": []}]
    failed = document["cases"][2]
    assert failed["name"] == "a long move is billable" and failed["line"] == 11 and not failed["passed"]
    assert failed["expected"] == {"outcome": "billable", "fired": ["big_move", "covered"]}
    assert failed["actual"]["outcome"] == "project" and failed["actual"]["fired"] == ["big_move", "covered"]
    assert failed["diff"][:2] == ["- outcome: billable", "+ outcome: project"]
    coverage = document["coverage"]
    assert coverage["rules"] == {"covered": 2, "total": 3, "percent": 66.67}
    assert coverage["files"][0]["path"] == "client.scope"
    assert {"rule": "second_move", "at": "client.scope:6:1"} in coverage["files"][0]["uncovered_rules"]


def test_malformed_files_get_positioned_errors_and_the_others_still_run(folder: Path) -> None:
    write(folder, "client.tests.yaml", PASSING)
    write(folder, "bad.tests.yaml", """\
        scopecheck_tests: 1
        rules: [./client.scope]
        cases:
          - name: misspelt
            tickets: {category: move}
            expect: {outcome: billabel}
    """)
    write(folder, "unknown-rule.tests.yaml", """\
        scopecheck_tests: 1
        rules: [./client.scope]
        now: 2026-03-02T10:00
        cases:
          - name: a rule that is not there
            ticket: {category: move}
            expect: {rule: big_mvoe}
    """)
    write(folder, "not-yaml.tests.yaml", "scopecheck_tests: 1\ncases: [\n")
    result = run("--no-coverage")
    assert result.exit_code == 2
    assert "PASS a long move is a project (client.tests.yaml:8)" in result.stdout
    assert "ERROR bad.tests.yaml: the test file cannot be used (2 problems, on standard error)" in result.stdout
    errors = result.stderr
    assert "bad.tests.yaml:5:5: error[test.unknown-key]: unknown key 'tickets' in 'cases[0]'" in errors
    assert "help: did you mean 'ticket'?" in errors
    assert "bad.tests.yaml:6:23: error[test.unknown-outcome]: 'billabel' is not an outcome" in errors
    assert "unknown-rule.tests.yaml:7:20: error[test.unknown-rule]: there is no rule 'big_mvoe'" in errors
    assert "help: did you mean 'big_move'?" in errors
    assert "not-yaml.tests.yaml:3:1: error[yaml.syntax]" in errors
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("text", "code", "where"),
    [
        ("rules: [./client.scope]\ncases: []\n", "test.missing-key", "1:1"),
        ("scopecheck_tests: 1\nagreement: ./missing.yaml\ncases: [{name: x, ticket: {}, expect: {outcome: in_plan}}]\n",
         "test.agreement-not-found", "2:12"),
        ("scopecheck_tests: 1\nagreement: ./a.yaml\nrules: [standard]\ncases: []\n", "test.conflicting-keys", "3:1"),
        ("scopecheck_tests: 1\nrules: [standard]\ncases:\n  - {name: x, ticket: {opened_at: -2d}, expect: {outcome: in_plan}}\n",
         "test.missing-key", "4:35"),
        ("scopecheck_tests: 1\nrules: [standard]\nnow: 2026-03-02\ncases:\n  - {name: x, ticket: {categroy: move}, expect: {outcome: in_plan}}\n",
         "test.unknown-ticket-field", "5:24"),
        ("scopecheck_tests: 1\nrules: [standard]\nnow: 2026-03-02\ncases:\n  - {name: x, ticket: {}, expect: {outcome: in_plan}}\n"
         "  - {name: x, ticket: {}, expect: {outcome: in_plan}}\n", "test.duplicate-name", "6:12"),
        ("scopecheck_tests: 1\nrules: [standrd]\ncases: [{name: x, ticket: {}, expect: {outcome: in_plan}}]\n",
         "check.unknown-library", "2:9"),
    ],
)
def test_each_kind_of_malformed_file_is_reported_at_its_place(folder: Path, text: str, code: str, where: str) -> None:
    write(folder, "one.tests.yaml", text)
    result = run("one.tests.yaml", "--no-coverage")
    assert result.exit_code == 2
    assert f"one.tests.yaml:{where}: error[{code}]" in result.stderr


def test_folders_are_searched_but_hidden_and_tool_folders_are_not(folder: Path) -> None:
    for hidden in (".git", ".venv", "node_modules", "build"):
        (folder / hidden).mkdir()
        write(folder / hidden, "copy.tests.yaml", "not: [a test file")
    (folder / "clients" / "acme").mkdir(parents=True)
    (folder / "clients" / "acme" / "client.scope").write_text(CLIENT_RULES)
    write(folder / "clients" / "acme", "acme.tests.yaml", PASSING)
    write(folder, "notes.yaml", "not: [a test file")
    result = run("--no-coverage")
    assert result.exit_code == 0, result.output
    assert "2 passed, 0 failed in 1 file" in result.stdout
    assert "clients/acme/acme.tests.yaml:5" in result.stdout


def test_no_test_files_is_an_error(folder: Path) -> None:
    result = run()
    assert result.exit_code == 2
    assert "no test files" in result.stderr


def test_a_named_file_runs_whatever_its_name(folder: Path) -> None:
    write(folder, "cases.yaml", PASSING)
    result = run("cases.yaml", "--no-coverage")
    assert result.exit_code == 0
    assert "2 passed" in result.stdout


def test_cases_run_against_an_agreement_file_with_overrides(folder: Path) -> None:
    write(folder, "agreement.yaml", """\
        client: {name: Acme}
        plan: {model: per_user, term: {start: 2026-01-01, end: 2026-12-31}, fees: {per_user: $100}}
        timezone: Europe/London
        rates: {standard: $120, contract_discount: 10%}
        rules: [standard, ./client.scope]
    """)
    write(folder, "acme.tests.yaml", """\
        scopecheck_tests: 1
        agreement: ./agreement.yaml
        now: 2026-03-02T10:00
        cases:
          - name: the client's own rule outranks the standard threshold
            ticket: {category: move, requester: ann, estimate: 3h}
            expect:
              outcome: project
              rule: big_move
              charges: ["project labour 3h x $120.00/h less 10% = $324.00 (big_move)"]
              total: $324
          - name: an agreement that includes two moves
            agreement: {params: {moves_per_year: 2}}
            earlier:
              - {category: move, requester: ann, opened_at: -30d, estimate: 1h}
            ticket: {category: move, requester: ann, estimate: 1h}
            expect: {outcome: billable, rule: second_move, unchecked: []}
    """)
    result = run()
    assert result.exit_code == 0, result.output
    assert "coverage of 1 rule file:" in result.stdout  # the library counts only with its own cases


def test_a_client_repository_is_measured_on_its_own_rule_files_not_the_library() -> None:
    examples = Path(__file__).parent.parent / "examples"
    result = CliRunner().invoke(main, ["test", str(examples), "--coverage-min", "100"])
    assert result.exit_code == 0, result.output
    assert "standard.scope" not in result.output
    with_library = CliRunner().invoke(main, ["test", str(examples), str(examples.parent / "rules")])
    assert "rules/standard.scope" in with_library.output


def test_junit_holds_names_with_characters_xml_cannot(folder: Path) -> None:
    (folder / "client.scope").write_text('rule bell "Bell"\n  when ticket.summary contains "bell"\n  then billable\n  because "bell"\n')
    (folder / "client.tests.yaml").write_text(
        'scopecheck_tests: 1\nrules: [./client.scope]\ncases:\n'
        '  - name: "a bell \\x07 rings"\n    ticket: {summary: "a bell"}\n    expect: {outcome: in_plan}\n')
    result = CliRunner().invoke(main, ["test", str(folder), "--format", "junit", "--no-coverage"])
    suite = ElementTree.fromstring(result.stdout)
    assert [case.get("name") for case in suite.iter("testcase")] == ["a bell \\x07 rings"]
