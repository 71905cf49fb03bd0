//! Migration seen through every kind of reference (stack locals of parked fibers, closure cells,
//! map values, nested objects), and malformed updates that must be rejected without a panic and
//! without changing anything.

mod update_support;

use newt_vm::{Outcome, UpdateRequest};
use update_support::{app_src, committed, App};

const V1: &str = "
class Node {
    v: int
    next: Node?
}
var by_name: Map<str, Node> = {}
var last = \"\"
var cell_reader: fn() -> str = fn() -> str = \"\"
fn holder(n: Node) {
    time.sleep(20)
    last = show(n)
}
fn show(n: Node) -> str = \"{n.v}\"
fn setup() {
    let a = Node { v: 1, next: nil }
    let b = Node { v: 2, next: a }
    by_name[\"b\"] = b
    let captured = b
    cell_reader = fn() -> str = show(captured)
    spawn holder(a)
}
fn chain() -> str {
    let x = by_name[\"b\"]
    if let y = x.next {
        return \"{show(x)} {show(y)}\"
    }
    return \"?\"
}
fn via_cell() -> str = cell_reader()
";

fn v2() -> String {
    V1.replace("    v: int\n", "    extra: str = \"e\"\n    v: int\n").replace("\"{n.v}\"", "\"{n.v}{n.extra}\"")
}

#[test]
fn every_kind_of_reference_sees_the_migrated_object() {
    let mut app = App::new(V1);
    assert_eq!(app.call("chain"), "2 1");
    assert_eq!(app.call("via_cell"), "2");
    let r = app.update(&v2());
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 2);
    // Map value and the `next` field of a migrated object.
    assert_eq!(app.call("chain"), "2e 1e");
    // A closure's captured cell.
    assert_eq!(app.call("via_cell"), "2e");
    // The parked fiber's local (holder is unchanged, show changed: it is called after the update).
    for _ in 0..2000 {
        app.vm.step();
        if app.vm.display(app.global("last")) == "1e" {
            return;
        }
    }
    panic!("the parked fiber never saw the migrated object: last = {}", app.vm.display(app.global("last")));
}

#[test]
fn malformed_updates_are_rejected_and_change_nothing() {
    let mut app = App::new(V1);
    let before = app.digest();
    let nested = format!("fn setup() {{}}\nfn f() -> int = {}1{}", "(".repeat(2000), ")".repeat(2000));
    let inputs: Vec<String> = vec![
        String::new(),
        "\u{0}\u{1}\u{2}garbage ))) {{".into(),
        "class {".into(),
        "fn setup() -> int = \"no\"".into(),
        nested,
        app_src(V1).replace("import std.time", "import does.not.exist"),
    ];
    for text in &inputs {
        let r = app.update_req(UpdateRequest::module("app", text));
        assert_eq!(r.outcome, Outcome::Rejected, "{text:.60}: {r}");
        assert!(!r.diagnostics.is_empty(), "{text:.60}: diagnostics expected");
        assert_eq!(app.digest(), before);
    }
    let r = app.update_req(UpdateRequest { modules: vec![], ..UpdateRequest::module("app", "") });
    assert_eq!(r.outcome, Outcome::Rejected);
    assert_eq!(r.reason, "the update names no module");
    assert_eq!(app.digest(), before);
    assert_eq!(app.call("chain"), "2 1");
}

#[test]
fn a_changed_const_that_fails_aborts_the_update() {
    let src = "const LIMIT: int = 3\nfn setup() {}\nfn tick() -> int = LIMIT";
    let mut app = App::new(src);
    let before = app.digest();
    let r = app.update("const LIMIT: int = [1][2]\nfn setup() {}\nfn tick() -> int = LIMIT");
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert!(r.reason.contains("runtime error while staging"), "{}", r.reason);
    assert_eq!(app.digest(), before);
    assert_eq!(app.call("tick"), "3");
}

#[test]
fn a_fiber_always_inside_an_affected_function_is_held_at_its_next_entry() {
    // `spin` is never seen outside `work` at a scheduler turn (it parks inside it), so only the
    // entry gate lets this update commit: the fiber is held when it next enters `work`, the
    // update commits, and it enters the new version (with one more local than the old one).
    let src = "
var seen = 0
fn work() -> int {
    time.sleep(1)
    return 1
}
fn spin() {
    while true {
        seen = work()
    }
}
fn setup() { spawn spin() }
";
    let mut app = App::new(src);
    let v2 = src.replace("    time.sleep(1)\n    return 1", "    let k = 5\n    time.sleep(1)\n    return k - 3");
    let r = app.update_req(UpdateRequest::module("app", &app_src(&v2)).timeout(std::time::Duration::from_secs(3)));
    committed(&r);
    for _ in 0..5000 {
        app.vm.step();
        if app.vm.display(app.global("seen")) == "2" {
            return;
        }
    }
    panic!("the held fiber never ran the new version");
}
