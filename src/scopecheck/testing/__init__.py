"""Rule tests: cases written beside rule files, run against them, with coverage.

Stage: testing, after evaluate. In: ``NAME.tests.yaml`` files (``load``). Out: one result per
case and the coverage of the rule files the cases ran (``run``, ``coverage``), as text, JSON or
JUnit XML (``report``). docs/testing.md describes the file format.
"""
