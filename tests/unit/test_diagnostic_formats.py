"""Diagnostic output formats: text, JSON, SARIF (checked against the published schema), GitHub
workflow commands and JUnit XML, all from the same hand-built diagnostics."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from scopecheck.record import replace
from pathlib import Path

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

from scopecheck import diagnostic_formats as formats
from scopecheck.codes import CODES
from scopecheck.diagnostics import Diagnostic, Related, Severity, SourceLines, Span

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"

RULES = """\
import "standard"

rule after_hours "Work after hours":
  when ticket.categroy = "incident"
  then billable
"""

AGREEMENT = """\
client: Harbor Vale
rules:
  - rules/client.scope
"""

RULES_PATH = "rules/client.scope"
AGREEMENT_PATH = "agreement.yaml"
FILES = [AGREEMENT_PATH, RULES_PATH]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / RULES_PATH).write_text(RULES, encoding="utf-8")
    (tmp_path / AGREEMENT_PATH).write_text(AGREEMENT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


UNKNOWN_FIELD = Diagnostic(
    "check.unknown-field",
    "tickets have no field 'categroy'",
    Span(RULES_PATH, 4, 8, 4, 23),
    help="did you mean 'category'?",
    notes=("fields are listed in docs/tickets.md",),
    related=(
        Related(Span(AGREEMENT_PATH, 3, 5, 3, 23), "the agreement reads the rules here"),
        Related(Span(RULES_PATH, 3, 1), "in this rule"),
    ),
)
MISSING_BECAUSE = Diagnostic("lint.missing-because", "rule 'after_hours' decides without saying why", Span(RULES_PATH, 3, 6, 3, 17),
                             severity=Severity.WARNING, help="add a 'because' line")
UNUSED_KEY = Diagnostic("test.sample-note", "the client name is not read by any rule", Span(AGREEMENT_PATH, 1, 1, 1, 7), severity=Severity.NOTE)
NOT_FOUND = Diagnostic("agreement.not-found", "cannot read the agreement 'missing.yaml': no such file")
DIAGNOSTICS = [UNKNOWN_FIELD, MISSING_BECAUSE, UNUSED_KEY, NOT_FOUND]


def written(writer, *args, **kwargs) -> str:
    out = io.StringIO()
    writer(*args, out, **kwargs)
    return out.getvalue()


# --- text ----------------------------------------------------------------------------------------


def test_text_shows_place_line_caret_and_related_places(workdir):
    text = written(formats.write_text, DIAGNOSTICS, FILES, sources=SourceLines())
    assert "rules/client.scope:4:8: error[check.unknown-field]: tickets have no field 'categroy'\n" in text
    assert '4 |   when ticket.categroy = "incident"\n  |        ^^^^^^^^^^^^^^^\n' in text
    assert "agreement.yaml:3:5: the agreement reads the rules here\n3 |   - rules/client.scope\n" in text
    assert "rules/client.scope:3:1: in this rule\n" in text
    assert "help: did you mean 'category'?\nnote: fields are listed in docs/tickets.md\n" in text
    assert "note[test.sample-note]" in text
    assert "error[agreement.not-found]: cannot read the agreement 'missing.yaml'" in text


def test_text_separates_diagnostics_by_a_blank_line_and_ends_with_a_summary(workdir):
    text = written(formats.write_text, [MISSING_BECAUSE, NOT_FOUND], FILES, sources=SourceLines())
    assert text.count("\n\n") == 2
    assert text.endswith("\n\n1 error, 1 warning in 2 files\n")


def test_summary_counts_every_severity_and_says_when_all_is_well():
    assert formats.summary_line(DIAGNOSTICS, FILES) == "2 errors, 1 warning, 1 note in 2 files"
    assert formats.summary_line([], ["a"] * 14) == "14 files checked, no problems"
    assert formats.summary_line([MISSING_BECAUSE], ["a"]) == "1 warning in 1 file"
    assert written(formats.write_text, [], FILES) == "2 files checked, no problems\n"


# --- JSON ----------------------------------------------------------------------------------------


def _from_json(record: dict) -> Diagnostic:
    def span(place: dict) -> Span | None:
        if place["path"] is None:
            return None
        return Span(place["path"], place["line"], place["column"], place["end_line"], place["end_column"])

    return Diagnostic(
        record["code"], record["message"], span(record), Severity[record["severity"].upper()], record["help"],
        tuple(record["notes"]), tuple(Related(span(related), related["message"]) for related in record["related"]),
    )


def test_json_round_trips_every_field(workdir):
    document = json.loads(written(formats.write_json, DIAGNOSTICS, FILES))
    assert list(document) == ["version", "files", "diagnostics", "summary"]
    assert document["version"] == 1
    assert document["files"] == FILES
    assert [_from_json(record) for record in document["diagnostics"]] == DIAGNOSTICS
    assert document["summary"] == {"errors": 2, "warnings": 1, "notes": 1, "files": 2}


def test_json_keys_come_in_a_fixed_order(workdir):
    record = json.loads(written(formats.write_json, DIAGNOSTICS, FILES))["diagnostics"][0]
    assert list(record) == ["code", "severity", "message", "path", "line", "column", "end_line", "end_column", "help", "notes", "related"]
    assert list(record["related"][0]) == ["path", "line", "column", "end_line", "end_column", "message"]
    assert record["related"][0] == {"path": AGREEMENT_PATH, "line": 3, "column": 5, "end_line": 3, "end_column": 23,
                                    "message": "the agreement reads the rules here"}


def test_json_shows_paths_under_the_working_folder_relative_to_it(workdir):
    absolute = replace(MISSING_BECAUSE, span=replace(MISSING_BECAUSE.span, path=str(workdir / RULES_PATH)))
    document = json.loads(written(formats.write_json, [absolute], [str(workdir / AGREEMENT_PATH)]))
    assert document["files"] == [AGREEMENT_PATH]
    assert document["diagnostics"][0]["path"] == RULES_PATH


# --- SARIF ---------------------------------------------------------------------------------------


def _no_network(uri: str):
    raise NoSuchResource(ref=uri)


@pytest.fixture(scope="module")
def sarif_validator() -> Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    Draft7Validator.check_schema(schema)
    refs = []

    def collect(node):
        if isinstance(node, dict):
            refs.extend(value for key, value in node.items() if key == "$ref")
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(schema)
    assert refs and all(ref.startswith("#/definitions/") for ref in refs)
    # Every reference stays inside the file; anything else would ask this registry and fail.
    registry = Registry(retrieve=_no_network).with_resource(schema["$id"], Resource.from_contents(schema))
    return Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


def _sarif(diagnostics, files=FILES, version="1.2.3") -> dict:
    return json.loads(written(formats.write_sarif, diagnostics, files, version=version))


def test_sarif_validates_against_the_published_schema(workdir, sarif_validator):
    errors = sorted(sarif_validator.iter_errors(_sarif(DIAGNOSTICS)), key=str)
    assert not errors, "\n".join(f"{list(error.absolute_path)}: {error.message}" for error in errors)


def test_the_schema_check_rejects_a_broken_log(workdir, sarif_validator):
    log = _sarif(DIAGNOSTICS)
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert not sarif_validator.is_valid(log)


def test_sarif_names_the_tool_and_the_rules_that_occur(workdir):
    log = _sarif(DIAGNOSTICS)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("scopecheck", "1.2.3")
    assert driver["informationUri"].startswith("https://")
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert sorted(rules) == sorted({diagnostic.code for diagnostic in DIAGNOSTICS})
    assert rules["check.unknown-field"]["shortDescription"]["text"] == CODES["check.unknown-field"].summary
    assert rules["check.unknown-field"]["helpUri"].endswith("docs/language.md#errors")
    assert rules["lint.missing-because"]["defaultConfiguration"]["level"] == "warning"
    assert rules["test.sample-note"]["defaultConfiguration"]["level"] == "note"


def test_sarif_results_carry_rule_level_message_and_region(workdir):
    (run,) = _sarif(DIAGNOSTICS)["runs"]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [result["ruleId"] for result in results] == [diagnostic.code for diagnostic in DIAGNOSTICS]
    assert all(rules[result["ruleIndex"]]["id"] == result["ruleId"] for result in results)
    assert [result["level"] for result in results] == ["error", "warning", "note", "error"]
    first = results[0]
    assert first["message"]["text"] == ("tickets have no field 'categroy'\nhelp: did you mean 'category'?\n"
                                        "note: fields are listed in docs/tickets.md")
    (location,) = first["locations"]
    physical = location["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "rules/client.scope"
    assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert run["artifacts"][physical["artifactLocation"]["index"]]["location"]["uri"] == "rules/client.scope"
    assert physical["region"] == {"startLine": 4, "startColumn": 8, "endLine": 4, "endColumn": 23}


def test_sarif_related_places_become_related_locations(workdir):
    (run,) = _sarif(DIAGNOSTICS)["runs"]
    related = run["results"][0]["relatedLocations"]
    assert [place["message"]["text"] for place in related] == ["the agreement reads the rules here", "in this rule"]
    assert related[0]["physicalLocation"]["artifactLocation"]["uri"] == AGREEMENT_PATH
    assert related[0]["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 23}
    assert related[1]["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 1}
    assert len({place["id"] for place in related}) == 2
    assert "relatedLocations" not in run["results"][1]


def test_sarif_result_without_a_place_has_no_location(workdir):
    (run,) = _sarif([NOT_FOUND])["runs"]
    assert run["results"][0]["locations"] == []
    assert [artifact["location"]["uri"] for artifact in run["artifacts"]] == FILES


def test_sarif_fingerprints_ignore_the_line_but_not_the_finding(workdir):
    moved = replace(MISSING_BECAUSE, span=Span(RULES_PATH, 30, 6, 30, 17))
    reworded = replace(MISSING_BECAUSE, message="rule 'other' decides without saying why")

    def fingerprint(diagnostic):
        return _sarif([diagnostic])["runs"][0]["results"][0]["partialFingerprints"]

    assert fingerprint(MISSING_BECAUSE) == fingerprint(moved)
    assert fingerprint(MISSING_BECAUSE) != fingerprint(reworded)
    twice = _sarif([MISSING_BECAUSE, moved])["runs"][0]["results"]
    assert twice[0]["partialFingerprints"] != twice[1]["partialFingerprints"]


def test_sarif_uris_use_forward_slashes_and_escape_what_a_uri_cannot_hold(workdir, sarif_validator):
    path = str(Path("rules") / "night shift" / "client.scope")
    log = _sarif([replace(MISSING_BECAUSE, span=Span(path, 2, 1))], files=[path])
    assert log["runs"][0]["artifacts"][0]["location"]["uri"] == "rules/night%20shift/client.scope"
    assert sarif_validator.is_valid(log)


def test_sarif_outside_the_working_folder_uses_an_absolute_uri(workdir, tmp_path_factory, sarif_validator):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "agreement.yaml"
    log = _sarif([replace(UNUSED_KEY, span=Span(str(elsewhere), 1, 1))], files=[str(elsewhere)])
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == elsewhere.as_uri()
    assert "uriBaseId" not in location
    assert sarif_validator.is_valid(log)


# --- GitHub --------------------------------------------------------------------------------------


def test_github_writes_one_command_per_diagnostic(workdir):
    lines = written(formats.write_github, DIAGNOSTICS, FILES).splitlines()
    assert lines == [
        "::error file=rules/client.scope,line=4,col=8,endLine=4,endColumn=23,title=check.unknown-field::"
        "tickets have no field 'categroy'%0Ahelp: did you mean 'category'?%0Anote: fields are listed in docs/tickets.md",
        "::warning file=rules/client.scope,line=3,col=6,endLine=3,endColumn=17,title=lint.missing-because::"
        "rule 'after_hours' decides without saying why%0Ahelp: add a 'because' line",
        "::notice file=agreement.yaml,line=1,col=1,endLine=1,endColumn=7,title=test.sample-note::"
        "the client name is not read by any rule",
        "::error title=agreement.not-found::cannot read the agreement 'missing.yaml': no such file",
    ]


def test_github_escapes_messages_and_properties_as_the_toolkit_does(workdir):
    diagnostic = Diagnostic("check.unknown-name", "100% sure:\r\nline two, still", Span("rules/a,b:c.scope", 2, 3, 4, 1),
                            help="one\ntwo")
    (line,) = written(formats.write_github, [diagnostic], FILES).splitlines()
    assert line == ("::error file=rules/a%2Cb%3Ac.scope,line=2,endLine=4,title=check.unknown-name::"
                    "100%25 sure:%0D%0Aline two, still%0Ahelp: one%0Atwo")


def test_github_escape_functions():
    assert formats.escape_data("50%\r\nok: a,b") == "50%25%0D%0Aok: a,b"
    assert formats.escape_property("50%\r\nok: a,b") == "50%25%0D%0Aok%3A a%2Cb"


# --- JUnit ---------------------------------------------------------------------------------------


def _junit(fail_level: Severity, diagnostics=DIAGNOSTICS) -> ET.Element:
    text = written(formats.write_junit, diagnostics, FILES, sources=SourceLines(), fail_level=fail_level)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text)


def _cases(suite: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name"): case for case in suite.iter("testcase")}


def test_junit_has_one_case_per_file_and_one_for_findings_without_a_file(workdir):
    suite = _junit(Severity.ERROR)
    assert suite.tag == "testsuite" and suite.get("name") == "scopecheck check"
    cases = _cases(suite)
    assert list(cases) == [AGREEMENT_PATH, RULES_PATH, "(no file)"]
    assert {case.get("classname") for case in cases.values()} == {"scopecheck.check"}
    assert suite.get("tests") == "3"


def test_junit_fails_files_with_findings_at_the_fail_level(workdir):
    suite = _junit(Severity.ERROR)
    cases = _cases(suite)
    assert suite.get("failures") == "2"
    failure = cases[RULES_PATH].find("failure")
    assert failure.get("message") == "1 error"
    assert "rules/client.scope:4:8: error[check.unknown-field]" in failure.text
    assert "  |        ^^^^^^^^^^^^^^^" in failure.text
    assert "warning[lint.missing-because]" in cases[RULES_PATH].find("system-out").text
    assert cases[AGREEMENT_PATH].find("failure") is None
    assert "note[test.sample-note]" in cases[AGREEMENT_PATH].find("system-out").text
    assert cases["(no file)"].find("failure").get("message") == "1 error"


def test_junit_lower_fail_levels_fail_more_files(workdir):
    by_warning = _junit(Severity.WARNING)
    assert by_warning.get("failures") == "2"
    assert _cases(by_warning)[RULES_PATH].find("failure").get("message") == "1 error, 1 warning"
    assert _cases(by_warning)[RULES_PATH].find("system-out") is None
    by_note = _junit(Severity.NOTE)
    assert by_note.get("failures") == "3"
    assert _cases(by_note)[AGREEMENT_PATH].find("failure").get("message") == "1 note"


def test_junit_with_no_findings_passes_every_file(workdir):
    suite = _junit(Severity.NOTE, diagnostics=[])
    assert (suite.get("tests"), suite.get("failures")) == ("2", "0")
    assert all(len(case) == 0 for case in suite.iter("testcase"))


def test_junit_stays_well_formed_with_characters_xml_cannot_hold(workdir):
    odd = Diagnostic("syntax.unexpected-character", "unexpected character '\x01'", Span(RULES_PATH, 1, 1, 1, 2))
    failure = _cases(_junit(Severity.ERROR, [odd]))[RULES_PATH].find("failure")
    assert "unexpected character '\\x01'" in failure.text


# --- one entry point -----------------------------------------------------------------------------


@pytest.mark.parametrize("format_name", formats.FORMATS)
def test_write_diagnostics_dispatches_on_the_format_name(workdir, format_name):
    out = io.StringIO()
    formats.write_diagnostics(format_name, DIAGNOSTICS, FILES, out, SourceLines(), Severity.WARNING)
    assert "check.unknown-field" in out.getvalue()


def test_write_diagnostics_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="'yaml' is not a diagnostics format"):
        formats.write_diagnostics("yaml", DIAGNOSTICS, FILES, io.StringIO(), None, Severity.ERROR)


def test_the_tool_version_is_the_installed_one_or_zero():
    version = formats.tool_version()
    assert version and isinstance(version, str)
    assert _sarif([], version=None)["runs"][0]["tool"]["driver"]["version"] == version
