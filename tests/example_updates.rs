//! The examples' live updates end to end (examples/README.md): each example runs version 1 under
//! `newt run --control`, gets its update through `newt update` while it works (the vector3d render
//! fiber drawing, the shop answering commands, the chat under a loop of HTTP clients), and is
//! checked on its output and on its state before and after. Each also gets a failing update in a
//! run of its own, which must leave version 1 running with its state unchanged. Every wait is
//! bounded; servers listen on 127.0.0.1 port 0 and every process is killed at the end.

#[path = "common/controlled.rs"]
mod controlled;
#[path = "example_updates/harness.rs"]
mod harness;
#[path = "common/http.rs"]
mod http;

use harness::{root, Running, Scratch, WAIT};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// vector3d

/// One frame of the vector3d render loop: its header and one line per vector.
fn frame(vm: &mut Running, deadline: Instant) -> (String, Vec<String>) {
    let mut header = vm.next_line(deadline);
    while !header.starts_with("frame ") {
        header = vm.next_line(deadline);
    }
    let vectors = (0..2).map(|_| vm.next_line(deadline)).collect();
    (header, vectors)
}

/// The frame number in a header `frame N of ...`.
fn frame_number(header: &str) -> u32 {
    header.split(' ').nth(1).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("bad header {header}"))
}

/// The bar of a vector line (`... |####`): four characters per unit of length.
fn bar(line: &str) -> &str {
    line.rsplit('|').next().unwrap_or("")
}

/// The "instances migrated: N" count of an update report.
fn migrated(report: &str) -> usize {
    let n = report.lines().find_map(|l| l.trim().strip_prefix("instances migrated: "));
    n.and_then(|n| n.split(' ').next()).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no count: {report}"))
}

/// Starts vector3d version 1 for `frames` frames and checks its first frame.
fn start_vector3d(dir: &Scratch, frames: &str) -> Running {
    let mut vm = Running::start("vector3d/main.newt", &[frames], &dir.token(), false);
    let (h, first) = frame(&mut vm, Instant::now() + WAIT);
    assert_eq!(h, "frame 1 of stream: 2 vectors");
    assert_eq!(first, ["  (1.00, 0.00, 0.00) |####", "  (0.00, 2.00, 1.00) |#########"]);
    vm
}

/// Sends an update whose migration loses the length: `validate each` aborts it; the next two
/// frames, drawn after the abort, are still version 1's with the same vectors. Returns the last
/// frame number.
fn vector3d_failed_update(dir: &Scratch, vm: &mut Running) -> u32 {
    let bad = dir.broken_script("examples/vector3d/v2/update.newt", &[("self.r = o.length()", "self.r = o.x + 0.5")]);
    let (code, out) = vm.update(&dir.token(), &bad, &["examples/vector3d/v2/scene.newt"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("aborted") && out.contains("validation \"each Vector3D\" failed"), "{out}");
    vm.drain();
    let mut last = 0;
    for _ in 0..2 {
        let (h, vs) = frame(vm, Instant::now() + WAIT);
        last = frame_number(&h);
        assert!(h.ends_with(" of stream: 2 vectors"), "still version 1: {h}");
        assert_eq!((bar(&vs[0]), bar(&vs[1])), ("####", "#########"), "{vs:?}");
        assert!(vs[1].ends_with(", 1.00) |#########"), "z kept: {vs:?}");
    }
    last
}

/// Applies v2 while the render fiber draws and checks the frames after it, to the end of the run;
/// `last_v1` is the number of the last frame read before.
fn vector3d_update(dir: &Scratch, vm: &mut Running, frames: &str, mut last_v1: u32) {
    let script = root().join("examples/vector3d/v2/update.newt");
    let (code, out) = vm.update(&dir.token(), &script, &["examples/vector3d/v2/scene.newt"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("committed (version 1)"), "{out}");
    // Two vectors are live; vectors the render fiber turns away while the update waits for its
    // safe point are migrated along (the engine collects before the wait, not during the pause),
    // so the count is at least 2.
    assert!(migrated(&out) >= 2, "{out}");
    assert!(out.contains("functions removed: scene.Vector3D.square_sum"), "{out}");
    let deadline = Instant::now() + WAIT;
    let (h, vs) = loop {
        let (h, vs) = frame(vm, deadline);
        if h.contains("(spherical)") {
            break (h, vs);
        }
        last_v1 = frame_number(&h);
    };
    // The window's state carried over: no frame lost or repeated, the same lengths, and the
    // polar angles of the cartesian z (a turn around z keeps them).
    assert_eq!(frame_number(&h), last_v1 + 1, "{h}");
    assert!(vs[0].starts_with("  (r 1.00, theta 1.57, phi ") && bar(&vs[0]) == "####", "{vs:?}");
    assert!(vs[1].starts_with("  (r 2.24, theta 1.11, phi ") && bar(&vs[1]) == "#########", "{vs:?}");
    // The render fiber keeps drawing with the new code until the end, and main ends normally.
    let (h2, _) = frame(vm, deadline);
    assert!(h2.contains("(spherical)") && frame_number(&h2) == frame_number(&h) + 1, "{h2}");
    vm.wait_line("the last frame", |l| l == format!("rendered {frames} frames"));
    assert_eq!(vm.wait_exit(), Some(0));
}

#[test]
fn vector3d_goes_spherical_while_the_render_fiber_draws() {
    let dir = Scratch::new("vector3d");
    let mut vm = start_vector3d(&dir, "30");
    let (h, _) = frame(&mut vm, Instant::now() + WAIT);
    vector3d_update(&dir, &mut vm, "30", frame_number(&h));
}

#[test]
fn vector3d_failed_validation_keeps_version_1_drawing() {
    let dir = Scratch::new("vector3d-bad");
    let mut vm = start_vector3d(&dir, "100");
    vector3d_failed_update(&dir, &mut vm);
}

/// An aborted update must leave nothing behind that the next update would migrate (the discarded
/// staged objects of an aborted scripted update are unreachable, and the collection each update
/// with migrations runs before its wait frees them).
#[test]
fn vector3d_update_after_an_aborted_one() {
    let dir = Scratch::new("vector3d-retry");
    let mut vm = start_vector3d(&dir, "40");
    let last = vector3d_failed_update(&dir, &mut vm);
    vector3d_update(&dir, &mut vm, "40", last);
}

// ---------------------------------------------------------------------------------------------
// shop

/// A shop client on one connection.
struct ShopClient {
    r: BufReader<TcpStream>,
}

impl ShopClient {
    fn connect(addr: &str) -> ShopClient {
        let s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect: {e}"));
        let _ = s.set_read_timeout(Some(WAIT));
        let _ = s.set_write_timeout(Some(WAIT));
        ShopClient { r: BufReader::new(s) }
    }

    /// Sends one command; its answer (a `stock` answer's lines joined by '\n').
    fn cmd(&mut self, command: &str) -> String {
        self.r.get_mut().write_all(format!("{command}\n").as_bytes()).unwrap_or_else(|e| panic!("write: {e}"));
        let mut out = Vec::new();
        loop {
            let mut line = String::new();
            if self.r.read_line(&mut line).unwrap_or(0) == 0 {
                panic!("the shop hung up on {command:?}");
            }
            let line = line.trim_end_matches('\n').to_string();
            if !command.starts_with("stock") {
                return line;
            }
            if line.is_empty() {
                return out.join("\n");
            }
            out.push(line);
        }
    }
}

/// Starts the shop (status every 200 ms), and orders 3 apples at paris on a first connection.
fn start_shop(dir: &Scratch) -> (Running, ShopClient) {
    let mut vm = Running::start("shop/main.newt", &["0", "200"], &dir.token(), true);
    vm.wait_line("the manager's status", |l| l == "site paris");
    let mut a = ShopClient::connect(&vm.addr);
    assert_eq!(a.cmd("order 3 apple paris"), "ok: 3 apple from paris, 7 left");
    assert!(a.cmd("rate 4 apple paris").starts_with("error: usage"), "version 1 has no rate");
    (vm, a)
}

/// A client asking for lyon's stock in a loop (lyon's stock never changes in these tests).
struct Watcher {
    stop: Arc<AtomicBool>,
    answers: Arc<AtomicUsize>,
    thread: thread::JoinHandle<()>,
}

impl Watcher {
    fn start(addr: &str) -> Watcher {
        let stop = Arc::new(AtomicBool::new(false));
        let answers = Arc::new(AtomicUsize::new(0));
        let (addr, stop2, answers2) = (addr.to_string(), stop.clone(), answers.clone());
        let thread = thread::spawn(move || {
            let mut c = ShopClient::connect(&addr);
            while !stop2.load(Ordering::Relaxed) {
                assert_eq!(c.cmd("stock lyon"), "site lyon\n  apple: 3\n  plum: 8");
                answers2.fetch_add(1, Ordering::Relaxed);
            }
        });
        Watcher { stop, answers, thread }
    }

    /// Waits for 5 more right answers, then stops; panics when an answer was wrong.
    fn finish(self, vm: &Running) {
        let want = self.answers.load(Ordering::Relaxed) + 5;
        let until = Instant::now() + WAIT;
        while self.answers.load(Ordering::Relaxed) < want && Instant::now() < until {
            thread::sleep(Duration::from_millis(10));
        }
        self.stop.store(true, Ordering::Relaxed);
        assert!(self.thread.join().is_ok(), "the watching client saw a wrong answer; stderr: {}", vm.errors());
        assert!(self.answers.load(Ordering::Relaxed) >= want, "the watcher stopped getting answers");
    }
}

#[test]
fn shop_update1_adds_ratings_while_serving_commands() {
    let dir = Scratch::new("shop");
    let (mut vm, mut a) = start_shop(&dir);
    let watcher = Watcher::start(&vm.addr);
    let script = root().join("examples/shop/update1/update.newt");
    let (code, out) = vm.update(&dir.token(), &script, &["examples/shop/update1/model.newt"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("committed (version 1)") && out.contains("instances migrated: 6"), "{out}");
    assert!(out.contains("functions changed: model.do_command"), "{out}");
    watcher.finish(&vm);

    // The connection opened before the update runs the new do_command; the stock is unchanged.
    assert_eq!(a.cmd("rate 4 apple paris"), "ok: apple at paris rated 4.00 (votes: 1), paris rated 4.00");
    let mut b = ShopClient::connect(&vm.addr);
    assert_eq!(b.cmd("rate 5 apple paris"), "ok: apple at paris rated 4.50 (votes: 2), paris rated 4.50");
    assert_eq!(b.cmd("rate 2 pear paris"), "ok: pear at paris rated 2.00 (votes: 1), paris rated 3.25");
    assert_eq!(b.cmd("rate 3 plum lyon"), "ok: plum at lyon rated 3.00 (votes: 1), lyon rated 3.00");
    assert_eq!(b.cmd("rate 7 plum lyon"), "refused: a mark is between 0 and 5");
    assert_eq!(b.cmd("rate 3 kiwi lyon"), "refused: lyon has no kiwi");
    assert_eq!(b.cmd("stock paris"), "site paris\n  apple: 7\n  pear: 4");
    assert_eq!(a.cmd("order 2 apple paris"), "ok: 2 apple from paris, 5 left");
    // The manager fiber, which never left its loop, prints the new stock.
    vm.wait_line("the manager's new status", |l| l == "  apple: 5");
}

#[test]
fn shop_rejected_and_aborted_updates_leave_version_1_serving() {
    let dir = Scratch::new("shop-bad");
    let (vm, mut a) = start_shop(&dir);
    let watcher = Watcher::start(&vm.addr);
    // Without the script the new fields have no value: rejected, naming the field.
    let o = Command::new(env!("CARGO_BIN_EXE_newt"))
        .args(["update", "--connect", &vm.control, "--token-file"])
        .arg(dir.token())
        .arg("examples/shop/update1/model.newt")
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("newt update: {e}"));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("rejected") && out.contains("'mark'"), "{out}");
    // A migration that empties the stock: the validation catches it, nothing changes.
    let bad = dir.broken_script(
        "examples/shop/update1/update.newt",
        &[("self.votes = 0", "self.votes = 0\n    self.stock = 0")],
    );
    let (code, out) = vm.update(&dir.token(), &bad, &["examples/shop/update1/model.newt"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("aborted") && out.contains("validation \"each Product\" failed"), "{out}");
    watcher.finish(&vm);
    assert_eq!(a.cmd("stock paris"), "site paris\n  apple: 7\n  pear: 4");
    assert!(a.cmd("rate 4 apple paris").starts_with("error: usage"), "still version 1");
    assert_eq!(a.cmd("order 1 apple paris"), "ok: 1 apple from paris, 6 left");
}

// ---------------------------------------------------------------------------------------------
// shop, update 2: the manager fiber rebooted (seed 000, Figure 6)

const UPDATE2_SCRIPT: &str = "examples/shop/update2/update.newt";
const UPDATE2_MAIN: &str = "examples/shop/update2/main.newt";

/// A header of the manager's output: version 1 prints `round N` (then each site's status), update
/// 2 `round N (every P ms): S sites, T in stock` (then one line per site), given as its tail.
#[derive(Debug, PartialEq)]
enum Round {
    V1(u32),
    V2(u32, String),
}

impl Round {
    fn number(&self) -> u32 {
        match self {
            Round::V1(n) | Round::V2(n, _) => *n,
        }
    }
}

/// The round header `line` is, if it is one (no answer to a command starts with "round ").
fn round_header(line: &str) -> Option<Round> {
    let rest = line.strip_prefix("round ")?;
    Some(match rest.split_once(' ') {
        None => Round::V1(rest.parse().ok()?),
        Some((n, tail)) => Round::V2(n.parse().ok()?, tail.to_string()),
    })
}

/// The next round header the manager prints.
fn next_round(vm: &mut Running, deadline: Instant) -> Round {
    loop {
        if let Some(r) = round_header(&vm.next_line(deadline)) {
            return r;
        }
    }
}

/// Reads the manager's output up to the first header in update 2's format; returns it and the
/// number of the last version 1 round before it (`last_v1` when there was none in between).
fn first_v2_round(vm: &mut Running, mut last_v1: u32) -> (u32, String) {
    let deadline = Instant::now() + WAIT;
    loop {
        match next_round(vm, deadline) {
            Round::V1(n) => {
                assert_eq!(n, last_v1 + 1, "version 1's rounds are consecutive");
                last_v1 = n;
            }
            Round::V2(n, tail) => {
                assert_eq!(n, last_v1 + 1, "the rebooted manager numbers on from round {last_v1}: {tail}");
                return (n, tail);
            }
        }
    }
}

/// Waits for a version 1 round header (so that the rounds counted from here are all seen) and
/// returns its number.
fn v1_round(vm: &mut Running) -> u32 {
    match next_round(vm, Instant::now() + WAIT) {
        Round::V1(n) => n,
        r => panic!("not version 1's manager: {r:?}"),
    }
}

/// Applies update 2 and checks its report.
fn apply_update2(dir: &Scratch, vm: &Running, version: u32) {
    let (code, out) = vm.update(&dir.token(), &root().join(UPDATE2_SCRIPT), &[UPDATE2_MAIN]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("committed (version {version})")) && out.contains("fibers rebooted: 1"), "{out}");
    assert!(out.contains("functions added: main.site_manager, main.status_line, main.stock_of"), "{out}");
    assert!(out.contains("functions changed: main.site_manager_main\n"), "only the manager's loop changed: {out}");
    assert!(out.contains("instances migrated: 0"), "{out}");
}

/// After update 2: the manager prints round `n` in the new format with `in_stock` units, the
/// sites' lines `sites`, and its next round (numbered on, nothing in the old format between).
fn check_v2_rounds(vm: &mut Running, n: u32, tail: &str, in_stock: u32, sites: &[&str]) {
    assert_eq!(tail, format!("(every 200 ms): 2 sites, {in_stock} in stock"), "the period carried over");
    for site in sites {
        vm.wait_line(site, |l| l == *site);
    }
    let next = next_round(vm, Instant::now() + WAIT);
    assert_eq!(next, Round::V2(n + 1, tail.to_string()), "the new loop goes on");
}

#[test]
fn shop_update2_reboots_the_manager_while_serving_commands() {
    let dir = Scratch::new("shop2");
    let (mut vm, mut a) = start_shop(&dir);
    let last_v1 = v1_round(&mut vm);
    let watcher = Watcher::start(&vm.addr);
    apply_update2(&dir, &vm, 1);
    watcher.finish(&vm);
    // The manager restarted in the new loop with its old frame's period and round count.
    let (n, tail) = first_v2_round(&mut vm, last_v1);
    check_v2_rounds(&mut vm, n, &tail, 22, &["  paris: apple 7, pear 4", "  lyon: apple 3, plum 8"]);
    // The stock is unchanged, and the connection opened before the update still works (the
    // client fibers were not touched); the next round shows an order made now.
    assert_eq!(a.cmd("stock paris"), "site paris\n  apple: 7\n  pear: 4");
    assert_eq!(a.cmd("order 2 apple paris"), "ok: 2 apple from paris, 5 left");
    let mut b = ShopClient::connect(&vm.addr);
    assert_eq!(b.cmd("order 1 plum lyon"), "ok: 1 plum from lyon, 7 left");
    assert!(a.cmd("rate 4 apple paris").starts_with("error: usage"), "the model is still version 1's");
    vm.wait_line("the new stock in the new format", |l| l == "  paris: apple 5, pear 4");
    vm.wait_line("the new total", |l| l.ends_with("(every 200 ms): 2 sites, 19 in stock"));
    assert!(vm.errors().is_empty(), "{}", vm.errors());
}

/// Update 2 uses only what both versions of `model` have, so it applies after update 1 too.
#[test]
fn shop_update2_after_update1() {
    let dir = Scratch::new("shop12");
    let (mut vm, mut a) = start_shop(&dir);
    let (code, out) = vm.update(
        &dir.token(),
        &root().join("examples/shop/update1/update.newt"),
        &["examples/shop/update1/model.newt"],
    );
    assert!(code == Some(0) && out.contains("committed (version 1)"), "{out}");
    assert_eq!(a.cmd("rate 4 apple paris"), "ok: apple at paris rated 4.00 (votes: 1), paris rated 4.00");
    vm.drain();
    let last_v1 = v1_round(&mut vm);
    apply_update2(&dir, &vm, 2);
    let (n, tail) = first_v2_round(&mut vm, last_v1);
    check_v2_rounds(&mut vm, n, &tail, 22, &["  paris: apple 7, pear 4"]);
    // Update 1's model is untouched: the marks are still there.
    assert_eq!(a.cmd("rate 5 apple paris"), "ok: apple at paris rated 4.50 (votes: 2), paris rated 4.50");
    assert_eq!(a.cmd("stock paris"), "site paris\n  apple: 7\n  pear: 4");
}

/// And update 1 after update 2: the rebooted manager (whose fiber started in the first script's
/// code) holds no later update back, and update 1 leaves it running.
#[test]
fn shop_update1_after_update2() {
    let dir = Scratch::new("shop21");
    let (mut vm, mut a) = start_shop(&dir);
    let last_v1 = v1_round(&mut vm);
    apply_update2(&dir, &vm, 1);
    let (n, _) = first_v2_round(&mut vm, last_v1);
    let (code, out) = vm.update(
        &dir.token(),
        &root().join("examples/shop/update1/update.newt"),
        &["examples/shop/update1/model.newt"],
    );
    assert!(code == Some(0) && out.contains("committed (version 2)"), "{out}");
    assert!(!out.contains("fibers rebooted"), "{out}");
    assert_eq!(a.cmd("rate 4 apple paris"), "ok: apple at paris rated 4.00 (votes: 1), paris rated 4.00");
    assert_eq!(a.cmd("order 1 apple paris"), "ok: 1 apple from paris, 6 left");
    // Still update 2's loop, numbering on, on the migrated sites.
    vm.wait_line("the new stock", |l| l == "  paris: apple 6, pear 4");
    let r = next_round(&mut vm, Instant::now() + WAIT);
    assert!(matches!(&r, Round::V2(m, tail) if *m > n && tail.ends_with(" 21 in stock")), "{r:?}");
}

#[test]
fn shop_failed_update2_leaves_the_manager_in_version_1() {
    let dir = Scratch::new("shop2-bad");
    let (mut vm, mut a) = start_shop(&dir);
    let before = v1_round(&mut vm);
    let watcher = Watcher::start(&vm.addr);
    // A reboot call that does not type-check (a local is `any`): rejected, pointing at it.
    let bad = dir.broken_script(UPDATE2_SCRIPT, &[("frame.local(\"round\") as int", "frame.local(\"round\")")]);
    let (code, out) = vm.update(&dir.token(), &bad, &[UPDATE2_MAIN]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("rejected") && out.contains("expected int, found any"), "{out}");
    // A new status line that forgets the stock: the validation catches it before the commit.
    let main = dir.broken_source(UPDATE2_MAIN, &[("items.push(\"{p.name} {p.stock}\")", "items.push(p.name)")]);
    let (code, out) = vm.update(&dir.token(), &root().join(UPDATE2_SCRIPT), &[&main.to_string_lossy()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("aborted") && out.contains("validation \"status lines show the stock\" failed"), "{out}");
    assert!(!out.contains("fibers rebooted"), "{out}");
    watcher.finish(&vm);
    // The manager was never rebooted: still version 1's loop, counting on from before.
    vm.drain();
    let deadline = Instant::now() + WAIT;
    let r1 = next_round(&mut vm, deadline);
    let r2 = next_round(&mut vm, deadline);
    assert!(matches!(r1, Round::V1(n) if n > before), "{r1:?} after round {before}");
    assert_eq!(r2, Round::V1(r1.number() + 1));
    vm.wait_line("version 1's status", |l| l == "site paris");
    assert_eq!(a.cmd("stock paris"), "site paris\n  apple: 7\n  pear: 4");
    assert_eq!(a.cmd("order 1 apple paris"), "ok: 1 apple from paris, 6 left");
    // Nothing was left behind: update 2 itself commits now (as version 1).
    apply_update2(&dir, &vm, 1);
    let (n, tail) = first_v2_round(&mut vm, r2.number());
    check_v2_rounds(&mut vm, n, &tail, 21, &["  paris: apple 6, pear 4"]);
}

/// The restart call's arguments are evaluated in the staging area, before the commit, so a
/// runtime error there (a misspelt local) aborts the update and the manager keeps running v1.
#[test]
fn shop_update2_whose_reboot_call_fails_is_aborted() {
    let dir = Scratch::new("shop2-reboot-error");
    let (mut vm, _a) = start_shop(&dir);
    let before = v1_round(&mut vm);
    let bad = dir.broken_script(UPDATE2_SCRIPT, &[("frame.local(\"round\")", "frame.local(\"rounds\")")]);
    let (code, out) = vm.update(&dir.token(), &bad, &[UPDATE2_MAIN]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("aborted") && out.contains("no local 'rounds'"), "{out}");
    vm.drain();
    let r = next_round(&mut vm, Instant::now() + WAIT);
    assert!(matches!(r, Round::V1(n) if n > before), "{r:?}");
}

// ---------------------------------------------------------------------------------------------
// chat

/// A minimal HTTP/1.1 client over one keep-alive connection.
struct Http {
    r: BufReader<TcpStream>,
}

impl Http {
    fn connect(addr: &str) -> std::io::Result<Http> {
        let s = TcpStream::connect(addr)?;
        s.set_read_timeout(Some(WAIT))?;
        s.set_write_timeout(Some(WAIT))?;
        Ok(Http { r: BufReader::new(s) })
    }

    /// Sends a request; (status, body), status 0 when the connection failed or ended first.
    fn request(&mut self, method: &str, path: &str, body: &str) -> (u16, String) {
        let req = format!("{method} {path} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        if self.r.get_mut().write_all(req.as_bytes()).is_err() {
            return (0, String::new());
        }
        http::read_response(&mut self.r)
    }
}

/// The messages of a `GET /rooms/R/messages` answer.
fn messages(body: &str) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    v["messages"].as_array().cloned().unwrap_or_else(|| panic!("no messages: {body}"))
}

/// Request counts of the load loop.
#[derive(Default)]
struct Load {
    ok: AtomicUsize,
    failed: AtomicUsize,
    /// Answers served by version 2 (their messages have a `class`).
    v2: AtomicUsize,
    failures: Mutex<Vec<String>>,
    /// Set while `newt update` runs; `during` counts the successful requests that overlapped it.
    updating: AtomicBool,
    during: AtomicUsize,
}

/// Readers and one poster hitting the chat until `stop`; every answer must be a success.
fn load(addr: &str, stop: &Arc<AtomicBool>, counts: &Arc<Load>) -> Vec<thread::JoinHandle<()>> {
    (0..4)
        .map(|i| {
            let (addr, stop, counts) = (addr.to_string(), stop.clone(), counts.clone());
            thread::spawn(move || {
                let mut c = Http::connect(&addr).ok();
                let mut k = 0;
                while !stop.load(Ordering::Relaxed) {
                    let Some(http) = c.as_mut() else {
                        counts.failed.fetch_add(1, Ordering::Relaxed);
                        counts.failures.lock().map(|mut f| f.push("connect".into())).ok();
                        c = Http::connect(&addr).ok();
                        continue;
                    };
                    k += 1;
                    let updating = counts.updating.load(Ordering::SeqCst);
                    let (want, (status, body)) = if i == 0 {
                        let text = format!(r#"{{"user":"ann","text":"load {k}"}}"#);
                        (201, http.request("POST", "/rooms/lobby/messages", &text))
                    } else {
                        (200, http.request("GET", "/rooms/lobby/messages?limit=5", ""))
                    };
                    if status == want {
                        counts.ok.fetch_add(1, Ordering::Relaxed);
                        if updating || counts.updating.load(Ordering::SeqCst) {
                            counts.during.fetch_add(1, Ordering::Relaxed);
                        }
                        if body.contains(r#""class":"#) {
                            counts.v2.fetch_add(1, Ordering::Relaxed);
                        }
                    } else {
                        counts.failed.fetch_add(1, Ordering::Relaxed);
                        counts.failures.lock().map(|mut f| f.push(format!("{status} {body}"))).ok();
                        c = Http::connect(&addr).ok();
                    }
                }
            })
        })
        .collect()
}

/// Waits (bounded) until `n` more requests have succeeded.
fn wait_requests(counts: &Load, n: usize) {
    let want = counts.ok.load(Ordering::Relaxed) + n;
    let until = Instant::now() + WAIT;
    while counts.ok.load(Ordering::Relaxed) < want && Instant::now() < until {
        thread::sleep(Duration::from_millis(5));
    }
    assert!(counts.ok.load(Ordering::Relaxed) >= want, "the load loop stalled");
}

/// Starts the chat and gives room lobby five messages (three info, two from users); returns the
/// server, a client and the messages as version 1 serves them.
fn start_chat(dir: &Scratch) -> (Running, Http, Vec<serde_json::Value>) {
    let vm = Running::start("chat/main.newt", &["0"], &dir.token(), true);
    let mut c = Http::connect(&vm.addr).unwrap_or_else(|e| panic!("connect: {e}"));
    for (path, body) in [
        ("/rooms/lobby/join", r#"{"user":"ann"}"#),
        ("/rooms/lobby/messages", r#"{"user":"ann","text":"hello"}"#),
        ("/rooms/lobby/join", r#"{"user":"bob"}"#),
        ("/rooms/lobby/messages", r#"{"user":"bob","text":"hi ann"}"#),
        ("/rooms/lobby/leave", r#"{"user":"bob"}"#),
    ] {
        let (status, reply) = c.request("POST", path, body);
        assert!(status == 200 || status == 201, "{path}: {status} {reply}");
    }
    let (_, before) = c.request("GET", "/rooms/lobby/messages?since=0&limit=5", "");
    let old = messages(&before);
    assert_eq!(old.len(), 5, "{before}");
    assert!(old.iter().all(|m| m.get("class").is_none()), "version 1 has no class: {before}");
    (vm, c, old)
}

/// The first five messages of room lobby.
fn first_messages(c: &mut Http) -> Vec<serde_json::Value> {
    let (status, body) = c.request("GET", "/rooms/lobby/messages?since=0&limit=1000000", "");
    assert_eq!(status, 200, "{body}");
    messages(&body).into_iter().take(5).collect()
}

/// Stops the load loop and checks that no request failed.
fn stop_load(vm: &Running, stop: &AtomicBool, loaders: Vec<thread::JoinHandle<()>>, counts: &Load) {
    stop.store(true, Ordering::Relaxed);
    for l in loaders {
        assert!(l.join().is_ok(), "a load thread panicked");
    }
    let failures = counts.failures.lock().map(|f| f.clone()).unwrap_or_default();
    assert_eq!(counts.failed.load(Ordering::Relaxed), 0, "failed requests: {failures:?}; stderr: {}", vm.errors());
}

#[test]
fn chat_messages_split_into_subclasses_under_load() {
    let dir = Scratch::new("chat");
    let (vm, mut c, old) = start_chat(&dir);
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Load::default());
    let loaders = load(&vm.addr, &stop, &counts);
    wait_requests(&counts, 50);

    // Version 2, while the load loop runs.
    let script = root().join("examples/chat/v2/update.newt");
    counts.updating.store(true, Ordering::SeqCst);
    let (code, out) = vm.update(&dir.token(), &script, &["examples/chat/v2/model.newt"]);
    counts.updating.store(false, Ordering::SeqCst);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("committed (version 1)") && out.contains("classes added: model.InfoMessage, model.UserMessage"),
        "{out}"
    );
    wait_requests(&counts, 100);
    stop_load(&vm, &stop, loaders, &counts);
    assert!(counts.v2.load(Ordering::Relaxed) > 0, "no answer came from version 2");
    assert!(counts.during.load(Ordering::Relaxed) > 0, "no request overlapped the update");

    // The old messages are still served, each now of the right subclass, with its content.
    let new = first_messages(&mut c);
    let classes: Vec<&str> = new.iter().map(|m| m["class"].as_str().unwrap_or("?")).collect();
    assert_eq!(classes, ["InfoMessage", "UserMessage", "InfoMessage", "UserMessage", "InfoMessage"], "{new:?}");
    for (o, n) in old.iter().zip(&new) {
        for key in ["id", "text", "time", "kind", "user"] {
            assert_eq!(o[key], n[key], "{key}: {old:?} / {new:?}");
        }
    }
    // Every message posted under load, before and after the commit, is a UserMessage of ann.
    let (_, all) = c.request("GET", "/rooms/lobby/messages?since=5&limit=1000000", "");
    let posted = messages(&all);
    assert!(!posted.is_empty(), "{all}");
    assert!(posted.iter().all(|m| m["class"] == "UserMessage" && m["user"] == "ann"), "{all}");
    // New messages take the new classes.
    let (status, _) = c.request("POST", "/rooms/lobby/join", r#"{"user":"cy"}"#);
    assert_eq!(status, 200);
    let (_, last) = c.request("GET", "/rooms/lobby/messages?limit=1", "");
    assert_eq!(messages(&last)[0]["class"], "InfoMessage", "{last}");
}

#[test]
fn chat_aborted_update_under_load_changes_nothing() {
    let dir = Scratch::new("chat-bad");
    let (vm, mut c, old) = start_chat(&dir);
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Load::default());
    let loaders = load(&vm.addr, &stop, &counts);
    wait_requests(&counts, 50);
    // A migration that makes every message an InfoMessage: `validate each` catches it.
    let bad = dir.broken_script(
        "examples/chat/v2/update.newt",
        &[(
            "return UserMessage { id: o.id, user: u, text: o.text, time_ms: o.time_ms }",
            "return InfoMessage { id: o.id, text: o.text, time_ms: o.time_ms }",
        )],
    );
    counts.updating.store(true, Ordering::SeqCst);
    let (code, out) = vm.update(&dir.token(), &bad, &["examples/chat/v2/model.newt"]);
    counts.updating.store(false, Ordering::SeqCst);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("aborted") && out.contains("validation \"each ChatMessage\" failed"), "{out}");
    wait_requests(&counts, 50);
    stop_load(&vm, &stop, loaders, &counts);
    assert_eq!(counts.v2.load(Ordering::Relaxed), 0, "version 2 answered after an aborted update");
    assert_eq!(first_messages(&mut c), old);
}

// ---------------------------------------------------------------------------------------------
// echo: the accept loop (a `main` that never returns) remapped while clients are connected

/// One line-echo client.
struct EchoClient {
    r: BufReader<TcpStream>,
}

impl EchoClient {
    fn connect(addr: &str) -> EchoClient {
        let s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect: {e}"));
        let _ = s.set_read_timeout(Some(WAIT));
        let _ = s.set_write_timeout(Some(WAIT));
        EchoClient { r: BufReader::new(s) }
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        if self.r.read_line(&mut line).unwrap_or(0) == 0 {
            panic!("the echo server hung up");
        }
        line.trim_end_matches('\n').to_string()
    }

    fn echo(&mut self, text: &str) -> String {
        self.r.get_mut().write_all(format!("{text}\n").as_bytes()).unwrap_or_else(|e| panic!("write: {e}"));
        self.line()
    }
}

#[test]
fn echo_accept_loop_is_remapped_while_clients_are_connected() {
    let dir = Scratch::new("echo-remap");
    let vm = Running::start("echo/main.newt", &["0"], &dir.token(), true);
    let mut a = EchoClient::connect(&vm.addr);
    assert_eq!(a.echo("before"), "before");
    let script = root().join("examples/echo/v2/update.newt");
    let (code, report) = vm.update(&dir.token(), &script, &["examples/echo/v2/main.newt"]);
    assert_eq!(code, Some(0), "{report}");
    assert!(report.contains("committed"), "{report}");
    assert!(report.contains("frames remapped: 1"), "{report}");
    // The connection opened before the update is still served, by the unchanged `echo`.
    assert_eq!(a.echo("after"), "after");
    // New connections go through the new accept loop: greeted, numbered from the update on.
    let mut b = EchoClient::connect(&vm.addr);
    assert_eq!(b.line(), "hello #1");
    assert_eq!(b.echo("hi"), "hi");
    let mut c = EchoClient::connect(&vm.addr);
    assert_eq!(c.line(), "hello #2");
    assert_eq!(a.echo("still"), "still");
}

#[test]
fn echo_update_without_remap_waits_for_main_and_aborts() {
    // Without `remap main` the accept loop never returns: the update times out, names the
    // frame, and the server goes on as version 1.
    let dir = Scratch::new("echo-wait");
    let vm = Running::start("echo/main.newt", &["0"], &dir.token(), true);
    let mut a = EchoClient::connect(&vm.addr);
    assert_eq!(a.echo("one"), "one");
    let script = dir.broken_script("examples/echo/v2/update.newt", &[("remap main", "")]);
    let args =
        ["--timeout".into(), "300".into(), "--script".into(), script.into(), "examples/echo/v2/main.newt".into()];
    let (_, report) = vm.update_args(&dir.token(), &args);
    assert!(report.contains("aborted"), "{report}");
    assert!(report.contains("main.main"), "{report}");
    assert_eq!(a.echo("two"), "two");
    let mut b = EchoClient::connect(&vm.addr);
    assert_eq!(b.echo("no greeting"), "no greeting");
}

// ---------------------------------------------------------------------------------------------
// forever: gDSU's Figure 15, a `main` whose loop never returns, remapped

#[test]
fn forever_main_loop_is_remapped_keeping_its_locals() {
    let dir = Scratch::new("forever");
    let mut vm = Running::start("forever/main.newt", &["20"], &dir.token(), false);
    let deadline = Instant::now() + WAIT;
    let mut last = 0;
    while last < 4 {
        let l = vm.next_line(deadline);
        let n: u32 = l.strip_prefix("beat ").and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{l}"));
        assert_eq!(n, last + 1, "{l}");
        last = n;
    }
    let script = root().join("examples/forever/v2/update.newt");
    let (code, report) = vm.update(&dir.token(), &script, &["examples/forever/v2/main.newt"]);
    assert_eq!(code, Some(0), "{report}");
    assert!(report.contains("frames remapped: 1"), "{report}");
    // Every beat once, in order; from the update on in the new format, `beats` and `period`
    // carried, `mine` counting from its initializer.
    let mut mine = 0;
    while mine < 3 {
        let l = vm.next_line(deadline);
        if let Some(rest) = l.strip_prefix("beat ") {
            let n: u32 = rest.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{l}"));
            assert_eq!(n, last + 1, "{l}");
            last = n;
            if rest.contains("in v2") {
                mine += 1;
                assert_eq!(l, format!("beat {n} ({mine} in v2, every 20 ms)"));
            } else {
                assert_eq!(mine, 0, "an old-format beat after the new ones: {l}");
            }
        }
    }
}
