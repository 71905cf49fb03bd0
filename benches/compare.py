#!/usr/bin/env python3
"""Run the interpreter benchmarks in Newt, Lua 5.4 and Python 3 and compare them.

Each benchmark is benches/programs/NAME.{newt,lua,py}: the same algorithm with the same
parameters in each language. Every program prints its checksum line(s) and then, last, an
`elapsed: SECONDS` line measured inside the program around the work (Wren's convention).

For every benchmark and language this script runs the program --runs times, takes the
median of the wall-clock time measured from outside (the whole process: start-up, compile
and run), records the median CPU time of the process and the median in-program `elapsed:`
as well, and checks that every run of every language printed the same checksum (a mismatch
is reported loudly). It prints a table of the wall-clock times with the ratios newt/lua
and python/lua and their geometric means, the same table for CPU time (steadier when the
machine is shared), then a table of the in-program times.

    cargo build --release && python3 benches/compare.py
    python3 benches/compare.py --only fib --runs 3
    python3 benches/compare.py --json out.json          # save the results
    python3 benches/compare.py --baseline out.json      # compare Newt with a saved run

A language whose interpreter is missing is skipped with a note. The exit status is 0
unless --strict is given and a checksum mismatched or a program failed.
"""

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(BENCH_DIR, "programs")
ROOT = os.path.dirname(BENCH_DIR)

# The suite, in the order of the table.
BENCHMARKS = [
    "fib",
    "binary_trees",
    "method_call",
    "delta_blue",
    "nbody",
    "for",
    "map_numeric",
    "map_string",
    "string_equals",
    "closures",
]

LANGS = ["newt", "lua", "python"]
EXT = {"newt": "newt", "lua": "lua", "python": "py"}


class Result:
    """The runs of one benchmark in one language."""

    def __init__(self):
        self.wall = []  # seconds, measured from outside
        self.cpu = []  # user + system CPU seconds of the process, measured from outside
        self.inner = []  # seconds, from the program's `elapsed:` line
        self.checksum = None  # stdout without the elapsed line, from the first run
        self.error = None  # a short description when a run failed
        self.unstable = False  # runs of the same program printed different checksums

    def median_wall(self):
        return statistics.median(self.wall) if self.wall and not self.error else None

    def median_cpu(self):
        return statistics.median(self.cpu) if self.cpu and not self.error else None

    def median_inner(self):
        return statistics.median(self.inner) if self.inner and not self.error else None


def find_lua():
    """lua5.4, or a `lua` whose version is 5.4."""
    path = shutil.which("lua5.4")
    if path:
        return path
    path = shutil.which("lua")
    if path:
        try:
            out = subprocess.run([path, "-v"], capture_output=True, text=True, timeout=10)
            if "5.4" in out.stdout + out.stderr:
                return path
        except (OSError, subprocess.SubprocessError):
            pass
    return None


def find_newt(arg):
    """The newt binary: the path given, else target/release/newt under the repository root."""
    candidates = [arg] if os.path.isabs(arg) else [os.path.abspath(arg), os.path.join(ROOT, arg)]
    for c in candidates:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


def split_output(stdout):
    """(checksum text, elapsed seconds or None): the elapsed line is the last `elapsed:` line."""
    lines = stdout.splitlines()
    elapsed = None
    kept = []
    for line in lines:
        if line.startswith("elapsed:"):
            try:
                elapsed = float(line.split(":", 1)[1].strip())
            except ValueError:
                elapsed = None
        else:
            kept.append(line)
    return "\n".join(kept), elapsed


def children_cpu():
    """User + system CPU seconds used so far by this script's finished children."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_one(cmd, timeout):
    """Run cmd once: (wall seconds, CPU seconds, stdout, error or None). Runs are sequential, so
    the growth of the children's CPU time is this run's."""
    cpu0 = children_cpu()
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=PROGRAMS)
    except subprocess.TimeoutExpired:
        return None, None, "", "timed out after %ss" % timeout
    except OSError as e:
        return None, None, "", "could not start: %s" % e
    wall = time.perf_counter() - start
    cpu = children_cpu() - cpu0
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no stderr)"])[-6:]
        return wall, cpu, proc.stdout, "exit status %d:\n      %s" % (proc.returncode, "\n      ".join(tail))
    return wall, cpu, proc.stdout, None


def run_bench(name, lang, cmd_prefix, runs, timeout):
    res = Result()
    path = os.path.join(PROGRAMS, "%s.%s" % (name, EXT[lang]))
    if not os.path.isfile(path):
        res.error = "missing program %s" % os.path.relpath(path, ROOT)
        return res
    for _ in range(runs):
        wall, cpu, stdout, err = run_one(cmd_prefix + [path], timeout)
        if err:
            res.error = err
            return res
        checksum, inner = split_output(stdout)
        if res.checksum is None:
            res.checksum = checksum
        elif checksum != res.checksum:
            res.unstable = True
        res.wall.append(wall)
        res.cpu.append(cpu)
        if inner is not None:
            res.inner.append(inner)
    return res


def fmt_time(t):
    return "%.3f" % t if t is not None else "-"


def fmt_ratio(r):
    return "%.2f" % r if r is not None else "-"


def ratio(a, b):
    if a is None or b is None or b <= 0:
        return None
    return a / b


def geomean(xs):
    xs = [x for x in xs if x is not None and x > 0]
    if not xs:
        return None
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def print_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows if r is not None) for i in range(len(header))]
    line = "  ".join(h.ljust(widths[0]) if i == 0 else h.rjust(widths[i]) for i, h in enumerate(header))
    print(line)
    print("-" * len(line))
    for r in rows:
        if r is None:
            print("-" * len(line))
            continue
        print("  ".join(str(c).ljust(widths[0]) if i == 0 else str(c).rjust(widths[i]) for i, c in enumerate(r)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--newt", default="target/release/newt", help="the newt binary (default: target/release/newt)")
    ap.add_argument("--only", action="append", metavar="NAME", help="run only this benchmark (repeatable)")
    ap.add_argument("--runs", type=int, default=5, help="runs per benchmark and language (default 5)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before a run is stopped (default 120)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--baseline", metavar="PATH", help="a --json file to compare Newt's times against")
    ap.add_argument("--strict", action="store_true", help="exit 1 on a checksum mismatch or a failed program")
    args = ap.parse_args()

    if args.runs < 1:
        ap.error("--runs must be at least 1")
    names = BENCHMARKS
    if args.only:
        unknown = [n for n in args.only if n not in BENCHMARKS]
        if unknown:
            ap.error("unknown benchmark(s): %s (known: %s)" % (", ".join(unknown), ", ".join(BENCHMARKS)))
        names = [n for n in BENCHMARKS if n in args.only]

    commands = {}
    newt = find_newt(args.newt)
    if newt:
        commands["newt"] = [newt, "run"]
    else:
        print("note: newt binary %r not found; skipping Newt (build it with `cargo build --release`)" % args.newt)
    lua = find_lua()
    if lua:
        commands["lua"] = [lua]
    else:
        print("note: Lua 5.4 not found (lua5.4 or lua); skipping Lua (e.g. `apt-get install lua5.4`)")
    python = shutil.which("python3") or sys.executable
    if python:
        commands["python"] = [python]
    else:
        print("note: python3 not found; skipping Python")

    print("runs per program: %d" % args.runs)
    print()

    results = {}
    problems = []
    for name in names:
        results[name] = {}
        for lang in LANGS:
            if lang not in commands:
                continue
            print("  running %-14s %-6s ..." % (name, lang), end="", flush=True, file=sys.stderr)
            res = run_bench(name, lang, commands[lang], args.runs, args.timeout)
            print(" %s" % ("failed" if res.error else fmt_time(res.median_wall())), file=sys.stderr)
            results[name][lang] = res
            if res.error:
                problems.append("%s.%s failed: %s" % (name, EXT[lang], res.error))
            if res.unstable:
                problems.append("%s.%s printed different checksums on different runs" % (name, EXT[lang]))
        # Every language that ran must agree with the first one that ran.
        ok = [(lang, r) for lang, r in results[name].items() if not r.error]
        if ok:
            ref_lang, ref = ok[0]
            for lang, r in ok[1:]:
                if r.checksum != ref.checksum:
                    problems.append(
                        "CHECKSUM MISMATCH in %s: %s printed\n%s\n    but %s printed\n%s"
                        % (
                            name,
                            ref_lang,
                            "\n".join("      | " + line for line in ref.checksum.splitlines()),
                            lang,
                            "\n".join("      | " + line for line in r.checksum.splitlines()),
                        )
                    )

    def ratio_table(title, measure):
        """One table of medians per language with the ratios to Lua and their geometric means."""
        print(title)
        rows = []
        newt_ratios, py_ratios = [], []
        for name in names:
            r = results[name]
            t = {lang: (measure(r[lang]) if lang in r else None) for lang in LANGS}
            nl = ratio(t["newt"], t["lua"])
            pl = ratio(t["python"], t["lua"])
            newt_ratios.append(nl)
            py_ratios.append(pl)
            rows.append([name] + [fmt_time(t[lang]) for lang in LANGS] + [fmt_ratio(nl), fmt_ratio(pl)])
        rows.append(None)
        rows.append(["geometric mean", "", "", "", fmt_ratio(geomean(newt_ratios)), fmt_ratio(geomean(py_ratios))])
        print_table(["benchmark", "newt s", "lua s", "python s", "newt/lua", "python/lua"], rows)

    ratio_table("wall-clock time of the whole process (median seconds):", Result.median_wall)
    print()
    ratio_table(
        "CPU time (user + system) of the whole process (median seconds; steadier on a busy machine):",
        Result.median_cpu,
    )
    print()
    print("in-program elapsed (median seconds; Lua's os.clock() is CPU time, the others wall time):")
    inner_rows = []
    for name in names:
        r = results[name]
        inner_rows.append([name] + [fmt_time(r[lang].median_inner() if lang in r else None) for lang in LANGS])
    print_table(["benchmark", "newt s", "lua s", "python s"], inner_rows)

    if args.baseline:
        print()
        try:
            with open(args.baseline) as f:
                base = json.load(f)
        except (OSError, ValueError) as e:
            print("note: could not read baseline %s: %s" % (args.baseline, e))
            base = None
        if base is not None:
            print("Newt against the baseline %s (ratio < 1 is faster now):" % args.baseline)
            brows = []
            for name in names:
                now = results[name]["newt"].median_wall() if "newt" in results[name] else None
                then = base.get(name, {}).get("newt", {}).get("wall")
                brows.append([name, fmt_time(then), fmt_time(now), fmt_ratio(ratio(now, then))])
            print_table(["benchmark", "base s", "now s", "now/base"], brows)

    if args.json:
        out = {
            name: {
                lang: {
                    "wall": res.median_wall(),
                    "cpu": res.median_cpu(),
                    "elapsed": res.median_inner(),
                    "runs": res.wall,
                    "cpu_runs": res.cpu,
                    "checksum": res.checksum,
                    "error": res.error,
                }
                for lang, res in results[name].items()
            }
            for name in names
        }
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
        print()
        print("wrote %s" % args.json)

    if problems:
        print()
        print("!" * 72)
        for p in problems:
            print("!! " + p)
        print("!" * 72)
    else:
        print()
        print("all checksums agree")
    return 1 if (args.strict and problems) else 0


if __name__ == "__main__":
    sys.exit(main())
