#!/usr/bin/env python3
"""Latency of examples/chat around a live update, under load.

Starts the chat (version 1) with `newt run --control` on 127.0.0.1 port 0, seeds a room with
messages, loads it with wrk (background load, aggregate figures only) and with this script's own
keep-alive clients (every request's start and end time recorded), applies examples/chat/v2 with
`newt update` in the middle of the run, and prints the p50/p99/max latency of the recorded requests
inside the update window against those outside it, and every failed request (wrk's errors and
non-2xx answers included).

The update window: the commit time is bracketed by the `newt update` round trip (sent at t0, the
report back at t1) and, from the clients' side, by which version served each answer (version 2's
messages carry a "class" member): the commit is after the start of the last request that version 1
answered and before the end of the first request that version 2 answered. The window is
WINDOW_MS (default 100) either side of that bracket's midpoint; a request is inside when its
[start, end] overlaps the window. A third row shows the requests that overlap the update's round
trip [t0, t1] itself, and the next line the longest time without any answer to the recorded
clients, in the window and elsewhere (the machine's noise floor). The exit status is 0 when the
update committed and no request failed.

    benches/load/update_window.py                  # release build, 8 s run, update at 4 s
    DURATION=10 UPDATE_AT=5 CONNS=8 WRK_CONNS=32 SEED=1000 benches/load/update_window.py
    NEWT=target/debug/newt benches/load/update_window.py   # any newt binary
    WRK_CONNS=0 benches/load/update_window.py      # only the recorded clients (less CPU noise)

Needs python3 and, for the background load, wrk (skipped with a note when missing).
"""

import asyncio
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DURATION = float(os.environ.get("DURATION", "8"))
UPDATE_AT = float(os.environ.get("UPDATE_AT", "4"))
CONNS = int(os.environ.get("CONNS", "8"))
WRK_CONNS = int(os.environ.get("WRK_CONNS", "32"))
SEED = int(os.environ.get("SEED", "1000"))
WINDOW_MS = float(os.environ.get("WINDOW_MS", "100"))
PATH = "/rooms/lobby/messages?limit=10"


def newt_binary():
    if os.environ.get("NEWT"):
        return os.path.abspath(os.environ["NEWT"])
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(os.path.abspath(target), "release", "newt")


def start_chat(newt, token):
    """Starts the chat; returns (process, http address, control address)."""
    err = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen(
        [newt, "run", "--control", "127.0.0.1:0", "--token-file", token, "examples/chat/main.newt", "0"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err, text=True)
    deadline = time.monotonic() + 20
    http = control = None
    while time.monotonic() < deadline and not (http and control):
        err.seek(0)
        text = err.read()
        m = re.search(r"^listening on (\S+)", text, re.M)
        c = re.search(r"^newt: control port listening on (\S+)", text, re.M)
        http, control = m and m.group(1), c and c.group(1)
        time.sleep(0.05)
    if not (http and control):
        p.kill()
        sys.exit("update_window: the chat did not start")
    return p, http, control, err


def post(addr, path, body):
    req = urllib.request.Request(f"http://{addr}{path}", data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()


class Recorder:
    """Every request of the own clients: (start, end, ok, version)."""

    def __init__(self):
        self.requests = []
        self.errors = []


async def client(addr, stop_at, rec):
    host, port = addr.rsplit(":", 1)
    reader = writer = None
    request = f"GET {PATH} HTTP/1.1\r\nHost: chat\r\n\r\n".encode()
    while time.monotonic() < stop_at:
        start = time.monotonic()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(request)
            status_line = await asyncio.wait_for(reader.readline(), 10)
            length = 0
            while True:
                h = await asyncio.wait_for(reader.readline(), 10)
                if h in (b"\r\n", b"\n", b""):
                    break
                k, _, v = h.decode().partition(":")
                if k.strip().lower() == "content-length":
                    length = int(v.strip())
            body = await asyncio.wait_for(reader.readexactly(length), 10)
            end = time.monotonic()
            ok = status_line.split(b" ")[1:2] == [b"200"]
            version = (2 if b'"class":' in body else 1) if ok else 0
            rec.requests.append((start, end, ok, version))
            if not ok:
                rec.errors.append(status_line.decode().strip())
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError) as e:
            end = time.monotonic()
            rec.requests.append((start, end, False, 0))
            rec.errors.append(repr(e))
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def update_now(newt, control, token, out):
    """Runs `newt update` (in a worker thread, so that the clients' event loop never waits on it)."""
    out["t0"] = time.monotonic()
    p = subprocess.run(
        [newt, "update", "--json", "--connect", control, "--token-file", token,
         "--script", "examples/chat/v2/update.newt", "examples/chat/v2/model.newt"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    out["t1"] = time.monotonic()
    out["code"] = p.returncode
    out["report"] = p.stdout


async def update_later(newt, control, token, at, out):
    await asyncio.sleep(at)
    await asyncio.get_running_loop().run_in_executor(None, update_now, newt, control, token, out)


async def run(newt, http, control, token):
    rec = Recorder()
    upd = {}
    stop_at = time.monotonic() + DURATION
    tasks = [client(http, stop_at, rec) for _ in range(CONNS)]
    tasks.append(update_later(newt, control, token, UPDATE_AT, upd))
    await asyncio.gather(*tasks)
    return rec, upd


def percentile(xs, q):
    """The q-quantile of xs (nearest rank), nan when empty."""
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def wrk_summary(text):
    """(req/s, p50 ms, p99 ms, errors as text) from wrk --latency output."""
    def ms(v):
        n = float(re.sub(r"[a-z]+$", "", v))
        return n / 1000 if v.endswith("us") else n * 1000 if re.search(r"\ds$", v) else n
    rps = re.search(r"Requests/sec:\s+(\S+)", text)
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    errs = [l.strip() for l in text.splitlines() if "errors" in l or "Non-2xx" in l]
    return (rps and rps.group(1), p50 and ms(p50.group(1)), p99 and ms(p99.group(1)), errs)


def main():
    newt = newt_binary()
    tmp = tempfile.mkdtemp(prefix="newt-update-window-")
    token = os.path.join(tmp, "token")
    with open(token, "w") as f:
        f.write("update-window\n")
    os.chmod(token, 0o600)
    chat, http, control, chat_err = start_chat(newt, token)
    wrk = None
    try:
        post(http, "/rooms/lobby/join", {"user": "alice"})
        for i in range(SEED):
            post(http, "/rooms/lobby/messages", {"user": "alice", "text": f"message number {i}"})
        if WRK_CONNS > 0 and shutil.which("wrk"):
            wrk = subprocess.Popen(
                ["wrk", "-t1", f"-c{WRK_CONNS}", f"-d{int(DURATION)}s", "--latency", f"http://{http}{PATH}"],
                stdout=subprocess.PIPE, text=True)
        elif WRK_CONNS > 0:
            print("update_window: wrk not installed, running without background load")
        rec, upd = asyncio.run(run(newt, http, control, token))
        wrk_out = wrk.communicate(timeout=DURATION + 30)[0] if wrk else ""
    except (OSError, subprocess.SubprocessError) as e:
        chat_err.seek(0)
        alive = "running" if chat.poll() is None else f"exited with status {chat.returncode}"
        sys.exit(f"update_window: {e!r}; the chat {alive}; its stderr:\n{chat_err.read()[-3000:]}")
    finally:
        if wrk and wrk.poll() is None:
            wrk.kill()
        code = chat.poll()
        chat_state = "running at the end" if code is None else f"gone before the end (status {code})"
        chat.kill()
        chat.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    report = {}
    try:
        report = json.loads(upd.get("report", "")).get("report", {})
    except json.JSONDecodeError:
        pass
    t0, t1 = upd.get("t0", 0.0), upd.get("t1", 0.0)
    v1_starts = [s for s, e, ok, v in rec.requests if v == 1]
    v2_ends = [e for s, e, ok, v in rec.requests if v == 2]
    # The engine commits after the request is sent (t0) and before the reply comes back (t1).
    lo = max([t0] + v1_starts)
    hi = min([t1] + v2_ends)
    commit = (lo + hi) / 2
    w0, w1 = commit - WINDOW_MS / 1000, commit + WINDOW_MS / 1000
    inside = [(e - s) * 1000 for s, e, ok, v in rec.requests if s <= w1 and e >= w0]
    outside = [(e - s) * 1000 for s, e, ok, v in rec.requests if not (s <= w1 and e >= w0)]
    during = [(e - s) * 1000 for s, e, ok, v in rec.requests if s <= t1 and e >= t0]
    failed = sum(1 for r in rec.requests if not r[2])
    # The longest time without any answer: inside the window (the server's stall for the update,
    # as the clients see it) and elsewhere in the run (the machine's noise floor).
    ends = sorted(e for s, e, ok, v in rec.requests if ok)
    gaps = [(b - a, a) for a, b in zip(ends, ends[1:])]
    gap_in = max((g for g, a in gaps if w0 <= a <= w1), default=0.0) * 1000
    gap_out = max((g for g, a in gaps if not w0 <= a <= w1), default=0.0) * 1000

    load = f" + wrk -c{WRK_CONNS}" if wrk else ""
    print(f"chat under load: {CONNS} recorded keep-alive clients{load}, {DURATION:g} s, "
          f"{SEED + 1} messages in the room, {os.cpu_count()} cores")
    timings = report.get("timings", {})
    counts = report.get("counts", {})
    print(f"update: newt update exit {upd.get('code')}, outcome {report.get('outcome')}, "
          f"{counts.get('instances_migrated')} instances migrated; timings us: analyse {timings.get('analyse_us')}, "
          f"wait {timings.get('wait_us')}, pause {timings.get('pause_us')}, commit {timings.get('commit_us')}; "
          f"round trip {(t1 - t0) * 1000:.1f} ms")
    print(f"commit seen by the clients between {(lo - t0) * 1000:.1f} and {(hi - t0) * 1000:.1f} ms after "
          f"the update was sent; window = +-{WINDOW_MS:g} ms around the midpoint")
    print(f"{'requests':<16} {'count':>8} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}")
    for name, xs in (("in the window", inside), ("outside", outside), ("during [t0, t1]", during)):
        print(f"{name:<16} {len(xs):>8} {percentile(xs, 0.5):>9.3f} {percentile(xs, 0.99):>9.3f} "
              f"{(max(xs) if xs else float('nan')):>9.3f}")
    print(f"longest time without an answer: {gap_in:.1f} ms in the window, {gap_out:.1f} ms elsewhere")
    kinds = collections.Counter(re.sub(r"\d+", "N", e) for e in rec.errors)
    print(f"failed requests (recorded clients): {failed}" + (f" {dict(kinds)}" if failed else ""))
    if wrk:
        rps, p50, p99, errs = wrk_summary(wrk_out)
        print(f"wrk: {rps} req/s, p50 {p50} ms, p99 {p99} ms (whole run); "
              f"errors: {'; '.join(errs) if errs else 'none'}")
    ok = upd.get("code") == 0 and failed == 0 and not (wrk and wrk_summary(wrk_out)[3])
    if not ok:
        print(f"the chat was {chat_state}")
        chat_err.seek(0)
        tail = chat_err.read().splitlines()[-20:]
        print("the chat's stderr (last lines):\n  " + "\n  ".join(tail))
        if upd.get("code") != 0:
            print(upd.get("report", ""))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
