"""The command as a user runs it: ``scopecheck classify`` over an export file, and its start-up.

In: a workload size, a folder to write in. Out: wall time and peak memory of one
``scopecheck classify`` process over a CSV of that many tickets (JSON Lines to a file, with or
without a ledger), with its decisions checked against the baseline; and the median start-up
time of short commands.

Each run is a fresh process, started by a small launcher (``child.py``) that reports its wall
time and its own peak resident memory.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import baseline, workload
from bench.subject import AGREEMENT

PREMIUM_RULE = "after_hours_premium"


class CommandFailed(Exception):
    """A measured command did not succeed, so its time means nothing."""


def scopecheck_command() -> list[str]:
    """The installed console script beside this interpreter, as a user would type it; the
    module when there is none (a source checkout run without installing)."""
    script = Path(sys.executable).with_name("scopecheck")
    return [str(script)] if script.exists() else [sys.executable, "-m", "scopecheck"]


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mb: float  # the largest one process held
    exit_code: int
    stderr: str
    peak_tree_rss_mb: float | None = None  # the largest the command's processes held together, sampled


def run_process(command: list[str], stdout_path: Path | None = None) -> Run:
    """Run ``command`` through the launcher (``bench/child.py``), which measures it alone."""
    launcher = [sys.executable, str(Path(__file__).with_name("child.py")), str(stdout_path or os.devnull), "--", *command]
    finished = subprocess.run(launcher, capture_output=True, stdin=subprocess.DEVNULL, check=False, env=_as_installed())
    stderr = finished.stderr.decode("utf-8", "replace")
    if finished.returncode != 0:
        raise CommandFailed(f"the launcher failed: {stderr.strip()[:500]}")
    report = json.loads(finished.stdout)
    tree = report.get("peak_tree_rss_kib")
    return Run(report["seconds"], report["peak_rss_kib"] / 1024, report["exit_code"], stderr, tree / 1024 if tree else None)


def _as_installed() -> dict[str, str]:
    """The environment with Python allowed to keep compiled modules, as it does on a user's
    machine (an installed package carries them); a machine that sets PYTHONDONTWRITEBYTECODE
    would otherwise compile every module of a short run from source, every run."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def time_process(command: list[str]) -> float:
    """Wall time of one fresh process started straight from here, as a shell would start it."""
    started = time.perf_counter()
    finished = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, check=False,
                              env=_as_installed())
    seconds = time.perf_counter() - started
    if finished.returncode != 0:
        raise CommandFailed(f"{' '.join(command)} exited with {finished.returncode}: "
                            f"{finished.stderr.decode('utf-8', 'replace').strip()[:500]}")
    return seconds


def supports_jobs() -> bool:
    """Whether this scopecheck's classify takes --jobs (issue target 5); measured only then."""
    result = subprocess.run([*scopecheck_command(), "classify", "--help"], capture_output=True, text=True, check=False)
    return "--jobs" in result.stdout


@dataclass(frozen=True)
class EndToEnd:
    label: str
    tickets: int
    run: Run
    mismatch: str | None

    @property
    def rate(self) -> float:
        return self.tickets / self.run.seconds


def first_mismatch(output: Path, expected: dict[str, tuple[str, str, float]]) -> str | None:
    """The first decision in ``output`` (JSON Lines) that differs from the baseline, in words."""
    seen = 0
    with output.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            fired = {entry["rule"] for entry in record["fired"]}
            got = (record["outcome"], record["deciding_rule"], 1.5 if PREMIUM_RULE in fired else 1.0)
            want = expected.get(record["ticket"])
            if got != want:
                return f"ticket {record['ticket']}: scopecheck classify gave {got}, the hand-written function {want}"
            seen += 1
    if seen != len(expected):
        return f"scopecheck classify wrote {seen} decisions for {len(expected)} tickets"
    return None


def classify_file(tickets: list[dict], folder: Path, ledger: bool, jobs: int | None = None) -> EndToEnd:
    """One ``scopecheck classify`` of the tickets as CSV, JSON Lines out to a file."""
    count = len(tickets)
    source = workload.write_csv(tickets, folder / f"tickets-{count}.csv")
    output = folder / f"decisions-{count}.jsonl"
    command = [*scopecheck_command(), "classify", str(AGREEMENT), str(source), "--format", "jsonl"]
    if ledger:
        ledger_path = folder / f"ledger-{count}.sqlite3"
        ledger_path.unlink(missing_ok=True)
        command += ["--ledger", str(ledger_path)]
    else:
        command.append("--no-ledger")
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    run = run_process(command, output)
    label = ("with a SQLite ledger" if ledger else "no ledger") + (f", --jobs {jobs}" if jobs else "")
    if run.exit_code != 0:
        return EndToEnd(label, count, run, f"scopecheck classify exited with {run.exit_code}: {run.stderr.strip()[:500]}")
    expected = {ticket["id"]: result for ticket, result in zip(tickets, baseline.classify(tickets))}
    mismatch = first_mismatch(output, expected)
    output.unlink()
    source.unlink()
    return EndToEnd(label, count, run, mismatch)


@dataclass(frozen=True)
class StartUp:
    label: str
    command: list[str]
    median_seconds: float


def start_up(folder: Path, runs: int = 7) -> list[StartUp]:
    """Median wall time of each command over ``runs`` fresh processes, run in turn so that a
    slow moment of the machine falls on all of them alike. The first round only warms the
    file cache (and lets Python keep compiled modules, see ``_as_installed``) and is not counted."""
    one = workload.write_csv(workload.generate(1), folder / "one-ticket.csv")
    commands = {
        'python -c "import click"': [sys.executable, "-c", "import click"],
        "scopecheck --help": [*scopecheck_command(), "--help"],
        "scopecheck classify, one ticket": [*scopecheck_command(), "classify", str(AGREEMENT), str(one),
                                            "--no-ledger", "--format", "jsonl"],
    }
    times: dict[str, list[float]] = {label: [] for label in commands}
    for round_number in range(runs + 1):
        for label, command in commands.items():
            seconds = time_process(command)
            if round_number:
                times[label].append(seconds)
    return [StartUp(label, command, statistics.median(times[label])) for label, command in commands.items()]
