//! `std.dsu` from inside a running program: `dsu.apply` with module files on disk, the report's
//! outcome and reason, `dsu.version()`, `dsu.history()` and `dsu.instances()`.

use newt_vm::{Io, SharedBuf, Vm, VmOptions};
use std::path::PathBuf;

/// A fresh directory holding `files` (relative path, text).
fn tree(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("newt-dsu-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (rel, text) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
    }
    dir
}

/// Runs `dir/main.newt` to the end and returns (stdout, stderr, exit code).
fn run(dir: &std::path::Path) -> (String, String, i32) {
    let program = match newt_compiler::check::check_file(&dir.join("main.newt"), newt_stdlib::source) {
        Ok(p) => p,
        Err((d, s)) => panic!("{}", newt_compiler::diag::render_all(&d, &s)),
    };
    let image = newt_compiler::codegen::generate(&program).unwrap();
    let (out, err) = (SharedBuf::new(), SharedBuf::new());
    let io = Io::new(Box::new(out.clone()), Box::new(err.clone()), Box::new(std::io::Cursor::new(Vec::new())));
    let mut vm = Vm::with_options(image, vec![], VmOptions { io });
    let outcome = vm.run();
    (out.text(), err.text(), outcome.exit_code)
}

const MAIN: &str = "
import std.dsu
import lib

fn show(r: dsu.UpdateReport) {
    print(\"{r.outcome()} [{r.reason()}] v{dsu.version()}\")
}

fn main() {
    lib.setup()
    print(lib.greet())
    show(dsu.apply([\"v2\"], nil))
    print(lib.greet())
    let n = dsu.instances(\"Item\")
    print(\"instances {n}\")
    show(dsu.apply([\"bad\"], nil))
    show(dsu.apply([\"nope\"], nil))
    show(dsu.apply([\"v2\"], \"update lib\"))
    let h = dsu.history()
    print(\"history {h.len()} {h[0].outcome()} {h[1].outcome()}\")
}
";

const LIB_V1: &str = "
class Item { name: str }
var items: List<Item> = []
fn setup() {
    items.push(Item { name: \"a\" })
    items.push(Item { name: \"b\" })
}
fn greet() -> str = \"v1 {items.len()}\"
";

const LIB_V2: &str = "
class Item {
    name: str
    price: int = 7
}
var items: List<Item> = []
fn setup() {
    items.push(Item { name: \"a\" })
}
fn greet() -> str = \"v2 {items[0].name}{items[0].price} {items[1].name}{items[1].price}\"
";

#[test]
fn apply_from_inside_the_program() {
    let dir = tree(
        "apply",
        &[
            ("main.newt", MAIN),
            ("lib.newt", LIB_V1),
            ("v2/lib.newt", LIB_V2),
            ("bad/lib.newt", "fn greet() -> int = \"x\"\n"),
        ],
    );
    let (out, err, code) = run(&dir);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "v1 2");
    assert_eq!(lines[1], "committed [] v1");
    assert_eq!(lines[2], "v2 a7 b7");
    assert_eq!(lines[3], "instances 2");
    assert!(
        lines[4].starts_with("rejected [the new version does not compile: ")
            && lines[4].contains("lib")
            && lines[4].ends_with("] v1"),
        "{}",
        lines[4]
    );
    assert!(lines[5].starts_with("rejected [cannot read "), "{}", lines[5]);
    // The script path is relative to the root module's directory: "update lib" is no file.
    assert!(lines[6].starts_with("rejected [cannot read "), "{}", lines[6]);
    // Refused requests (unreadable source or script path) are not recorded.
    assert_eq!(lines[7], "history 2 committed rejected");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_requesting_fiber_that_would_be_affected_is_rejected() {
    let main_v2 = MAIN.replace("print(lib.greet())\n    show", "print(\"changed \" + lib.greet())\n    show");
    let dir = tree(
        "self",
        &[
            ("main.newt", MAIN),
            ("lib.newt", LIB_V1),
            ("v2/lib.newt", LIB_V2),
            ("v2/main.newt", &main_v2),
            ("bad/lib.newt", "x"),
        ],
    );
    let (out, err, code) = run(&dir);
    assert_eq!(code, 0, "{err}");
    let second = out.lines().nth(1).unwrap_or("");
    assert!(
        second.starts_with("rejected [the requesting fiber would itself be affected: <fiber 1> in main.main (line"),
        "{out}"
    );
    assert_eq!(out.lines().nth(2), Some("v1 2"), "nothing changed");
    let _ = std::fs::remove_dir_all(&dir);
}

const FIBERS_MAIN: &str = "
import std.dsu
import std.time
import lib

fn waiter(c: Chan<int>) {
    let v = c.recv() ?? 0
    print(\"got {v} {lib.greet()}\")
}

fn main() {
    let c = Chan::<int>(0)
    let w = spawn waiter(c)
    let d = Chan::<int>(0)
    let b = spawn lib.block(d)
    b.set_name(\"blocker\")
    lib.setup()
    time.sleep(5)
    let r = dsu.apply_within([\"v2\"], nil, 50)
    print(\"{r.outcome()} [{r.reason()}]\")
    d.send(1)
    b.join()
    let r2 = dsu.apply([\"v2\"], nil)
    print(\"{r2.outcome()} [{r2.reason()}] {r2.migrated()}\")
    c.send(7)
    w.join()
}
";

#[test]
fn fibers_keep_running_while_dsu_apply_compiles() {
    // `dsu.apply` compiles the new version off the VM thread while the program goes on: the
    // blocker, spawned just before, runs meanwhile and parks inside the old `lib.block`, so this
    // update (50 ms timeout) is held back by it; once it has returned, the next one commits.
    // (A fiber stopped at the entry of an affected function, not yet started, is moved to the
    // new version instead: `update_engine.rs`, `a_fiber_not_yet_started_enters_the_new_version`.)
    // `time.sleep(0)` lets the blocker run (and park inside `lib.block`) before the request:
    // without it, whether it gets there before the compilation aside ends is a race with the
    // machine's load.
    let main = FIBERS_MAIN.replace("    time.sleep(5)\n", "    time.sleep(0)\n");
    let lib_v1 = format!("{LIB_V1}\nfn block(d: Chan<int>) {{\n    let x = d.recv()\n}}\n");
    let lib_v2 = format!("{LIB_V2}\nfn block(d: Chan<int>) {{\n    let y = d.recv()\n    print(\"new block\")\n}}\n");
    let dir = tree("entry", &[("main.newt", &main), ("lib.newt", &lib_v1), ("v2/lib.newt", &lib_v2)]);
    let (out, err, code) = run(&dir);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("aborted [no safe point within 50 ms: held back by <fiber 3> (blocker) in lib.block"),
        "{out}"
    );
    assert_eq!(&lines[1..], ["committed [] 2", "got 7 v2 a7 b7"], "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn parked_fibers_count_as_at_an_update_point_unless_inside_affected_code() {
    let lib_v1 = format!("{LIB_V1}\nfn block(d: Chan<int>) {{\n    let x = d.recv()\n}}\n");
    let lib_v2 = format!("{LIB_V2}\nfn block(d: Chan<int>) {{\n    let y = d.recv()\n    print(\"new block\")\n}}\n");
    let dir = tree("fibers", &[("main.newt", FIBERS_MAIN), ("lib.newt", &lib_v1), ("v2/lib.newt", &lib_v2)]);
    let (out, err, code) = run(&dir);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    // The blocker is parked inside lib.block, which v2 changes: the first attempt times out.
    assert!(
        lines[0]
            .starts_with("aborted [no safe point within 50 ms: held back by <fiber 3> (blocker) in lib.block (line"),
        "{out}"
    );
    // Once it has returned, the waiter parked in recv (unaffected code) does not delay the update.
    assert_eq!(lines[1], "committed [] 2");
    assert_eq!(lines[2], "got 7 v2 a7 b7");
    let _ = std::fs::remove_dir_all(&dir);
}

const GUARDED_MAIN: &str = "
import std.dsu
import lib

fn show(r: dsu.UpdateReport) {
    print(\"{r.outcome()} [{r.reason()}] v{dsu.version()}\")
}

fn main() {
    lib.setup()
    dsu.add_validation(\"two items\", lib.healthy)
    show(dsu.apply([\"broken\"], nil))
    print(lib.greet())
    show(dsu.apply([\"renamed\"], \"renamed/update.newt\"))
    print(lib.greet())
    let n = dsu.instances(\"Entry\")
    print(\"items {n}\")
}
";

const GUARDED_V1: &str = "
class Item { name: str }
var items: List<Item> = []
fn setup() {
    items.push(Item { name: \"a\" })
    items.push(Item { name: \"b\" })
}
fn healthy() -> bool = items.len() == 2
fn greet() -> str = \"v1 {items.len()}\"
";

#[test]
fn add_validation_guards_every_later_update_and_scripts_rename_classes() {
    let broken = GUARDED_V1.replace("items.len() == 2", "items.len() == 3").replace("\"v1", "\"broken");
    let renamed = "
class Entry {
    name: str
    size: int
}
var items: List<Entry> = []
fn setup() {}
fn healthy() -> bool = items.len() == 2
fn greet() -> str = \"v2 {items[0].name}{items[0].size} {items[1].name}{items[1].size}\"
";
    let script = "update lib\nmigrate Entry(o: old.Item) { self.size = o.name.len() * 10 }\n";
    let dir = tree(
        "guarded",
        &[
            ("main.newt", GUARDED_MAIN),
            ("lib.newt", GUARDED_V1),
            ("broken/lib.newt", &broken),
            ("renamed/lib.newt", renamed),
            ("renamed/update.newt", script),
        ],
    );
    let (out, err, code) = run(&dir);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    // The program's own validation (the new `healthy`, run in staging) stops the broken version.
    assert_eq!(lines[0], "aborted [validation \"two items\" failed] v0");
    assert_eq!(lines[1], "v1 2");
    // A script renames Item to Entry; the validation passes; the list now holds Entries.
    assert_eq!(lines[2], "committed [] v1");
    assert_eq!(lines[3], "v2 a10 b10");
    assert_eq!(lines[4], "items 2");
    let _ = std::fs::remove_dir_all(&dir);
}

const HOLD_MAIN: &str = "
import std.dsu
import std.time
import lib

fn transfer(ms: int) {
    dsu.hold(fn() {
        print(\"hold begins\")
        time.sleep(ms)
        print(\"hold ends\")
    })
}

fn main() {
    lib.setup()
    let t = spawn transfer(40)
    time.sleep(5)
    let r = dsu.apply([\"v2\"], nil)
    print(\"{r.outcome()} [{r.reason()}] {lib.greet()}\")
    t.join()
    // Long enough that compiling v3 aside (slower on a loaded machine) ends inside the block.
    let u = spawn transfer(1000)
    time.sleep(5)
    let r2 = dsu.apply_within([\"v3\"], nil, 10)
    print(\"{r2.outcome()} [{r2.reason()}]\")
    u.join()
    dsu.hold(fn() {
        let r3 = dsu.apply([\"v3\"], nil)
        print(\"{r3.outcome()} [{r3.reason()}]\")
    })
}
";

#[test]
fn hold_keeps_updates_from_committing_until_the_block_ends() {
    let lib_v3 = LIB_V2.replace("\"v2 ", "\"v3 ");
    let dir = tree(
        "hold",
        &[("main.newt", HOLD_MAIN), ("lib.newt", LIB_V1), ("v2/lib.newt", LIB_V2), ("v3/lib.newt", &lib_v3)],
    );
    let (out, err, code) = run(&dir);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    // The update waits for the block: it commits only after "hold ends".
    assert_eq!(lines[..3], ["hold begins", "hold ends", "committed [] v2 a7 b7"], "{out}");
    // A hold longer than the timeout aborts the update, naming the fiber and the block.
    assert_eq!(lines[3], "hold begins", "{out}");
    assert!(lines[4].starts_with("aborted [no safe point within 10 ms: held back by <fiber "), "{out}");
    assert!(lines[4].contains("in a dsu.hold block, now in "), "{out}");
    assert_eq!(lines[5], "hold ends", "{out}");
    // The requesting fiber cannot wait for its own hold.
    assert!(
        lines[6].starts_with("rejected [the requesting fiber would itself be affected: <fiber 1> in a dsu.hold block"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

const PASSIVE_MAIN: &str = "
import std.dsu
import std.time
import lib

fn worker() {
    dsu.set_passive(true)
    let mixed = 0
    let rounds = 0
    while dsu.version() == 0 && rounds < 5000 {
        let v0 = dsu.version()
        let x = 0
        for i in 0..60000 {
            x += i % 7
        }
        if dsu.version() != v0 {
            mixed += 1
        }
        rounds += 1
        dsu.update_point()
    }
    print(\"mixed rounds {mixed}, version {dsu.version()}\")
}

fn main() {
    lib.setup()
    let w = spawn worker()
    time.sleep(1)
    let r = dsu.apply([\"v2\"], nil)
    print(\"{r.outcome()} [{r.reason()}]\")
    w.join()
}
";

#[test]
fn a_passive_fiber_lets_updates_commit_only_at_its_update_points() {
    let dir = tree("passive", &[("main.newt", PASSIVE_MAIN), ("lib.newt", LIB_V1), ("v2/lib.newt", LIB_V2)]);
    let (out, err, code) = run(&dir);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("committed []"), "{out}");
    // Each round runs (and is preempted several times) in one version: the update committed at
    // an update point between two rounds, never inside one.
    assert!(out.contains("mixed rounds 0, version 1"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
