//! The standard library updating itself (seed 003, §5.5): `std.http` is replaced in the running
//! examples/chat, under load, to fix a defect of the library as shipped (examples/README.md,
//! "std.http: a 405 names the allowed methods").
//!
//! The defect: a 405 answer has no `Allow` header, which RFC 9110 (15.5.6) requires ("The origin
//! server MUST generate an Allow header field in a 405 response"). The fixed library,
//! examples/chat/std_http_fix/std/http.newt, lists the methods of the routes that match the path.
//! The update is sent with `newt update` naming that file (a file is the running module its path
//! ends with, so this one is `std.http`) while a bounded pool of client threads loops requests
//! over keep-alive connections and new ones; every answer is checked, and none may fail.
//!
//! A second run sends broken versions of std.http (a type error, and a file that names no running
//! module): both are rejected and the chat goes on serving exactly as before, with its state.
//! Every wait is bounded; the chat listens on 127.0.0.1 port 0 and is killed at the end.

#[path = "common/controlled.rs"]
mod controlled;
// Only part of the harness is used here.
#[allow(dead_code)]
#[path = "example_updates/harness.rs"]
mod harness;
#[path = "common/http.rs"]
mod http;

use harness::{root, Running, Scratch, WAIT};
use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The fixed library, as a file (named `std.http` after the running module its path ends with).
const FIX: &str = "examples/chat/std_http_fix/std/http.newt";
/// The same fix as a directory searched like an import root.
const FIX_DIR: &str = "examples/chat/std_http_fix";
/// Client threads of the load loop.
const LOADERS: usize = 6;
/// The least time the load runs before and after an update.
const RUN: Duration = Duration::from_millis(500);

/// Requests that get a 405 from the chat, with the `Allow` header the fix gives them.
const PROBES: [(&str, &str, &str); 3] =
    [("POST", "/rooms", "GET"), ("GET", "/rooms/lobby/join", "POST"), ("DELETE", "/rooms/lobby/messages", "POST, GET")];

/// An HTTP/1.1 client on one connection.
struct Client {
    r: BufReader<TcpStream>,
}

impl Client {
    fn connect(addr: &str) -> std::io::Result<Client> {
        let s = TcpStream::connect(addr)?;
        s.set_read_timeout(Some(WAIT))?;
        s.set_write_timeout(Some(WAIT))?;
        Ok(Client { r: BufReader::new(s) })
    }

    /// Sends a request (`close`: asks the server to close the connection after it); the
    /// response, or `None` when the connection failed or ended first.
    fn send(&mut self, method: &str, path: &str, body: &str, close: bool) -> Option<http::Response> {
        let conn = if close { "Connection: close\r\n" } else { "" };
        let req = format!("{method} {path} HTTP/1.1\r\nHost: t\r\n{conn}Content-Length: {}\r\n\r\n{body}", body.len());
        self.r.get_mut().write_all(req.as_bytes()).ok()?;
        http::read_full(&mut self.r)
    }

    fn request(&mut self, method: &str, path: &str, body: &str) -> Option<http::Response> {
        self.send(method, path, body, false)
    }

    /// A request that must succeed with `status`; its body.
    fn expect(&mut self, method: &str, path: &str, body: &str, status: u16) -> String {
        let r = self.request(method, path, body).unwrap_or_else(|| panic!("{method} {path}: no answer"));
        assert_eq!(r.status, status, "{method} {path}: {r:?}");
        r.body
    }
}

/// Checks the three 405s on `c`: version 1 sends no `Allow` header, the fix the right one.
fn probe(c: &mut Client, fixed: bool) {
    for (method, path, allow) in PROBES {
        let r = c.request(method, path, "").unwrap_or_else(|| panic!("{method} {path}: no answer"));
        assert_eq!((r.status, r.body.as_str()), (405, "method not allowed\n"), "{method} {path}: {r:?}");
        let want = if fixed { Some(allow) } else { None };
        assert_eq!(r.header("allow"), want, "{method} {path} (fixed: {fixed}): {r:?}");
    }
    // What is not a 405 is unchanged: a 404 has no Allow header, a route answers as before.
    let r = c.request("GET", "/nowhere", "").unwrap_or_else(|| panic!("GET /nowhere: no answer"));
    assert_eq!((r.status, r.header("allow")), (404, None), "{r:?}");
    let r = c.request("GET", "/rooms", "").unwrap_or_else(|| panic!("GET /rooms: no answer"));
    assert_eq!((r.status, r.header("allow")), (200, None), "{r:?}");
}

/// Runs `newt update` against the chat with the sources `paths` and no script; exit status and
/// output.
fn newt_update(vm: &Running, token: &Path, paths: &[&str]) -> (Option<i32>, String) {
    let args: Vec<std::ffi::OsString> = paths.iter().map(std::ffi::OsString::from).collect();
    vm.update_args(token, &args)
}

/// `newt status` of the chat.
fn newt_status(vm: &Running, token: &Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_newt"))
        .args(["status", "--connect", &vm.control, "--token-file"])
        .arg(token)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run newt status: {e}"));
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The messages of a `GET /rooms/R/messages` answer.
fn messages(body: &str) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    v["messages"].as_array().cloned().unwrap_or_else(|| panic!("no messages: {body}"))
}

/// What the chat holds, as its API shows it: the room list and every message of each room.
#[derive(Debug, PartialEq)]
struct State {
    rooms: serde_json::Value,
    lobby: Vec<serde_json::Value>,
    dev: Vec<serde_json::Value>,
}

fn state(c: &mut Client) -> State {
    let rooms = c.expect("GET", "/rooms", "", 200);
    let rooms = serde_json::from_str(&rooms).unwrap_or_else(|e| panic!("{e}: {rooms}"));
    let lobby = messages(&c.expect("GET", "/rooms/lobby/messages?since=0&limit=1000000", "", 200));
    let dev = messages(&c.expect("GET", "/rooms/dev/messages?since=0&limit=1000000", "", 200));
    State { rooms, lobby, dev }
}

/// Starts the chat and gives it two rooms: lobby (ann stays, bob came and left: five messages)
/// and dev (cy, one message of hers). Returns the chat, the client that did it (its connection
/// stays open) and the state.
fn start_chat(dir: &Scratch) -> (Running, Client, State) {
    let vm = Running::start("chat/main.newt", &["0"], &dir.token(), true);
    let mut c = Client::connect(&vm.addr).unwrap_or_else(|e| panic!("connect: {e}"));
    for (path, body, status) in [
        ("/rooms/lobby/join", r#"{"user":"ann"}"#, 200),
        ("/rooms/lobby/messages", r#"{"user":"ann","text":"hello"}"#, 201),
        ("/rooms/lobby/join", r#"{"user":"bob"}"#, 200),
        ("/rooms/lobby/messages", r#"{"user":"bob","text":"hi ann"}"#, 201),
        ("/rooms/lobby/leave", r#"{"user":"bob"}"#, 200),
        ("/rooms/dev/join", r#"{"user":"cy"}"#, 200),
        ("/rooms/dev/messages", r#"{"user":"cy","text":"in dev"}"#, 201),
    ] {
        c.expect("POST", path, body, status);
    }
    let s = state(&mut c);
    assert_eq!((s.lobby.len(), s.dev.len()), (5, 2), "{s:?}");
    (vm, c, s)
}

/// Counts of the load loop.
#[derive(Default)]
struct Load {
    ok: AtomicUsize,
    failed: AtomicUsize,
    failures: Mutex<Vec<String>>,
    /// Successful requests of each thread.
    per_thread: [AtomicUsize; LOADERS],
    /// Messages the poster got a 201 for.
    posted: AtomicUsize,
    /// 405 answers without and with the Allow header.
    old_405: AtomicUsize,
    new_405: AtomicUsize,
    /// Set while `newt update` runs; `during` counts the requests answered meanwhile.
    updating: AtomicBool,
    during: AtomicUsize,
}

impl Load {
    fn fail(&self, what: String) {
        self.failed.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut f) = self.failures.lock() {
            f.push(what);
        }
    }
}

/// What one load thread saw.
struct Seen {
    /// Connections it opened (1: it kept the one opened before the update).
    connections: usize,
    /// It got a 405 with the Allow header.
    fixed: bool,
}

/// The load loop: thread 0 posts to lobby, thread 1 opens a new connection for each request
/// (GET /rooms, then a 405), the others cycle over reads and the three 405s on one keep-alive
/// connection. Every answer is checked (status, and a 405's Allow header is absent or right); on a
/// thread, once a 405 came with the fix none may come without it.
fn load(addr: &str, stop: &Arc<AtomicBool>, counts: &Arc<Load>) -> Vec<thread::JoinHandle<Seen>> {
    (0..LOADERS)
        .map(|i| {
            let (addr, stop, counts) = (addr.to_string(), stop.clone(), counts.clone());
            thread::spawn(move || {
                let mut seen = Seen { connections: 0, fixed: false };
                let mut conn: Option<Client> = None;
                let mut k = 0usize;
                while !stop.load(Ordering::SeqCst) {
                    let fresh = i == 1;
                    if conn.is_none() || fresh {
                        seen.connections += 1;
                        conn = Client::connect(&addr).ok();
                    }
                    let Some(c) = conn.as_mut() else {
                        counts.fail(format!("thread {i}: cannot connect"));
                        thread::sleep(Duration::from_millis(10));
                        continue;
                    };
                    k += 1;
                    let text;
                    let (method, path, body, want, allow) = match (i, k % 4) {
                        (0, _) => {
                            text = format!(r#"{{"user":"ann","text":"load {k}"}}"#);
                            ("POST", "/rooms/lobby/messages", text.as_str(), 201, "")
                        }
                        (1, 0 | 2) => ("GET", "/rooms", "", 200, ""),
                        (_, 0) => ("GET", "/rooms/lobby/messages?limit=5", "", 200, ""),
                        (_, j) => {
                            let (m, p, a) = PROBES[(j - 1) % PROBES.len()];
                            (m, p, "", 405, a)
                        }
                    };
                    let updating = counts.updating.load(Ordering::SeqCst);
                    let answer = c.send(method, path, body, fresh);
                    let what = format!("thread {i}: {method} {path} -> {answer:?}");
                    let Some(r) = answer else {
                        counts.fail(what);
                        conn = None;
                        continue;
                    };
                    let right = match (r.status == want, r.header("allow")) {
                        (false, _) => false,
                        (true, None) if want == 405 => {
                            counts.old_405.fetch_add(1, Ordering::SeqCst);
                            // Back to version 1 after an answer of the fix: not atomic.
                            !seen.fixed
                        }
                        (true, Some(a)) if want == 405 => {
                            counts.new_405.fetch_add(1, Ordering::SeqCst);
                            seen.fixed = true;
                            a == allow
                        }
                        (true, a) => a.is_none(),
                    };
                    if !right {
                        counts.fail(what);
                        conn = None;
                        continue;
                    }
                    counts.ok.fetch_add(1, Ordering::SeqCst);
                    counts.per_thread[i].fetch_add(1, Ordering::SeqCst);
                    if want == 201 {
                        counts.posted.fetch_add(1, Ordering::SeqCst);
                    }
                    if updating || counts.updating.load(Ordering::SeqCst) {
                        counts.during.fetch_add(1, Ordering::SeqCst);
                    }
                }
                seen
            })
        })
        .collect()
}

/// Waits (bounded) until every thread has had `n` more successful requests, and at least
/// `RUN` has passed.
fn wait_each(counts: &Load, n: usize) {
    let want: Vec<usize> = counts.per_thread.iter().map(|c| c.load(Ordering::SeqCst) + n).collect();
    let (start, until) = (Instant::now(), Instant::now() + WAIT);
    let behind = || counts.per_thread.iter().zip(&want).any(|(c, w)| c.load(Ordering::SeqCst) < *w);
    while (behind() || start.elapsed() < RUN) && Instant::now() < until {
        thread::sleep(Duration::from_millis(5));
    }
    let failures = counts.failures.lock().map(|f| f.clone()).unwrap_or_default();
    assert!(!behind(), "the load loop stalled; failures: {failures:?}");
}

/// Stops the load loop; checks that no request failed and returns what each thread saw.
fn stop_load(vm: &Running, stop: &AtomicBool, loaders: Vec<thread::JoinHandle<Seen>>, counts: &Load) -> Vec<Seen> {
    stop.store(true, Ordering::SeqCst);
    let seen: Vec<Seen> =
        loaders.into_iter().map(|l| l.join().unwrap_or_else(|_| panic!("a load thread panicked"))).collect();
    let failures = counts.failures.lock().map(|f| f.clone()).unwrap_or_default();
    eprintln!(
        "load: {} requests answered, {} failed, {} during the update; 405s without Allow: {}, with: {}; {} posted",
        counts.ok.load(Ordering::SeqCst),
        counts.failed.load(Ordering::SeqCst),
        counts.during.load(Ordering::SeqCst),
        counts.old_405.load(Ordering::SeqCst),
        counts.new_405.load(Ordering::SeqCst),
        counts.posted.load(Ordering::SeqCst),
    );
    assert_eq!(counts.failed.load(Ordering::SeqCst), 0, "failed requests: {failures:?}; stderr: {}", vm.errors());
    seen
}

/// lobby's messages are the five of the start, then every message the poster got a 201 for.
fn check_lobby(before: &State, after: &State, posted: usize) {
    assert_eq!(after.lobby[..5], before.lobby[..], "the messages of the start");
    let load: Vec<&str> = after.lobby[5..].iter().map(|m| m["text"].as_str().unwrap_or("?")).collect();
    assert_eq!(load.len(), posted, "{load:?}");
    assert!(after.lobby[5..].iter().all(|m| m["user"] == "ann" && m["kind"] == "user"), "{:?}", &after.lobby[5..]);
    assert_eq!(after.dev, before.dev);
    let rooms = &after.rooms["rooms"];
    assert_eq!(rooms[0]["name"], "lobby", "{rooms}");
    assert_eq!(rooms[0]["messages"], 5 + posted, "{rooms}");
    assert_eq!(rooms[0]["users"], before.rooms["rooms"][0]["users"], "{rooms}");
    assert_eq!(rooms[1], before.rooms["rooms"][1], "{rooms}");
}

#[test]
fn std_http_is_fixed_while_the_chat_serves() {
    let dir = Scratch::new("std-http");
    let (vm, mut c, before) = start_chat(&dir);
    // Version 1, as shipped: a 405 without Allow, on the connection that made the state.
    probe(&mut c, false);
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Load::default());
    let loaders = load(&vm.addr, &stop, &counts);
    wait_each(&counts, 20);
    assert!(counts.old_405.load(Ordering::SeqCst) > 0, "the load saw no 405 of version 1");
    assert_eq!(counts.new_405.load(Ordering::SeqCst), 0, "the fix answered before the update");

    counts.updating.store(true, Ordering::SeqCst);
    let (code, out) = newt_update(&vm, &dir.token(), &[FIX]);
    counts.updating.store(false, Ordering::SeqCst);
    eprintln!("{out}");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("committed (version 1)"), "{out}");
    assert!(out.contains("functions added: std.http.method_not_allowed"), "{out}");
    assert!(out.contains("functions changed: std.http.Router.handle\n"), "only Router.handle changed: {out}");
    wait_each(&counts, 20);
    let seen = stop_load(&vm, &stop, loaders, &counts);
    assert!(counts.new_405.load(Ordering::SeqCst) > 0, "no 405 came from the fix");
    assert!(counts.during.load(Ordering::SeqCst) > 0, "no request was answered while the update ran");
    // The keep-alive threads kept the connection they opened before the update, and it gets the
    // fix; the thread that connects for each request got it too.
    for (i, s) in seen.iter().enumerate() {
        if i != 1 {
            assert_eq!(s.connections, 1, "thread {i} reconnected");
        }
        if i != 0 {
            assert!(s.fixed, "thread {i} never got a fixed 405");
        }
    }

    // The fix on a connection opened before the update, and on a new one.
    probe(&mut c, true);
    let mut fresh = Client::connect(&vm.addr).unwrap_or_else(|e| panic!("connect: {e}"));
    probe(&mut fresh, true);
    // The chat's state is all there: the rooms and messages of the start, and every message
    // posted under load.
    let after = state(&mut fresh);
    check_lobby(&before, &after, counts.posted.load(Ordering::SeqCst));
    // The application works on: a new user joins and posts.
    fresh.expect("POST", "/rooms/dev/join", r#"{"user":"dee"}"#, 200);
    fresh.expect("POST", "/rooms/dev/messages", r#"{"user":"dee","text":"after"}"#, 201);
    let dev = messages(&fresh.expect("GET", "/rooms/dev/messages?since=0", "", 200));
    assert_eq!(dev.len(), 4, "{dev:?}");
    assert_eq!(dev[..2], before.dev[..]);
    let st = newt_status(&vm, &dir.token());
    assert!(st.starts_with("version 1\n") && st.contains("  std.http v1 "), "{st}");
}

#[test]
fn rejected_std_http_updates_leave_the_chat_serving_as_before() {
    let dir = Scratch::new("std-http-bad");
    let scratch = dir.token().parent().map(Path::to_path_buf).unwrap_or_else(|| panic!("no scratch dir"));
    let fixed = std::fs::read_to_string(root().join(FIX)).unwrap_or_else(|e| panic!("{FIX}: {e}"));
    // A type error in the new std.http: a List<str> where a header value (str) goes.
    let line = r#"resp.headers["Allow"] = methods.join(", ")"#;
    assert!(fixed.contains(line), "{FIX} no longer contains {line:?}");
    let bad_root = scratch.join("bad");
    write(&bad_root.join("std").join("http.newt"), &fixed.replace(line, r#"resp.headers["Allow"] = methods"#));
    // The fix under a path that names no running module: a new module `http` nothing imports.
    let orphan = write(&scratch.join("http.newt"), &fixed);

    let (vm, mut c, before) = start_chat(&dir);
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Load::default());
    let loaders = load(&vm.addr, &stop, &counts);
    wait_each(&counts, 20);

    // The directory form: bad/std/http.newt is std.http, which does not compile.
    counts.updating.store(true, Ordering::SeqCst);
    let (code, out) = newt_update(&vm, &dir.token(), &[&bad_root.display().to_string()]);
    counts.updating.store(false, Ordering::SeqCst);
    eprintln!("{out}");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("rejected (version 0)") && out.contains("does not compile"), "{out}");
    assert!(out.contains("http.newt:"), "the diagnostics point at the new std.http: {out}");
    let (code, out) = newt_update(&vm, &dir.token(), &[&orphan.display().to_string()]);
    eprintln!("{out}");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("rejected (version 0)") && out.contains("the update changes nothing: module 'http' is new"),
        "{out}"
    );
    wait_each(&counts, 20);
    let seen = stop_load(&vm, &stop, loaders, &counts);
    assert_eq!(counts.new_405.load(Ordering::SeqCst), 0, "a 405 with Allow after rejected updates");
    assert!(seen.iter().all(|s| !s.fixed));

    // Version 1 as before, on the old connection and a new one; the state is the start's plus
    // what was posted under load.
    probe(&mut c, false);
    let mut fresh = Client::connect(&vm.addr).unwrap_or_else(|e| panic!("connect: {e}"));
    probe(&mut fresh, false);
    let after = state(&mut fresh);
    check_lobby(&before, &after, counts.posted.load(Ordering::SeqCst));
    let st = newt_status(&vm, &dir.token());
    let line = st.lines().find(|l| l.starts_with("  std.http ")).unwrap_or_else(|| panic!("{st}"));
    assert!(st.starts_with("version 0\n") && line.starts_with("  std.http v0 "), "{st}");
    assert!(line.ends_with(" <stdlib>/std/http.newt"), "still the shipped library: {st}");

    // Nothing was left pending: the real fix commits after them.
    let (code, out) = newt_update(&vm, &dir.token(), &[FIX_DIR]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("committed (version 1)"), "{out}");
    probe(&mut c, true);
}

/// The fixed library is the shipped one plus the fix and nothing else, so that applying it never
/// takes back a later change of stdlib/std/http.newt: undoing the fix gives the shipped file.
#[test]
fn the_fix_is_the_shipped_library_plus_the_allow_header() {
    let shipped = std::fs::read_to_string(root().join("stdlib/std/http.newt")).unwrap_or_else(|e| panic!("{e}"));
    let fixed = std::fs::read_to_string(root().join(FIX)).unwrap_or_else(|e| panic!("{FIX}: {e}"));
    let start = fixed.find("// A 405 response with the Allow header").unwrap_or_else(|| panic!("no fix in {FIX}"));
    let end = fixed[start..].find("\n}\n").map(|i| start + i + 3).unwrap_or_else(|| panic!("{FIX}: unclosed"));
    let mut undone = format!("{}{}", &fixed[..start], &fixed[end..].trim_start_matches('\n'));
    for (from, to) in [
        ("return method_not_allowed(self, req.path, parts)", "return text(405, \"method not allowed\\n\")"),
        ("// A 405 (a known path, no route for the method) lists the path's methods in an Allow header.\n", ""),
    ] {
        assert!(undone.contains(from), "{FIX} no longer contains {from:?}");
        undone = undone.replacen(from, to, 1);
    }
    assert!(undone == shipped, "{FIX} is not stdlib/std/http.newt plus the fix; update it from the shipped file");
    assert_ne!(fixed, shipped);
}

/// Writes `text` to `path` (creating its directory) and returns the path.
fn write(path: &Path, text: &str) -> PathBuf {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path.to_path_buf()
}

// ---------------------------------------------------------------------------------------------
// examples/deque: std.collections updated live (Deque gains a field and methods)

/// The lengths a version-1 or version-2 line of examples/deque shows: (tick, jobs, orders,
/// recent, peaks when version 2).
type DequeLine = (u32, u32, u32, u32, Option<(u32, u32, u32)>);

/// Parses `tick N: jobs J, orders O, recent R` or its version-2 form with `(peak P)` after each.
fn deque_line(l: &str) -> Option<DequeLine> {
    let rest = l.strip_prefix("tick ")?;
    let (tick, rest) = rest.split_once(": ")?;
    let nums: Vec<u32> =
        rest.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect();
    let tick = tick.parse().ok()?;
    match nums.as_slice() {
        [j, o, r] => Some((tick, *j, *o, *r, None)),
        [j, pj, o, po, r, pr] => Some((tick, *j, *o, *r, Some((*pj, *po, *pr)))),
        _ => None,
    }
}

/// What examples/deque's worker holds after tick `t`: (jobs, orders, recent) lengths.
fn deque_state(t: u32) -> (u32, u32, u32) {
    (t - t / 3, t / 3, (t / 3).min(4))
}

/// The peaks version 2 shows at tick `m` when the update committed after tick `u`: each deque
/// starts from its length at the update (the migration), then every push raises it when the
/// deque is longer than ever (`recent` briefly holds 5 before its oldest is dropped).
fn deque_peaks(u: u32, m: u32) -> (u32, u32, u32) {
    let (mut j, mut o, mut r) = deque_state(u);
    let (mut pj, mut po, mut pr) = (j, o, r);
    for t in u + 1..=m {
        j += 1;
        pj = pj.max(j);
        if t % 3 == 0 {
            j -= 1;
            r += 1;
            pr = pr.max(r);
            o += 1;
            po = po.max(o);
        }
        if r > 4 {
            r -= 1;
        }
    }
    (pj, po, pr)
}

/// Reads version-1 lines until tick `at`, checking each against the worker's logic.
fn deque_v1_until(vm: &mut Running, at: u32) -> u32 {
    let deadline = Instant::now() + WAIT;
    loop {
        let l = vm.next_line(deadline);
        let Some((t, j, o, r, peaks)) = deque_line(&l) else { continue };
        assert!(peaks.is_none(), "version 2 before the update: {l}");
        assert_eq!((j, o, r), deque_state(t), "{l}");
        if t >= at {
            return t;
        }
    }
}

#[test]
fn deque_gains_a_field_while_deques_live_in_globals_fields_and_stacks() {
    let dir = Scratch::new("deque");
    let mut vm = Running::start("deque/main.newt", &["100000", "15"], &dir.token(), false);
    let seen = deque_v1_until(&mut vm, 8);
    let script = root().join("examples/deque/v2/update.newt");
    let paths = ["examples/deque/v2/std/collections.newt", "examples/deque/v2/main.newt"];
    let (code, report) = vm.update(&dir.token(), &script, &paths);
    assert_eq!(code, Some(0), "{report}");
    assert!(report.contains("committed"), "{report}");
    // The three live deques: the global `jobs`, `desk.orders`, and the worker's local `recent`.
    assert!(report.contains("instances migrated: 3"), "{report}");
    assert!(report.contains("std.collections.Deque"), "{report}");
    // Every tick is printed once: the last version-1 tick, then version 2 from the next one.
    let deadline = Instant::now() + WAIT;
    let mut last_v1 = seen;
    let first_v2 = loop {
        let l = vm.next_line(deadline);
        let Some(line) = deque_line(&l) else { continue };
        if line.4.is_some() {
            break line;
        }
        assert_eq!((line.1, line.2, line.3), deque_state(line.0), "{l}");
        last_v1 = line.0;
    };
    let (m, j, o, r, peaks) = first_v2;
    assert_eq!(m, last_v1 + 1, "tick {m} after version 1's {last_v1}");
    assert_eq!((j, o, r), deque_state(m), "the deques kept their elements");
    assert_eq!(peaks, Some(deque_peaks(last_v1, m)), "tick {m}");
    // The new code keeps the field right from then on.
    for _ in 0..6 {
        let l = vm.next_line(deadline);
        let (t, j, o, r, peaks) = deque_line(&l).unwrap_or_else(|| panic!("not a tick: {l}"));
        assert_eq!((j, o, r), deque_state(t), "{l}");
        assert_eq!(peaks, Some(deque_peaks(last_v1, t)), "{l}");
    }
}

#[test]
fn deque_update_with_a_wrong_migration_is_aborted_and_version_1_goes_on() {
    let dir = Scratch::new("deque-abort");
    let mut vm = Running::start("deque/main.newt", &["100000", "15"], &dir.token(), false);
    let at = deque_v1_until(&mut vm, 5);
    let bad = dir.broken_script("examples/deque/v2/update.newt", &[("self.most = o.len()", "self.most = o.len() + 1")]);
    let paths = ["examples/deque/v2/std/collections.newt", "examples/deque/v2/main.newt"];
    let (_, report) = vm.update(&dir.token(), &bad, &paths);
    assert!(report.contains("aborted"), "{report}");
    assert!(report.contains("validation \"each Deque\" failed"), "{report}");
    // Version 1 goes on, every tick in order, with its deques intact.
    let next = deque_v1_until(&mut vm, at + 4);
    assert!(next >= at + 4);
    // The real update still commits afterwards.
    let script = root().join("examples/deque/v2/update.newt");
    let (code, report) = vm.update(&dir.token(), &script, &paths);
    assert_eq!(code, Some(0), "{report}");
    assert!(report.contains("committed"), "{report}");
}

// ---------------------------------------------------------------------------------------------
// examples/ledger: std.dsu updated by the update whose script uses its new policy

/// (tick, entries, kilos or grams, total, in grams) of an examples/ledger line.
fn ledger_line(l: &str) -> Option<(u32, u32, u32, u32, bool)> {
    let rest = l.strip_prefix("tick ")?;
    let grams = rest.contains(" g, ");
    let nums: Vec<u32> =
        rest.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect();
    match nums.as_slice() {
        [t, n, w, total] => Some((*t, *n, *w, *total, grams)),
        _ => None,
    }
}

/// The ledger after tick `t`: (entries, kilos, total).
fn ledger_state(t: u32) -> (u32, u32, u32) {
    let kilos: u32 = (1..=t).map(|i| i % 4 + 1).sum();
    (t, kilos, kilos * 3)
}

#[test]
fn ledger_moves_to_grams_with_a_policy_the_same_update_adds_to_std_dsu() {
    let dir = Scratch::new("ledger");
    let mut vm = Running::start("ledger/main.newt", &["100000", "15"], &dir.token(), false);
    let deadline = Instant::now() + WAIT;
    let mut last = 0;
    while last < 5 {
        let l = vm.next_line(deadline);
        if let Some((t, n, k, total, false)) = ledger_line(&l) {
            assert_eq!((n, k, total), ledger_state(t), "{l}");
            last = t;
        }
    }
    let script = root().join("examples/ledger/v2/update.newt");
    let (code, report) =
        vm.update(&dir.token(), &script, &["examples/ledger/v2/std/dsu.newt", "examples/ledger/v2/main.newt"]);
    assert_eq!(code, Some(0), "{report}");
    assert!(report.contains("committed"), "{report}");
    assert!(report.contains("std.dsu.convert_field"), "the new policy came with the update: {report}");
    let first_v2 = loop {
        let l = vm.next_line(deadline);
        let Some(line) = ledger_line(&l) else { continue };
        if line.4 {
            break line;
        }
        assert_eq!((line.1, line.2, line.3), ledger_state(line.0), "{l}");
        last = line.0;
    };
    let (t, n, g, total, _) = first_v2;
    assert_eq!(t, last + 1, "no tick lost or repeated");
    let (entries, kilos, want) = ledger_state(t);
    assert_eq!((n, g, total), (entries, kilos * 1000, want), "every old entry converted to grams");
    // The number of entries converted is the number there were at the update.
    assert!(report.contains(&format!("instances migrated: {last}")), "{report}");
}

#[test]
fn ledger_update_whose_validation_fails_is_aborted() {
    let dir = Scratch::new("ledger-abort");
    let mut vm = Running::start("ledger/main.newt", &["100000", "15"], &dir.token(), false);
    let bad = dir.broken_script("examples/ledger/v2/update.newt", &[("(v as int) * 1000", "(v as int) * 100")]);
    let (_, report) =
        vm.update(&dir.token(), &bad, &["examples/ledger/v2/std/dsu.newt", "examples/ledger/v2/main.newt"]);
    assert!(report.contains("aborted"), "{report}");
    assert!(report.contains("validation \"same total\" failed"), "{report}");
    // Version 1 goes on, in kilos, with every entry.
    vm.drain();
    let deadline = Instant::now() + WAIT;
    for _ in 0..3 {
        let l = vm.next_line(deadline);
        let (t, n, k, total, grams) = ledger_line(&l).unwrap_or_else(|| panic!("not a tick: {l}"));
        assert!(!grams, "{l}");
        assert_eq!((n, k, total), ledger_state(t), "{l}");
    }
}
