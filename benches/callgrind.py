#!/usr/bin/env python3
"""Instruction counts of the benchmark suite under `valgrind --tool=callgrind`, side by side.

Each benchmark of benches/programs/ is run as compare.py runs it (`NEWT run NAME.newt`, from
that directory) under callgrind, and the total number of instructions executed ("Collected")
is recorded. Instruction counts do not depend on the machine's load, so two builds can be
compared on a shared machine: build both with the same flags (the release profile), then

    python3 benches/callgrind.py --newt /path/to/before/newt --json before.json
    python3 benches/callgrind.py --newt target/release/newt --baseline before.json

prints, per benchmark, the instructions of the baseline, of this binary, and the change in
percent. `--only NAME` (repeatable) restricts the suite. The exit status is 1 when a program
fails, or when --limit PCT is given and a benchmark changed by more than PCT percent.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

# The suite and its paths, as compare.py runs them.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import BENCHMARKS, PROGRAMS, ROOT  # noqa: E402


def instructions(newt, name):
    """Instructions executed by `newt run NAME.newt`, or an error string."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, newt, "run", name + ".newt"]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=PROGRAMS)
        if proc.returncode != 0:
            return "exit %d: %s" % (proc.returncode, proc.stderr.strip().splitlines()[-1:] or "")
        m = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
        if m:
            return int(m.group(1))
        # Older valgrinds only write the total into the output file.
        try:
            with open(out) as f:
                for line in f:
                    if line.startswith("summary:") or line.startswith("totals:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return "no instruction count in valgrind's output"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--newt", default=os.path.join(ROOT, "target/release/newt"), help="the newt binary")
    ap.add_argument("--json", help="save the counts to this file")
    ap.add_argument("--baseline", help="counts saved by an earlier --json run, shown beside these")
    ap.add_argument("--only", action="append", help="run only this benchmark (repeatable)")
    ap.add_argument("--limit", type=float, help="fail when a benchmark changed by more than this many percent")
    args = ap.parse_args()

    newt = os.path.abspath(args.newt)
    if not os.path.exists(newt):
        sys.exit("newt binary %r not found (build it with `cargo build --release`)" % args.newt)
    base = {}
    if args.baseline:
        with open(args.baseline) as f:
            base = json.load(f)
    names = args.only or BENCHMARKS
    counts = {}
    failed = False
    over = False
    print("%-14s %16s %16s %9s" % ("benchmark", "baseline", "this build", "change"))
    for name in names:
        n = instructions(newt, name)
        counts[name] = n
        b = base.get(name)
        if isinstance(n, str):
            failed = True
            print("%-14s %16s %16s %9s  (%s)" % (name, b if b is not None else "-", "failed", "", n))
            continue
        if isinstance(b, int) and b > 0:
            pct = 100.0 * (n - b) / b
            over = over or (args.limit is not None and abs(pct) > args.limit)
            print("%-14s %16d %16d %+8.3f%%" % (name, b, n, pct))
        else:
            print("%-14s %16s %16d %9s" % (name, "-", n, ""))
        sys.stdout.flush()
    if base:
        both = [k for k in names if isinstance(counts.get(k), int) and isinstance(base.get(k), int)]
        if both:
            tb = sum(base[k] for k in both)
            tn = sum(counts[k] for k in both)
            print("%-14s %16d %16d %+8.3f%%" % ("total", tb, tn, 100.0 * (tn - tb) / tb))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(counts, f, indent=2)
    sys.exit(1 if failed or over else 0)


if __name__ == "__main__":
    main()
