//! Live updates with update scripts (updates.md, "Update scripts" and "Validations"): `migrate`
//! blocks, `migrate var`, `validate` and `validate each`, through `Vm::update` with
//! `UpdateRequest::script`. Every failure path checks that the digest of all reachable state is
//! unchanged.

mod update_support;

use newt_vm::{Outcome, UpdateRequest};
use update_support::{app_src, committed, App};

/// The request replacing `app` with `decls` (plus the shared main loop) and running `script`.
fn req(decls: &str, script: &str) -> UpdateRequest {
    UpdateRequest::module("app", &app_src(decls)).script(script)
}

const VEC_V1: &str = "
import std.math
class Vector3D {
    x: float
    y: float
    z: float
    fn length(self) -> float = math.sqrt(self.x * self.x + self.y * self.y + self.z * self.z)
}
var vs: List<Vector3D> = []
fn setup() {
    vs.push(Vector3D { x: 1.0, y: 2.0, z: 2.0 })
    vs.push(Vector3D { x: 0.0, y: 3.0, z: 4.0 })
    vs.push(Vector3D { x: -1.5, y: 0.5, z: 7.0 })
}
fn describe() -> str {
    let parts: List<str> = []
    for v in vs {
        parts.push(\"{(v.length() * 1000.0).round() / 1000.0}\")
    }
    return parts.join(\" \")
}
";

const VEC_V2: &str = "
import std.math
class Vector3D {
    r: float
    theta: float
    phi: float
    fn length(self) -> float = self.r
}
var vs: List<Vector3D> = []
fn setup() {}
fn describe() -> str {
    let parts: List<str> = []
    for v in vs {
        parts.push(\"{(v.length() * 1000.0).round() / 1000.0}\")
    }
    return parts.join(\" \")
}
fn first_theta() -> float = vs[0].theta
";

const VEC_SCRIPT: &str = "
// Cartesian to spherical coordinates.
update app

import std.math

fn norm(x: float, y: float, z: float) -> float = math.sqrt(x * x + y * y + z * z)

migrate Vector3D(o: old.Vector3D) {
    self.r = norm(o.x, o.y, o.z)
    self.theta = math.acos(o.z / self.r)
    self.phi = math.atan2(o.y, o.x)
}

validate each Vector3D(o: old.Vector3D) {
    return math.abs(self.length() - norm(o.x, o.y, o.z)) < 1e-9
}

validate \"none lost\" { return vs.len() == old.vs.len() }
";

#[test]
fn cartesian_to_spherical_with_validate_each() {
    let mut app = App::new(VEC_V1);
    let before = app.call("describe");
    assert_eq!(before, "3.0 5.0 7.176");
    let r = app.update_req(req(VEC_V2, VEC_SCRIPT));
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 3);
    assert_eq!(app.call("describe"), before);
    assert_eq!(app.call("first_theta"), format!("{}", (2.0f64 / 3.0).acos()));
    assert!(r.changes.functions.added.iter().all(|n| !n.starts_with("update_script.")), "{r}");
    // The script's own code is gone after it: a later update commits and does not report it.
    let r2 = app.update(VEC_V2);
    committed(&r2);
    let removed = r2.changes.functions.removed.iter().chain(&r2.changes.classes.removed);
    assert!(removed.clone().all(|n| !n.starts_with("update_script.")), "{r2}");
    assert_eq!(app.call("describe"), before);
}

#[test]
fn failing_validate_each_aborts_and_leaves_state_identical() {
    let mut app = App::new(VEC_V1);
    let before = app.digest();
    // A migration that forgets the length: the per-instance validation catches it.
    let script = VEC_SCRIPT.replace("self.r = norm(o.x, o.y, o.z)", "self.r = o.x");
    let script = script.replace("math.acos(o.z / self.r)", "0.0");
    let r = app.update_req(req(VEC_V2, &script));
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert_eq!(r.reason, "validation \"each Vector3D\" failed");
    assert_eq!(app.digest(), before);
    assert_eq!(app.call("describe"), "3.0 5.0 7.176");
}

#[test]
fn failing_named_validation_aborts_and_leaves_state_identical() {
    let mut app = App::new(VEC_V1);
    let before = app.digest();
    let script = VEC_SCRIPT.replace("vs.len() == old.vs.len()", "vs.len() == old.vs.len() + 1");
    let r = app.update_req(req(VEC_V2, &script));
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert_eq!(r.reason, "validation \"none lost\" failed");
    assert_eq!(app.digest(), before);
    assert_eq!(app.vm.dsu_version(), 0);
}

#[test]
fn runtime_error_in_migration_aborts() {
    let mut app = App::new(VEC_V1);
    let before = app.digest();
    let script = VEC_SCRIPT.replace("self.phi = math.atan2(o.y, o.x)", "self.phi = [1.0][5]");
    let r = app.update_req(req(VEC_V2, &script));
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert!(r.reason.starts_with("runtime error in the update script"), "{}", r.reason);
    assert_eq!(app.digest(), before);
    assert_eq!(app.call("describe"), "3.0 5.0 7.176");
}

#[test]
fn runtime_error_in_validation_names_it() {
    let mut app = App::new(VEC_V1);
    let before = app.digest();
    let script = VEC_SCRIPT.replace("return vs.len() == old.vs.len()", "return vs[10].r > 0.0");
    let r = app.update_req(req(VEC_V2, &script));
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert!(r.reason.starts_with("validation \"none lost\" failed: runtime error"), "{}", r.reason);
    assert_eq!(app.digest(), before);
}

#[test]
fn new_field_without_default_needs_the_migration_to_assign_it() {
    let mut app = App::new(VEC_V1);
    let before = app.digest();
    // Without a script: rejected, naming the field.
    let r = app.update_req(UpdateRequest::module("app", &app_src(VEC_V2)));
    assert_eq!(r.outcome, Outcome::Rejected);
    assert!(r.reason.contains("field 'r'"), "{}\n{}", r.reason, r.diagnostics);
    // With a migration that misses `phi`: rejected, naming it.
    let script = VEC_SCRIPT.replace("    self.phi = math.atan2(o.y, o.x)\n", "");
    let r = app.update_req(req(VEC_V2, &script));
    assert_eq!(r.outcome, Outcome::Rejected);
    assert!(r.reason.contains("does not assign field 'phi'"), "{}", r.reason);
    assert!(!r.reason.contains("'theta'"), "{}", r.reason);
    assert_eq!(app.digest().replace("version 0", ""), before.replace("version 0", ""));
}

const ORDERS_V1: &str = "
class Order {
    item: str
    qty: int
    price: str
}
var orders: List<Order> = []
fn setup() {
    orders.push(Order { item: \"tea\", qty: 2, price: \"1.5\" })
    orders.push(Order { item: \"jam\", qty: 1, price: \"3.25\" })
}
";

#[test]
fn field_type_change_and_field_rename_via_migration() {
    let mut app = App::new(ORDERS_V1);
    let v2 = "
class Order {
    item: str
    quantity: int
    price: float
}
var orders: List<Order> = []
fn setup() {}
fn total() -> float {
    let t = 0.0
    for o in orders {
        t = t + o.price * float(o.quantity)
    }
    return t
}
fn describe() -> str = \"{orders[0].item} x{orders[0].quantity}, {orders[1].item} x{orders[1].quantity}\"
";
    let script = "
update app
migrate Order(o: old.Order) {
    self.quantity = o.qty
    self.price = o.price.to_float() ?? 0.0
}
";
    let r = app.update_req(req(v2, script));
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 2);
    assert_eq!(app.call("total"), "6.25");
    assert_eq!(app.call("describe"), "tea x2, jam x1");
}

#[test]
fn migration_returning_a_subclass_instance_passes_identity() {
    let v1 = "
class Message { text: str }
var inbox: List<Message> = []
var first: Message? = nil
fn setup() {
    inbox.push(Message { text: \"hi\" })
    inbox.push(Message { text: \"!ping\" })
    first = inbox[0]
}
";
    let mut app = App::new(v1);
    let v2 = "
class Message {
    text: str
    fn show(self) -> str = self.text
}
class Command extends Message {
    name: str
    fn show(self) -> str = \"command \" + self.name
}
var inbox: List<Message> = []
var first: Message? = nil
fn setup() {}
fn describe() -> str {
    let parts: List<str> = []
    for m in inbox {
        parts.push(m.show())
    }
    return parts.join(\", \")
}
fn same() -> bool = first == inbox[0]
fn is_command() -> bool = inbox[1] is Command
";
    let script = "
update app
migrate Message(o: old.Message) {
    if o.text.starts_with(\"!\") {
        return Command { text: o.text, name: o.text.slice(1, o.text.len()) }
    }
}
";
    let r = app.update_req(req(v2, script));
    committed(&r);
    assert_eq!(app.call("describe"), "hi, command ping");
    assert_eq!(app.call("same"), "true");
    assert_eq!(app.call("is_command"), "true");
}

#[test]
fn migrate_var_changes_a_global_type() {
    let v1 = "
var prices: Map<str, str> = {}
fn setup() {
    prices[\"tea\"] = \"1.5\"
    prices[\"jam\"] = \"3.25\"
}
";
    let mut app = App::new(v1);
    let v2 = "
var prices: Map<str, float> = {}
fn setup() {}
fn sum() -> float {
    let t = 0.0
    for k in prices.keys() {
        t = t + prices[k]
    }
    return t
}
";
    // Without a script the type change is rejected.
    let r = app.update(v2);
    assert_eq!(r.outcome, Outcome::Rejected);
    assert!(r.reason.contains("migrate var prices"), "{}\n{}", r.reason, r.diagnostics);
    let script = "
update app
fn to_float_map(m: Map<str, str>) -> Map<str, float> {
    let out: Map<str, float> = {}
    for k in m.keys() {
        out[k] = m[k].to_float() ?? 0.0
    }
    return out
}
migrate var prices: Map<str, float> = to_float_map(old.prices)
validate \"same keys\" { return prices.len() == old.prices.len() }
";
    let r = app.update_req(req(v2, script));
    committed(&r);
    assert_eq!(app.call("sum"), "4.75");
}

#[test]
fn script_type_errors_are_rejected_with_diagnostics() {
    let mut app = App::new(VEC_V1);
    let before = app.digest();
    let script = VEC_SCRIPT.replace("self.phi = math.atan2(o.y, o.x)", "self.phi = \"north\"");
    let r = app.update_req(req(VEC_V2, &script));
    assert_eq!(r.outcome, Outcome::Rejected, "{r}");
    assert!(r.reason.contains("update script"), "{}", r.reason);
    assert!(r.diagnostics.contains("expected float, found str"), "{}", r.diagnostics);
    assert_eq!(app.digest(), before);

    // Syntax errors, a missing `update` line and an unknown old class are rejected too.
    for (bad, says) in [
        ("update app\nmigrate Vector3D(o: old.Vector3D) { self.r = }", "expected expression"),
        ("migrate Vector3D(o: old.Vector3D) { }", "expected 'update MODULE'"),
        ("update app\nmigrate Vector3D(o: old.Nope) { }", "module app has no class Nope"),
        ("update nope\n", "unknown module 'nope'"),
    ] {
        let r = app.update_req(req(VEC_V2, bad));
        assert_eq!(r.outcome, Outcome::Rejected, "{bad}: {r}");
        assert!(r.diagnostics.contains(says), "{bad}: {}", r.diagnostics);
    }
    assert_eq!(app.digest(), before);
}

/// A fresh directory holding `files` (relative path, text).
fn tree(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("newt-scripts-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (rel, text) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
    }
    dir
}

#[test]
fn dsu_apply_runs_a_script_file() {
    let main = "
import std.dsu
import lib
fn show(r: dsu.UpdateReport) {
    print(\"{r.outcome()} [{r.reason()}] v{dsu.version()}\")
}
fn main() {
    lib.setup()
    print(lib.greet())
    show(dsu.apply([\"v2\"], \"bad.newt\"))
    show(dsu.apply([\"v2\"], \"scripts/migrate.newt\"))
    print(lib.greet())
    show(dsu.apply([\"v3\"], nil))
    print(lib.greet())
}
";
    let lib_v1 = "
class Item { name: str }
var items: List<Item> = []
fn setup() {
    items.push(Item { name: \"ab\" })
    items.push(Item { name: \"xyz\" })
}
fn greet() -> str = \"v1 {items.len()}\"
";
    let lib_v2 = "
class Item {
    name: str
    price: int
}
var items: List<Item> = []
fn setup() {}
fn greet() -> str = \"v2 {items[0].name}{items[0].price} {items[1].name}{items[1].price}\"
";
    let lib_v3 = lib_v2.replace("v2 {", "v3 {");
    let script = "update lib\nmigrate Item(o: old.Item) { self.price = o.name.len() * 10 }\n";
    let bad = "update lib\nvalidate \"never\" { return false }\n";
    let dir = tree(
        "apply",
        &[
            ("main.newt", main),
            ("lib.newt", lib_v1),
            ("v2/lib.newt", lib_v2),
            ("v3/lib.newt", &lib_v3),
            ("scripts/migrate.newt", script),
            ("bad.newt", bad),
        ],
    );
    let program = match newt_compiler::check::check_file(&dir.join("main.newt"), newt_stdlib::source) {
        Ok(p) => p,
        Err((d, s)) => panic!("{}", newt_compiler::diag::render_all(&d, &s)),
    };
    let image = newt_compiler::codegen::generate(&program).expect("codegen");
    let (out, err) = (newt_vm::SharedBuf::new(), newt_vm::SharedBuf::new());
    let io = newt_vm::Io::new(Box::new(out.clone()), Box::new(err.clone()), Box::new(std::io::Cursor::new(Vec::new())));
    let mut vm = newt_vm::Vm::with_options(image, vec![], newt_vm::VmOptions { io });
    let outcome = vm.run();
    assert_eq!(outcome.exit_code, 0, "{}", err.text());
    let text = out.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    assert_eq!(lines[0], "v1 2");
    // `bad.newt` has no migration for the new field: rejected in analysis, naming it.
    assert!(lines[1].starts_with("rejected [") && lines[1].contains("field 'price'"), "{}", lines[1]);
    assert_eq!(lines[2], "committed [] v1");
    assert_eq!(lines[3], "v2 ab20 xyz30");
    // A later update without a script still commits (the script's own code is gone from the
    // sources and leaves nothing behind that blocks it).
    assert_eq!(lines[4], "committed [] v2");
    assert_eq!(lines[5], "v3 ab20 xyz30");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn migration_runs_even_when_the_layout_is_unchanged() {
    let v1 = "
class Counter { n: int }
var cs: List<Counter> = []
var scale = 10
fn setup() {
    cs.push(Counter { n: 1 })
    cs.push(Counter { n: 2 })
}
fn describe() -> str = \"{cs[0].n} {cs[1].n}\"
";
    let mut app = App::new(v1);
    let script = "update app\nmigrate Counter(o: old.Counter) { self.n = o.n * old.scale }\n";
    let r = app.update_req(req(v1, script));
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 2);
    assert!(r.changes.classes.changed.is_empty(), "{r}");
    assert_eq!(app.call("describe"), "10 20");
}
