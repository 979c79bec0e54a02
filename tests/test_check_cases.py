"""Seeded broken agreements and rule files: each finding's code and place, in every format.

Each ``tests/cases/check/NAME.yaml`` holds ``files`` (written into an empty folder) and ``want``,
the findings ``scopecheck check`` must report there as ``path:line:col code``, no more and no
fewer. Every case is run in every output format, and each format is read back the way its
consumer reads it: text headlines, JSON fields, SARIF results (validated against the SARIF
2.1.0 schema), GitHub annotations and JUnit failures.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from scopecheck.cli import main

CASES = sorted((Path(__file__).parent / "cases" / "check").glob("*.yaml"))
SARIF_SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
FORMATS = ("text", "json", "sarif", "github", "junit")
_HEADLINE = re.compile(r"^(?P<path>[^\s:]+):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning|note)\[(?P<code>[a-z0-9.-]+)\]", re.M)


def _found_in_text(output: str) -> list[str]:
    return [f"{m['path']}:{m['line']}:{m['column']} {m['code']}" for m in _HEADLINE.finditer(output)]


def _found_in_json(output: str) -> list[str]:
    return [f"{d['path']}:{d['line']}:{d['column']} {d['code']}" for d in json.loads(output)["diagnostics"]]


def _found_in_sarif(output: str) -> list[str]:
    document = json.loads(output)
    jsonschema.Draft7Validator(SARIF_SCHEMA).validate(document)
    (run,) = document["runs"]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    found = []
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        region = location["region"]
        found.append(f"{location['artifactLocation']['uri']}:{region['startLine']}:{region['startColumn']} {result['ruleId']}")
    return found


def _found_in_github(output: str) -> list[str]:
    found = []
    for line in output.splitlines():
        match = re.match(r"^::(error|warning|notice) (?P<properties>[^:]*)::", line)
        assert match, f"not a workflow command: {line!r}"
        properties = dict(item.split("=", 1) for item in match["properties"].split(","))
        # GitHub ignores columns on an annotation that spans lines, so none is written there.
        found.append(f"{properties['file']}:{properties['line']}:{properties.get('col', '1')} {properties['title']}")
    return found


def _found_in_junit(output: str) -> list[str]:
    suite = ElementTree.fromstring(output)
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    found = []
    for case in suite.iter("testcase"):
        for part in (*case.findall("failure"), *case.findall("system-out")):
            found.extend(_found_in_text(part.text or ""))
    return found


READERS = {"text": _found_in_text, "json": _found_in_json, "sarif": _found_in_sarif, "github": _found_in_github,
           "junit": _found_in_junit}


@pytest.mark.parametrize("case_file", CASES, ids=[c.stem for c in CASES])
def test_each_seeded_finding_is_reported_with_its_place_in_every_format(case_file: Path, tmp_path: Path, monkeypatch) -> None:
    case = yaml.safe_load(case_file.read_text())
    for name, text in case["files"].items():
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    want = sorted(case["want"] or [])
    for output_format in FORMATS:
        result = CliRunner().invoke(main, ["check", ".", "--format", output_format, "--fail-level", "warning"])
        assert result.exit_code == (1 if want else 0), (output_format, result.output)
        assert sorted(READERS[output_format](result.stdout)) == want, (output_format, result.stdout)


def test_there_are_at_least_25_seeded_cases_covering_every_lint_code() -> None:
    assert len(CASES) >= 25
    codes = {line.split()[1] for case in CASES for line in yaml.safe_load(case.read_text())["want"] or []}
    for code in ("lint.never-fires", "lint.shadowed", "lint.ambiguous", "check.duplicate-rule", "lint.unused-param",
                 "lint.missing-title", "lint.missing-because", "lint.unused-premium", "check.reserved-id",
                 "check.unknown-field", "check.type-mismatch", "check.arity", "check.param-override"):
        assert code in codes, code
