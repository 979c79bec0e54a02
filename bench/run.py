"""The benchmark: scopecheck, a hand-written Python function and the peer engines on one workload.

Run from the repository's root: ``python -m bench.run [--tickets N] [--only ENGINE ...]
[--repeat R] [--end-to-end [--sizes 10000,100000]] [--start-up] [--profile]``.

In: options. Out: on standard output, a table of tickets per second per engine, each engine's
rate as a share of the hand-written function's, and scopecheck's rate as a multiple of each
engine's; with ``--end-to-end`` and ``--start-up``, the command's own runs; and the issue's
targets with what was measured against each. Every engine's outcome, deciding rule and premium
are checked against the hand-written function's on every ticket: a difference is reported
(the first per engine) and the exit code is 1.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import itertools
import os
import platform
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bench import baseline, endtoend, peers, subject, workload

ENGINES = ("scopecheck", *(peer.key for peer in peers.PEERS))
HAND_WRITTEN = "hand-written Python"
HANDED_BASELINE = "the ticket dicts; counts moves, reads weekday and hour itself"
HANDED_SCOPECHECK = "Tickets made from the same dicts (untimed); counts moves, reads its calendar itself"


@dataclass
class Row:
    engine: str
    handed: str
    rate: float | None = None  # tickets per second; None when not measured
    note: str = ""
    mismatch: str | None = None


def measure(run: Callable[[list], list], data: list, repeat: int) -> tuple[float, list]:
    """The best of ``repeat`` timed runs (the least disturbed by the rest of the machine), and
    the results of the last."""
    best = float("inf")
    results: list = []
    for _ in range(repeat):
        results = []  # drop the previous run's results before timing the next
        gc.collect()
        started = time.perf_counter()
        results = run(data)
        best = min(best, time.perf_counter() - started)
    return best, results


def first_mismatch(name: str, results: list, expected: list, tickets: list[dict], handed: Sequence | None = None) -> str | None:
    if len(results) != len(expected):
        return f"{name} gave {len(results)} results for {len(expected)} tickets"
    for index, (got, want) in enumerate(zip(results, expected)):
        if got != want:
            shown = handed[index] if handed is not None else tickets[index]
            return f"{name}, ticket {tickets[index]['id']}: gave {got}, the hand-written function {want}; it was handed {shown}"
    return None


def evaluation_rows(tickets: list[dict], only: set[str], repeat: int, out: TextIO) -> list[Row]:
    expected = baseline.classify(tickets)
    seconds, _ = measure(baseline.classify, tickets, repeat)
    rows = [Row(HAND_WRITTEN, HANDED_BASELINE, len(tickets) / seconds)]
    if "scopecheck" in only:
        rows.extend(_scopecheck_rows(tickets, expected, repeat))
    view = workload.peer_view(tickets) if only & {peer.key for peer in peers.PEERS} else []
    for peer in peers.PEERS:
        if peer.key not in only:
            continue
        if not peer.available():
            rows.append(Row(peer.name, peer.handed, note=f"skipped: {peer.package} is not installed (pip install -e '.[bench]')"))
            continue
        print(f"  running {peer.name} ...", file=out, flush=True)
        data, run = peer.prepare(view)
        seconds, results = measure(run, data, repeat)
        rows.append(Row(peer.name, peer.handed, len(tickets) / seconds,
                        mismatch=first_mismatch(peer.name, results, expected, tickets, view)))
    return rows


def _scopecheck_rows(tickets: list[dict], expected: list, repeat: int) -> list[Row]:
    program = subject.load_program()
    prepared = subject.tickets_from_dicts(program, tickets)
    seconds, results = measure(lambda batch: subject.full_decisions(program, batch), prepared, repeat)
    full = Row("scopecheck full decisions", HANDED_SCOPECHECK, len(tickets) / seconds,
               note="fired rules with reasons, bill in Decimal",
               mismatch=first_mismatch("scopecheck", results, expected, tickets))
    seconds, results = measure(lambda batch: subject.evaluate(program, batch), prepared, repeat)
    evaluation = Row("scopecheck evaluation", HANDED_SCOPECHECK, len(tickets) / seconds,
                     note="outcome, deciding rule and charges (Program.verdict_batch)",
                     mismatch=first_mismatch("scopecheck evaluation", results, expected, tickets))
    return [evaluation, full]


def _rate(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:,.0f}"


def _ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}x" if value < 10 else f"{value:.0f}x"


def _table(headers: Sequence[str], body: list[Sequence[str]], right: set[int], out: TextIO) -> None:
    widths = [max(len(str(row[column])) for row in [headers, *body]) for column in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(cell).rjust(width) if column in right else str(cell).ljust(width)
                         for column, (cell, width) in enumerate(zip(cells, widths))).rstrip()

    print(line(headers), file=out)
    print(line(["-" * width for width in widths]), file=out)
    for row in body:
        print(line(row), file=out)


def print_evaluation(rows: list[Row], out: TextIO) -> None:
    hand = rows[0].rate
    ours = next((row.rate for row in rows if row.engine == "scopecheck evaluation"), None)
    body = []
    for row in rows:
        share = row.rate / hand if row.rate else None
        ours_to_it = ours / row.rate if ours and row.rate else None
        note = "MISMATCH" if row.mismatch else row.note
        body.append([row.engine, _rate(row.rate), _ratio(share), _ratio(ours_to_it), row.handed + (f" [{note}]" if note else "")])
    _table(["engine", "tickets/s", "vs hand-written", "scopecheck evaluation vs it", "handed; notes"], body, {1, 2, 3}, out)


def print_end_to_end(runs: list[endtoend.EndToEnd], out: TextIO) -> None:
    def together(run: endtoend.EndToEnd) -> str:
        tree = run.run.peak_tree_rss_mb
        return "-" if tree is None else f"{tree:,.0f}"

    body = [[run.label, f"{run.tickets:,}", f"{run.run.seconds:.2f}", _rate(run.rate), f"{run.run.peak_rss_mb:,.0f}", together(run),
             "MISMATCH" if run.mismatch else ""] for run in runs]
    _table(["scopecheck classify, CSV -> JSON Lines file", "tickets", "seconds", "tickets/s", "peak RSS MB",
            "all processes MB", ""], body, {1, 2, 3, 4, 5}, out)
    by_label: dict[str, list[endtoend.EndToEnd]] = {}
    for run in runs:
        by_label.setdefault(run.label, []).append(run)
    for label, series in by_label.items():
        for smaller, larger in itertools.pairwise(series):
            print(f"  {label}: {smaller.tickets:,} -> {larger.tickets:,} tickets ({larger.tickets / smaller.tickets:.0f}x): "
                  f"time x{larger.run.seconds / smaller.run.seconds:.1f}, peak memory x{larger.run.peak_rss_mb / smaller.run.peak_rss_mb:.1f}",
                  file=out)
    for label, series in by_label.items():
        one = {run.tickets: run for run in by_label.get(label.removesuffix(", --jobs 2"), ())}
        if label.endswith(", --jobs 2"):
            for run in series:
                if run.tickets in one:
                    print(f"  {label}, {run.tickets:,} tickets: {run.rate / one[run.tickets].rate:.2f}x the rate of one process",
                          file=out)


def print_start_up(results: list[endtoend.StartUp], out: TextIO) -> None:
    reference = results[0].median_seconds
    body = [[item.label, f"{item.median_seconds * 1000:.0f}", _ratio(item.median_seconds / reference)] for item in results]
    _table(["command (median of fresh processes)", "ms", "vs import click"], body, {1, 2}, out)


def print_targets(rows: list[Row], runs: list[endtoend.EndToEnd], starts: list[endtoend.StartUp], out: TextIO) -> None:
    """The issue's targets, each with the number measured for it; a target this run did not
    measure is left out."""
    rate = {row.engine: row.rate for row in rows}
    hand = rate.get(HAND_WRITTEN)
    lines: list[tuple[str, float, float, bool]] = []  # (what, measured, target, higher is better)
    if rate.get("scopecheck evaluation"):
        lines.append(("1. evaluation / hand-written", rate["scopecheck evaluation"] / hand, 0.5, True))
        if rate.get("zen-engine expression"):
            lines.append(("1. evaluation / zen-engine expression", rate["scopecheck evaluation"] / rate["zen-engine expression"], 5, True))
        lines.append(("2. full decisions / hand-written", rate["scopecheck full decisions"] / hand, 0.25, True))
    no_ledger = [run for run in runs if run.label == "no ledger"]
    with_ledger = [run for run in runs if run.label == "with a SQLite ledger"]
    if no_ledger:
        largest = no_ledger[-1]
        lines.append((f"3. classify, no ledger, {largest.tickets:,} tickets: tickets/s", largest.rate, 150_000, True))
        lines.append((f"3. classify, no ledger, {largest.tickets:,} tickets: peak RSS MB", largest.run.peak_rss_mb, 400, False))
    if with_ledger:
        largest = with_ledger[-1]
        lines.append((f"3. classify, ledger, {largest.tickets:,} tickets: tickets/s", largest.rate, 50_000, True))
    if starts:
        reference = starts[0].median_seconds
        lines.append(("4. classify one ticket / import click", starts[2].median_seconds / reference, 3, False))
        lines.append(("4. scopecheck --help / import click", starts[1].median_seconds / reference, 2, False))
    if not lines:
        return
    body = []
    for what, measured, target, higher in lines:
        met = measured >= target if higher else measured <= target
        shown = f"{measured:,.0f}" if measured >= 100 else f"{measured:.2f}" if measured >= 1 else f"{measured:.3f}"
        body.append([what, shown, (">= " if higher else "<= ") + f"{target:,}", "met" if met else "not met"])
    _table(["target", "measured", "wanted", ""], body, {1, 2}, out)


def profile(tickets: list[dict], out: TextIO, top: int = 15) -> None:
    """Where scopecheck's per-ticket decide path spends its time, by cumulative time."""
    program = subject.load_program()
    prepared = subject.tickets_from_dicts(program, tickets)
    profiler = cProfile.Profile()
    profiler.runcall(subject.full_decisions, program, prepared)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(top)
    print(text.getvalue().strip(), file=out)


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a list of ticket counts, such as 10000,100000") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("ticket counts must be 1 or more")
    return sizes


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=workload.DEFAULT_TICKETS, help="tickets in the workload (default 100,000)")
    parser.add_argument("--seed", type=int, default=workload.DEFAULT_SEED, help="the workload's random seed")
    parser.add_argument("--only", nargs="+", choices=ENGINES, metavar="ENGINE",
                        help=f"engines to run besides the hand-written function: {', '.join(ENGINES)} (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per engine; the best counts (default 3)")
    parser.add_argument("--end-to-end", action="store_true", help="also time scopecheck classify over CSV files")
    parser.add_argument("--sizes", type=_sizes, default=[10_000, 100_000],
                        help="ticket counts for --end-to-end, comma-separated (default 10000,100000)")
    parser.add_argument("--start-up", action="store_true", help="also time start-up against python -c 'import click'")
    parser.add_argument("--start-up-runs", type=int, default=7, help="fresh processes per start-up command (default 7)")
    parser.add_argument("--profile", action="store_true", help="also profile scopecheck's decide path (cProfile, top 15)")
    arguments = parser.parse_args(argv)
    if arguments.tickets < 1 or arguments.repeat < 1 or arguments.start_up_runs < 1:
        parser.error("--tickets, --repeat and --start-up-runs must be 1 or more")
    return arguments


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    arguments = parse_arguments(argv)
    only = set(arguments.only or ENGINES)
    print(f"scopecheck benchmark, {dt.date.today().isoformat()}: Python {platform.python_version()}, "
          f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}", file=out)
    print(f"workload: {arguments.tickets:,} tickets, seed {arguments.seed}; best of {arguments.repeat} runs", file=out, flush=True)
    tickets = workload.generate(arguments.tickets, arguments.seed)
    rows = evaluation_rows(tickets, only, arguments.repeat, out)
    print(file=out)
    print_evaluation(rows, out)
    # The evaluation row shares the full-decision row's run while there is no cheaper path.
    mismatches = list(dict.fromkeys(row.mismatch for row in rows if row.mismatch))

    runs: list[endtoend.EndToEnd] = []
    starts: list[endtoend.StartUp] = []
    if arguments.end_to_end or arguments.start_up:
        with tempfile.TemporaryDirectory(prefix="scopecheck-bench-") as folder:
            if arguments.end_to_end:
                runs = _end_to_end(arguments, Path(folder), out)
                mismatches += [f"scopecheck classify, {run.label}, {run.tickets:,} tickets: {run.mismatch}" for run in runs if run.mismatch]
            if arguments.start_up:
                starts = endtoend.start_up(Path(folder), arguments.start_up_runs)
                print(file=out)
                print_start_up(starts, out)
    print(file=out)
    print_targets(rows, runs, starts, out)
    if arguments.profile:
        print(file=out)
        profile(tickets, out)
    for mismatch in mismatches:
        print(f"mismatch: {mismatch}", file=out)
    return 1 if mismatches else 0


def _end_to_end(arguments: argparse.Namespace, folder: Path, out: TextIO) -> list[endtoend.EndToEnd]:
    runs = []
    jobs = endtoend.supports_jobs()
    variants = [(False, None), (True, None)] + ([(False, 2), (True, 2)] if jobs else [])
    for size in arguments.sizes:
        tickets = workload.generate(size, arguments.seed)
        for ledger, job_count in variants:
            print(f"  scopecheck classify, {size:,} tickets, {'ledger' if ledger else 'no ledger'}"
                  f"{f', --jobs {job_count}' if job_count else ''} ...", file=out, flush=True)
            runs.append(endtoend.classify_file(tickets, folder, ledger, job_count))
    runs.sort(key=lambda run: (run.label, run.tickets))
    print(file=out)
    print_end_to_end(runs, out)
    if not jobs:
        print("  this classify has no --jobs option (target 5): not measured", file=out)
    return runs


if __name__ == "__main__":
    sys.exit(main())
