"""A small launcher that runs one command and reports its wall time and peak memory.

In: ``python bench/child.py OUTPUT -- COMMAND...``. Out: the command's standard output in the
file OUTPUT, its standard error passed through, and on this process's standard output one JSON
object: ``{"seconds": ..., "peak_rss_kib": ..., "exit_code": ...}``.

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
import time


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: child.py OUTPUT -- COMMAND...", file=sys.stderr)
        return 2
    output, command = argv[0], argv[2:]
    with open(output, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    # Linux gives ru_maxrss in kibibytes.
    print(json.dumps({"seconds": seconds, "peak_rss_kib": usage.ru_maxrss, "exit_code": os.waitstatus_to_exitcode(status)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
