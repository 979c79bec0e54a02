"""A small launcher that runs one command and reports its wall time and peak memory.

In: ``python bench/child.py OUTPUT -- COMMAND...``. Out: the command's standard output in the
file OUTPUT, its standard error passed through, and on this process's standard output one JSON
object: ``{"seconds": ..., "peak_rss_kib": ..., "peak_tree_rss_kib": ..., "exit_code": ...}``.

``peak_rss_kib`` is the largest resident memory of the command or of any one process it started
(what the kernel reports when the command ends). A command that works in several processes at
once (``classify --jobs``) holds their sum: ``peak_tree_rss_kib`` is the largest sum over the
command and its processes, sampled every few hundredths of a second (Linux only; ``null``
elsewhere), so a peak shorter than that can be missed.

Why a launcher: Linux keeps a process's peak resident memory across ``exec``, and Python
starts children with ``vfork``, so a command started straight from the benchmark, which holds
a large workload, would report the benchmark's own peak as its own. Started from this small
process instead, the command's peak is its own. Only the standard library is imported, to
keep the launcher small.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

SAMPLE_SECONDS = 0.05


def tree_rss_kib(pid: int) -> int | None:
    """The resident memory of ``pid`` and every process under it, from ``/proc``."""
    total, waiting = 0, [pid]
    while waiting:
        current = waiting.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii", errors="replace") as status:
                total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    waiting.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue  # a process that ended meanwhile
    return total


class TreeSampler(threading.Thread):
    """The largest ``tree_rss_kib`` seen while the command runs."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak: int | None = 0 if os.path.isdir(f"/proc/{pid}/task") else None
        self.done = threading.Event()

    def run(self) -> None:
        while self.peak is not None and not self.done.wait(SAMPLE_SECONDS):
            self.peak = max(self.peak, tree_rss_kib(self.pid) or 0)


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: child.py OUTPUT -- COMMAND...", file=sys.stderr)
        return 2
    output, command = argv[0], argv[2:]
    with open(output, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stdin=subprocess.DEVNULL)
        sampler = TreeSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
    # Linux gives ru_maxrss in kibibytes.
    peak_tree = None if sampler.peak is None else max(sampler.peak, usage.ru_maxrss)
    print(json.dumps({"seconds": seconds, "peak_rss_kib": usage.ru_maxrss, "peak_tree_rss_kib": peak_tree,
                      "exit_code": os.waitstatus_to_exitcode(status)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
