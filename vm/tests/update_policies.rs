//! Reusable migration policies (updates.md, "Reusable policies"): std.dsu's `Object` views and
//! `Policy` classes. Two ways in: `Vm::test_apply_policy` on two live objects (both views read
//! current layouts), and updates whose script says `migrate C = policy()` (the policy applied in
//! staging, after the bulk swap, old objects read with the running layouts, replacements swapped
//! in). Every failing update checks that the digest of all reachable state is unchanged.

mod update_support;

use newt_vm::{Handle, Outcome, UpdateRequest, Value};
use update_support::{app_src, committed, App};

/// Calls `app.name()` and returns its value (unrooted: use it before anything runs).
fn value(app: &mut App, name: &str) -> Value {
    let f = app.global(name);
    match app.vm.invoke(f, &[]) {
        Ok(v) => v,
        Err(e) => panic!("{name}(): {}", e.error.msg),
    }
}

fn handle(v: Value) -> Handle {
    match v {
        Value::Obj(h) => h,
        other => panic!("not an object: {other:?}"),
    }
}

/// Applies the policy `app.policy_fn()` to the objects in globals `old` and `new`.
fn apply(app: &mut App, policy_fn: &str, old: &str, new: &str) -> Result<Option<Handle>, String> {
    let policy = value(app, policy_fn);
    let (old, new) = (handle(app.global(old)), handle(app.global(new)));
    app.vm.test_apply_policy(policy, old, new, "app")
}

/// The error of a policy that must fail.
fn error(r: Result<Option<Handle>, String>) -> String {
    match r {
        Err(e) => e,
        Ok(r) => panic!("the policy succeeded ({r:?})"),
    }
}

// ---- policies on live objects (no update) ----

const LIVE: &str = "
import std.dsu
class Order {
    id: int
    qty: int
    ids: List<int> = [1, 2]
}
class Order2 {
    id: int
    quantity: int
    tags: List<str> = []
    note: str? = nil
    by_name: Map<str, int> = {}
}
class Msg {
    text: str
    user: str?
}
class UserMsg extends Msg {}
var a: Order = Order { id: 1, qty: 5 }
var b: Order2 = Order2 { id: 1, quantity: 0 }
var m: Msg = Msg { text: \"hi\", user: \"ann\" }
var kept: List<dsu.Object> = []
fn setup() {}

fn rename() -> dsu.Policy = dsu.rename_field(\"qty\", \"quantity\")
fn rename_missing() -> dsu.Policy = dsu.rename_field(\"amount\", \"quantity\")
fn rename_wrong_target() -> dsu.Policy = dsu.rename_field(\"qty\", \"count\")
fn b_quantity() -> int = b.quantity

// A user-written policy: several fields, computed values, reading old values as `any`.
class Triple extends dsu.Policy {
    fn migrate(self, old: dsu.Object, new: dsu.Object) {
        new.set(\"quantity\", (old.get(\"qty\") as int) * 3)
        new.set(\"note\", \"from {old.class_name()} to {new.class_name()}\")
        new.set(\"tags\", [\"x\", \"y\"])
        new.set(\"by_name\", {\"k\": 1})
    }
}
fn triple() -> dsu.Policy = Triple {}
fn b_state() -> str = \"{b.quantity} {b.note} {b.tags} {b.by_name}\"

class GetMissing extends dsu.Policy {
    fn migrate(self, old: dsu.Object, new: dsu.Object) { new.set(\"id\", old.get(\"nope\")) }
}
fn get_missing() -> dsu.Policy = GetMissing {}
class SetMissing extends dsu.Policy {
    fn migrate(self, old: dsu.Object, new: dsu.Object) { new.set(\"nope\", 1) }
}
fn set_missing() -> dsu.Policy = SetMissing {}
class SetWrongType extends dsu.Policy {
    fn migrate(self, old: dsu.Object, new: dsu.Object) { new.set(\"quantity\", \"five\") }
}
fn set_wrong_type() -> dsu.Policy = SetWrongType {}
class SetNil extends dsu.Policy {
    fn migrate(self, old: dsu.Object, new: dsu.Object) { new.set(\"quantity\", nil) }
}
fn set_nil() -> dsu.Policy = SetNil {}
class SetWrongElements extends dsu.Policy {
    fn migrate(self, old: dsu.Object, new: dsu.Object) { new.set(\"tags\", old.get(\"ids\")) }
}
fn set_wrong_elements() -> dsu.Policy = SetWrongElements {}
class SetWrongMapValue extends dsu.Policy {
    fn migrate(self, old: dsu.Object, new: dsu.Object) {
        let bad: Map<str, any> = {\"a\": 1, \"b\": \"two\"}
        new.set(\"by_name\", bad)
    }
}
fn set_wrong_map_value() -> dsu.Policy = SetWrongMapValue {}
class SetOld extends dsu.Policy {
    fn migrate(self, old: dsu.Object, new: dsu.Object) { old.set(\"qty\", 1) }
}
fn set_old() -> dsu.Policy = SetOld {}
class Keep extends dsu.Policy {
    fn migrate(self, old: dsu.Object, new: dsu.Object) { kept.push(new) }
}
fn keep() -> dsu.Policy = Keep {}
fn use_kept() -> str = kept[0].class_name()
fn not_a_policy() -> int = 3

fn split() -> dsu.Policy = dsu.split_by(fn(o: dsu.Object) -> bool = o.get(\"user\") != nil, \"UserMsg\", \"Msg\")
fn split_unrelated() -> dsu.Policy = dsu.split_by(fn(o: dsu.Object) -> bool = true, \"Order\", \"Msg\")
fn split_unknown() -> dsu.Policy = dsu.split_by(fn(o: dsu.Object) -> bool = true, \"Nope\", \"Msg\")

fn live() -> str {
    let v = dsu.reflect(a)
    v.set(\"qty\", 7)
    let qty = v.get(\"qty\") as int
    let fields = v.fields()
    let w = dsu.reflect(UserMsg { text: \"t\", user: nil })
    return \"{v.class_name()} {v.short_name()} {fields} {qty} {a.qty} {v.field_type(\"ids\")} {w.classes()} {w.declared_in(\"user\")} {v.has(\"qty\")} {v.has(\"quantity\")}\"
}
fn live_policy() -> str {
    dsu.rename_field(\"qty\", \"quantity\").migrate(dsu.reflect(a), dsu.reflect(b))
    return \"{b.quantity}\"
}
fn reflect_int() -> str = dsu.reflect(3).class_name()
fn live_become() -> str {
    dsu.reflect(m).become_class(\"UserMsg\")
    return \"no error\"
}
class Hooks {
    f: fn(int) -> int
    g: (fn(int) -> int)?
    owner: Msg?
    pairs: Map<str, List<int>> = {}
}
var hooks: Hooks = Hooks { f: fn(x: int) -> int = x, g: nil, owner: nil }
fn set_hook(name: str, v: any) -> str {
    dsu.reflect(hooks).set(name, v)
    return \"ok\"
}
fn set_hooks() -> str {
    let one = fn(x: int) -> int = x + 1
    let good: Map<str, List<int>> = {\"a\": [1]}
    let parts = [set_hook(\"f\", one), set_hook(\"g\", one), set_hook(\"g\", nil), set_hook(\"owner\", UserMsg { text: \"t\", user: nil })]
    parts.push(set_hook(\"pairs\", good))
    parts.push(set_hook(\"f\", nil))
    return parts.join(\" \")
}
fn set_two() -> str = set_hook(\"f\", fn(x: int, y: int) -> int = x + y)
fn set_wrong_class() -> str = set_hook(\"owner\", a)
fn set_wrong_nested() -> str {
    let bad: Map<str, List<any>> = {\"a\": [1, \"x\"]}
    return set_hook(\"pairs\", bad)
}
fn live_wrong_type() -> str {
    dsu.reflect(b).set(\"note\", 3)
    return \"no error\"
}
";

#[test]
fn rename_field_on_live_objects() {
    let mut app = App::new(LIVE);
    assert_eq!(apply(&mut app, "rename", "a", "b"), Ok(None));
    assert_eq!(app.call("b_quantity"), "5");
}

#[test]
fn rename_field_names_what_is_missing() {
    let mut app = App::new(LIVE);
    let e = error(apply(&mut app, "rename_missing", "a", "b"));
    assert!(e.starts_with("runtime error in policy RenameField migrating an app.Order2: "), "{e}");
    assert!(e.contains("rename_field(\"amount\", \"quantity\"): the old app.Order has no field 'amount'"), "{e}");
    let e = error(apply(&mut app, "rename_wrong_target", "a", "b"));
    assert!(e.contains("rename_field(\"qty\", \"count\"): the new app.Order2 has no field 'count'"), "{e}");
    assert_eq!(app.call("b_quantity"), "0");
}

#[test]
fn a_user_written_policy_sets_several_fields() {
    let mut app = App::new(LIVE);
    assert_eq!(apply(&mut app, "triple", "a", "b"), Ok(None));
    assert_eq!(app.call("b_state"), "15 from app.Order to app.Order2 [\"x\", \"y\"] {\"k\": 1}");
}

#[test]
fn get_and_set_of_a_wrong_name_are_errors_naming_class_and_fields() {
    let mut app = App::new(LIVE);
    let e = error(apply(&mut app, "get_missing", "a", "b"));
    assert!(e.contains("the old app.Order has no field 'nope' (its fields: id, qty, ids)"), "{e}");
    assert!(e.contains("(in std.dsu.Object.get line"), "{e}");
    let e = error(apply(&mut app, "set_missing", "a", "b"));
    assert!(
        e.contains("the new app.Order2 has no field 'nope' (its fields: id, quantity, tags, note, by_name)"),
        "{e}"
    );
}

#[test]
fn set_of_a_wrong_type_is_an_error_naming_field_class_and_types() {
    let mut app = App::new(LIVE);
    let e = error(apply(&mut app, "set_wrong_type", "a", "b"));
    assert!(e.contains("cannot set field 'quantity' of the new app.Order2 to a str: the field is declared int"), "{e}");
    let e = error(apply(&mut app, "set_nil", "a", "b"));
    assert!(e.contains("cannot set field 'quantity' of the new app.Order2 to nil: the field is declared int"), "{e}");
    let e = error(apply(&mut app, "set_wrong_elements", "a", "b"));
    assert!(
        e.contains("cannot set field 'tags' of the new app.Order2 to a List whose element 0 is an int: the field is declared List<str>"),
        "{e}"
    );
    let e = error(apply(&mut app, "set_wrong_map_value", "a", "b"));
    assert!(e.contains("to a Map whose value at key b is a str: the field is declared Map<str, int>"), "{e}");
    // Nothing was written.
    assert_eq!(app.call("b_state"), "0 nil [] {}");
}

#[test]
fn the_old_object_is_read_only() {
    let mut app = App::new(LIVE);
    let e = error(apply(&mut app, "set_old", "a", "b"));
    assert!(e.contains("cannot set field 'qty' of the old app.Order: the old object is read-only"), "{e}");
}

#[test]
fn a_kept_view_is_no_longer_valid() {
    let mut app = App::new(LIVE);
    assert_eq!(apply(&mut app, "keep", "a", "b"), Ok(None));
    let e = app.call("use_kept");
    assert_eq!(e, "error: this dsu.Object is no longer valid: a migration's views can be used only while it runs");
    // Nor does it come back to life as the next migration's view.
    assert_eq!(apply(&mut app, "rename", "a", "b"), Ok(None));
    assert!(app.call("use_kept").contains("no longer valid"));
}

#[test]
fn a_value_that_is_no_policy_is_refused() {
    let mut app = App::new(LIVE);
    let e = error(apply(&mut app, "not_a_policy", "a", "b"));
    assert_eq!(e, "the policy is an int, not a dsu.Policy");
}

#[test]
fn split_by_replaces_the_object_with_one_of_a_subclass() {
    let mut app = App::new(LIVE);
    let r = apply(&mut app, "split", "m", "m").expect("split_by");
    let r = r.expect("a replacement");
    let shown = app.vm.display(Value::Obj(r));
    assert!(shown.starts_with("UserMsg"), "{shown}");
    // The replacement took its fields from the object (same names and types).
    let Some(newt_vm::Obj::Instance(i)) = app.vm.heap().entry(r) else { panic!("not an instance") };
    assert_eq!(app.vm.display(i.fields[0]), "hi");
    assert_eq!(app.vm.display(i.fields[1]), "ann");
    let e = error(apply(&mut app, "split_unrelated", "m", "m"));
    assert!(
        e.contains("become_class(\"Order\"): app.Order is neither app.Msg nor a subclass of it, so the references to this app.Msg could not hold it"),
        "{e}"
    );
    let e = error(apply(&mut app, "split_unknown", "m", "m"));
    assert!(e.contains("become_class(\"Nope\"): module app has no class Nope"), "{e}");
}

#[test]
fn set_checks_functions_classes_and_nested_elements() {
    let mut app = App::new(LIVE);
    assert!(app
        .call("set_hooks")
        .contains("cannot set field 'f' of app.Hooks to nil: the field is declared fn(int) -> int"));
    assert_eq!(
        app.call("set_two"),
        "error: cannot set field 'f' of app.Hooks to a function of 2 parameters: the field is declared fn(int) -> int"
    );
    assert_eq!(
        app.call("set_wrong_class"),
        "error: cannot set field 'owner' of app.Hooks to an Order: the field is declared app.Msg?"
    );
    assert_eq!(
        app.call("set_wrong_nested"),
        "error: cannot set field 'pairs' of app.Hooks to a Map whose value at key a is a List whose element 1 is a str: the field is declared Map<str, List<int>>"
    );
}

#[test]
fn reflect_makes_views_of_live_objects() {
    let mut app = App::new(LIVE);
    assert_eq!(
        app.call("live"),
        "app.Order Order [\"id\", \"qty\", \"ids\"] 7 7 List<int> [\"app.UserMsg\", \"app.Msg\"] app.Msg true false"
    );
    assert_eq!(app.call("live_policy"), "7");
    assert_eq!(app.call("reflect_int"), "error: dsu.reflect: an int is not an object; only class instances have views");
    assert!(app.call("live_become").contains("only the new object of a migration can change class"));
    assert!(app
        .call("live_wrong_type")
        .contains("cannot set field 'note' of app.Order2 to an int: the field is declared str?"));
}

// ---- policies applied by an update ----

/// Runs an update of `app` to `v2` that applies `app.policy()` to every migrated instance of
/// each class in `classes`.
fn update_with_policy(app: &mut App, v2: &str, classes: &[&str]) -> newt_vm::UpdateReport {
    let mut script = String::from("update app\n");
    for c in classes {
        script.push_str(&format!("migrate {c} = policy()\n"));
    }
    app.update_req(UpdateRequest::module("app", &app_src(v2)).script(&script))
}

const ORDERS_V1: &str = "
import std.dsu
class Order {
    id: int
    qty: int
}
var orders: List<Order> = []
var first: Order? = nil
fn setup() {
    for i in 0..10 {
        orders.push(Order { id: i, qty: i * 2 })
    }
    first = orders[3]
}
";

const ORDERS_V2: &str = "
import std.dsu
class Order {
    quantity: int = 0
    id: int
}
var orders: List<Order> = []
var first: Order? = nil
fn setup() {}
fn policy() -> dsu.Policy = dsu.rename_field(\"qty\", \"quantity\")
fn total() -> int {
    let t = 0
    for o in orders {
        t += o.quantity
    }
    return t
}
fn same() -> bool {
    if let f = first {
        return f == orders[3] && f.quantity == 6
    }
    return false
}
";

#[test]
fn rename_field_in_an_update() {
    let mut app = App::new(ORDERS_V1);
    let r = update_with_policy(&mut app, ORDERS_V2, &["Order"]);
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 10);
    assert_eq!(app.call("total"), "90");
    assert_eq!(app.call("same"), "true");
}

#[test]
fn a_failing_policy_aborts_the_update_and_leaves_state_identical() {
    let mut app = App::new(ORDERS_V1);
    let before = app.digest();
    let bad = "class Bad extends dsu.Policy {\n    fn migrate(self, old: dsu.Object, new: dsu.Object) { new.set(\"quantity\", \"x\") }\n}\nfn policy() -> dsu.Policy = Bad {}";
    let v2 = ORDERS_V2.replace("fn policy() -> dsu.Policy = dsu.rename_field(\"qty\", \"quantity\")", bad);
    let r = update_with_policy(&mut app, &v2, &["Order"]);
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert!(
        r.reason.contains("runtime error in policy Bad migrating an app.Order: cannot set field 'quantity' of the new app.Order to a str: the field is declared int"),
        "{}",
        r.reason
    );
    assert_eq!(app.digest(), before);
    // The policy is consumed: the same update without it commits.
    let r = app.update_req(UpdateRequest::module("app", &app_src(&v2)));
    committed(&r);
}

const ANIMALS_V1: &str = "
import std.dsu
class Animal {
    name: str
}
class Dog extends Animal {
    owner: str
    legs: int
}
var zoo: List<Animal> = []
fn setup() {
    zoo.push(Animal { name: \"cat\" })
    zoo.push(Dog { name: \"rex\", owner: \"ann\", legs: 3 })
}
";

const ANIMALS_V2: &str = "
import std.dsu
class Animal {
    name: str
    legs: int = 4
}
class Dog extends Animal {
    owner: str
}
var zoo: List<Animal> = []
fn setup() {}
fn policy() -> dsu.Policy = dsu.pull_up(\"legs\")
fn describe() -> str {
    let parts: List<str> = []
    for a in zoo {
        parts.push(\"{a.name}:{a.legs}\")
    }
    return parts.join(\" \")
}
";

#[test]
fn pull_up_keeps_the_values_of_the_subclass() {
    let mut app = App::new(ANIMALS_V1);
    let r = update_with_policy(&mut app, ANIMALS_V2, &["Animal", "Dog"]);
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 2);
    assert_eq!(app.call("describe"), "cat:4 rex:3");
}

#[test]
fn pull_up_and_push_down_check_the_direction() {
    let mut app = App::new(ANIMALS_V1);
    let before = app.digest();
    let v2 = ANIMALS_V2.replace("dsu.pull_up(", "dsu.push_down(");
    let r = update_with_policy(&mut app, &v2, &["Dog"]);
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert!(
        r.reason.contains("push_down(\"legs\"): field 'legs' of app.Dog moved up (to app.Animal), not down"),
        "{}",
        r.reason
    );
    assert_eq!(app.digest(), before);
}

const PUSH_V1: &str = "
import std.dsu
class Animal {
    name: str
    legs: int
}
class Dog extends Animal {
    owner: str
}
var zoo: List<Animal> = []
fn setup() {
    zoo.push(Animal { name: \"fish\", legs: 0 })
    zoo.push(Dog { name: \"rex\", legs: 3, owner: \"ann\" })
}
";

const PUSH_V2: &str = "
import std.dsu
class Animal {
    name: str
}
class Dog extends Animal {
    owner: str
    legs: int
}
var zoo: List<Animal> = []
fn setup() {}
fn policy() -> dsu.Policy = dsu.push_down(\"legs\")
fn describe() -> str {
    let parts: List<str> = []
    for a in zoo {
        if a is Dog {
            let d = a as Dog
            parts.push(\"{d.name}:{d.legs}:{d.owner}\")
        } else {
            parts.push(a.name)
        }
    }
    return parts.join(\" \")
}
";

#[test]
fn push_down_keeps_the_values_of_the_subclass_and_drops_the_field_elsewhere() {
    let mut app = App::new(PUSH_V1);
    let r = update_with_policy(&mut app, PUSH_V2, &["Animal", "Dog"]);
    committed(&r);
    assert_eq!(app.call("describe"), "fish rex:3:ann");
    // And pull_up refuses the same move.
    let mut app = App::new(PUSH_V1);
    let r = update_with_policy(&mut app, &PUSH_V2.replace("dsu.push_down(", "dsu.pull_up("), &["Dog"]);
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert!(
        r.reason.contains("pull_up(\"legs\"): field 'legs' of app.Dog moved down (to app.Dog), not up"),
        "{}",
        r.reason
    );
}

const MSG_V1: &str = "
import std.dsu
class Message {
    text: str
    user: str?
}
var log: List<Message> = []
var pinned: Message? = nil
fn setup() {
    log.push(Message { text: \"joined\", user: nil })
    log.push(Message { text: \"hello\", user: \"ann\" })
    log.push(Message { text: \"bye\", user: \"bob\" })
    pinned = log[1]
}
";

const MSG_V2: &str = "
import std.dsu
class Message {
    text: str
    fn show(self) -> str = \"* {self.text}\"
}
class InfoMessage extends Message {}
class UserMessage extends Message {
    user: str
    fn show(self) -> str = \"<{self.user}> {self.text}\"
}
var log: List<Message> = []
var pinned: Message? = nil
fn setup() {}
fn policy() -> dsu.Policy = dsu.split_by(fn(o: dsu.Object) -> bool = o.get(\"user\") != nil, \"UserMessage\", \"InfoMessage\")
fn describe() -> str {
    let parts: List<str> = []
    for m in log {
        parts.push(m.show())
    }
    return parts.join(\" | \")
}
fn same() -> bool {
    if let p = pinned {
        return p == log[1] && p is UserMessage
    }
    return false
}
fn kinds() -> str = \"{log[0] is InfoMessage} {log[1] is UserMessage} {log[2] is UserMessage}\"
";

#[test]
fn split_by_in_an_update_keeps_identity() {
    let mut app = App::new(MSG_V1);
    let r = update_with_policy(&mut app, MSG_V2, &["Message"]);
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 3);
    assert_eq!(app.call("describe"), "* joined | <ann> hello | <bob> bye");
    assert_eq!(app.call("kinds"), "true true true");
    assert_eq!(app.call("same"), "true");
}

#[test]
fn split_by_into_a_class_with_an_unfilled_field_aborts_naming_it() {
    let mut app = App::new(MSG_V1);
    let before = app.digest();
    let v2 = MSG_V2.replace("    user: str\n", "    user: str\n    score: int\n");
    let r = update_with_policy(&mut app, &v2, &["Message"]);
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert_eq!(
        r.reason,
        "policy SplitBy left field 'score' of a migrated app.UserMessage without a value; set it in the policy or give it a default"
    );
    assert_eq!(app.digest(), before);
}

/// A user-written policy shipped with the update: the old value is read through the old
/// layout (after the bulk swap the old object's class id names the new class).
const PRICE_V2: &str = "
import std.dsu
class Order {
    id: int
    cents: int = 0
}
var orders: List<Order> = []
var first: Order? = nil
fn setup() {}
class ToCents extends dsu.Policy {
    fn migrate(self, old: dsu.Object, new: dsu.Object) {
        assert(old.fields().len() == 2 && new.fields().len() == 2, \"layouts\")
        assert(old.field_type(\"qty\") == \"int\" && !new.has(\"qty\"), \"old layout\")
        new.set(\"cents\", (old.get(\"qty\") as int) * 100 + (new.get(\"id\") as int))
    }
}
fn policy() -> dsu.Policy = ToCents {}
fn describe() -> str = \"{orders[1].cents} {orders[9].cents}\"
";

#[test]
fn a_user_written_policy_in_an_update_reads_the_old_layout() {
    let mut app = App::new(ORDERS_V1);
    let r = update_with_policy(&mut app, PRICE_V2, &["Order"]);
    committed(&r);
    assert_eq!(app.call("describe"), "201 1809");
}

#[test]
#[ignore]
fn hundred_thousand_objects_through_a_policy() {
    let n = 100_000;
    let v1 = ORDERS_V1.replace("0..10", &format!("0..{n}"));
    let mut app = App::new(&v1);
    let t = std::time::Instant::now();
    let r = update_with_policy(&mut app, ORDERS_V2, &["Order"]);
    let took = t.elapsed();
    committed(&r);
    assert_eq!(r.counts.instances_migrated, n);
    let expected: i64 = (0..n as i64).map(|i| i * 2).sum();
    assert_eq!(app.call("total"), expected.to_string());
    println!("{n} objects through rename_field: pause {} us, update {} us", r.timings.pause_us, took.as_micros());
    let policy_pause = r.timings.pause_us;
    // The same migration written as a `migrate` block.
    let mut app = App::new(&v1);
    let t = std::time::Instant::now();
    let block = "update app\nmigrate Order(o: old.Order) {\n    self.quantity = o.qty\n}\n";
    let r = app.update_req(UpdateRequest::module("app", &app_src(ORDERS_V2)).script(block));
    committed(&r);
    assert_eq!(app.call("total"), expected.to_string());
    println!(
        "{n} objects through a migrate block: pause {} us, update {} us; policy/block pause ratio {:.2}",
        r.timings.pause_us,
        t.elapsed().as_micros(),
        policy_pause as f64 / r.timings.pause_us.max(1) as f64
    );
    // The same update by the default policy alone (the field just keeps its name), for scale.
    let mut app = App::new(&v1);
    let t = std::time::Instant::now();
    let r = app.update_req(UpdateRequest::module("app", &app_src(&ORDERS_V2.replace("quantity", "qty"))));
    committed(&r);
    println!(
        "{n} objects by the default policy: pause {} us, update {} us",
        r.timings.pause_us,
        t.elapsed().as_micros()
    );
    // split_by: a predicate call and a replacement (allocated, filled, swapped in) per object.
    let fill =
        format!("    for i in 0..{n} {{\n        log.push(Message {{ text: \"m\", user: odd_nil(i) }})\n    }}\n");
    let v1 = MSG_V1.replace("    pinned = log[1]\n", &format!("{fill}    pinned = log[1]\n"));
    let v1 = format!(
        "{v1}\nfn odd_nil(i: int) -> str? {{\n    if i % 2 == 0 {{\n        return \"u\"\n    }}\n    return nil\n}}\n"
    );
    let mut app = App::new(&v1);
    let t = std::time::Instant::now();
    let r = update_with_policy(&mut app, MSG_V2, &["Message"]);
    committed(&r);
    assert_eq!(r.counts.instances_migrated, n + 3);
    assert_eq!(app.call("kinds"), "true true true");
    assert_eq!(app.call("same"), "true");
    println!(
        "{} objects through split_by: pause {} us, update {} us",
        n + 3,
        r.timings.pause_us,
        t.elapsed().as_micros()
    );
}

#[test]
fn split_by_cannot_name_a_class_the_update_removes() {
    let v1 = MSG_V1.replace("var log:", "class Special extends Message {}\nvar log:");
    let mut app = App::new(&v1);
    let before = app.digest();
    let v2 = MSG_V2.replace("\"UserMessage\", \"InfoMessage\")", "\"Special\", \"InfoMessage\")");
    let r = update_with_policy(&mut app, &v2, &["Message"]);
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert!(r.reason.contains("become_class(\"Special\"): module app has no class Special"), "{}", r.reason);
    assert_eq!(app.digest(), before);
}
