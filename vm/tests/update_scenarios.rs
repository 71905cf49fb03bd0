//! Live-update scenarios through the Rust API (`Vm::update`): a v1 program runs until its main
//! fiber is parked, an update is applied, and the test checks the report, the output of the new
//! code and the state after it. Every failure path also checks that a digest of all reachable
//! state (globals and everything reachable from them, class layouts, version) is unchanged.

mod update_support;

use newt_vm::{Outcome, UpdateRequest};
use std::time::Duration;
use update_support::{app_src, committed, App};

const POINTS_V1: &str = "
class Point {
    x: int
    y: int
    fn show(self) -> str = \"({self.x}, {self.y})\"
}
var points: List<Point> = []
fn setup() {
    for i in 0..3 {
        points.push(Point { x: i, y: i * 10 })
    }
}
fn describe() -> str {
    let parts: List<str> = []
    for p in points {
        parts.push(p.show())
    }
    return parts.join(\" \")
}
";

#[test]
fn changed_function_body_runs_after_commit() {
    let mut app = App::new("fn setup() {}\nfn tick() -> str = \"v1\"");
    assert_eq!(app.call("tick"), "v1");
    let r = app.update("fn setup() {}\nfn tick() -> str = \"v2\"");
    committed(&r);
    assert_eq!(r.changes.functions.changed, vec!["app.tick".to_string()]);
    assert_eq!(app.call("tick"), "v2");
    assert_eq!(app.vm.dsu_version(), 1);
    assert_eq!(r.version, 1);
}

#[test]
fn added_function_called_by_changed_one() {
    let mut app = App::new("fn setup() {}\nfn tick() -> str = \"v1\"");
    let r = app.update("fn setup() {}\nfn helper() -> str = \"helped\"\nfn tick() -> str = \"v2 \" + helper()");
    committed(&r);
    assert_eq!(r.changes.functions.added, vec!["app.helper".to_string()]);
    assert_eq!(app.call("tick"), "v2 helped");
}

#[test]
fn removed_function_is_reported() {
    let mut app = App::new("fn setup() {}\nfn old_one() -> int = 1\nfn tick() -> str = \"v1\"");
    let r = app.update("fn setup() {}\nfn tick() -> str = \"v1\"");
    committed(&r);
    assert_eq!(r.changes.functions.removed, vec!["app.old_one".to_string()]);
    assert_eq!(app.call("tick"), "v1");
}

#[test]
fn unchanged_update_commits_with_empty_change_set() {
    let mut app = App::new(POINTS_V1);
    let before = app.digest();
    let r = app.update(POINTS_V1);
    committed(&r);
    assert!(r.changes.is_empty(), "{r}");
    assert_eq!(r.counts.instances_migrated, 0);
    assert_eq!(app.digest().replace("version 1", "version 0"), before);
}

#[test]
fn new_field_with_default_migrates_live_instances() {
    let mut app = App::new(POINTS_V1);
    assert_eq!(app.call("describe"), "(0, 0) (1, 10) (2, 20)");
    let v2 = POINTS_V1
        .replace("    y: int\n", "    y: int\n    label: str = \"p\"\n")
        .replace("\"({self.x}, {self.y})\"", "\"{self.label}({self.x}, {self.y})\"");
    let r = app.update(&v2);
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 3);
    assert_eq!(r.changes.classes.changed, vec!["app.Point".to_string()]);
    assert_eq!(app.call("describe"), "p(0, 0) p(1, 10) p(2, 20)");
    assert_eq!(app.vm.dsu_instances("Point"), Some(3));
}

#[test]
fn removed_and_reordered_fields_keep_values_by_name() {
    let src = "
class P {
    a: int
    b: str
    c: float
    fn show(self) -> str = \"{self.a} {self.b} {self.c}\"
}
var p = P { a: 1, b: \"two\", c: 3.5 }
fn setup() {}
fn describe() -> str = p.show()
";
    let mut app = App::new(src);
    assert_eq!(app.call("describe"), "1 two 3.5");
    let v2 = "
class P {
    c: float
    a: int
    fn show(self) -> str = \"{self.a} {self.c}\"
}
var p = P { a: 1, c: 3.5 }
fn setup() {}
fn describe() -> str = p.show()
";
    let r = app.update(v2);
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 1);
    assert_eq!(app.call("describe"), "1 3.5");
}

#[test]
fn identity_is_kept_by_migration() {
    let src = "
class Box1 { v: int }
var a = Box1 { v: 7 }
var list: List<Box1> = []
fn setup() { list.push(a) }
fn same() -> bool = list[0] == a
fn describe() -> str = \"{list[0].v}\"
";
    let mut app = App::new(src);
    let v2 = src
        .replace("class Box1 { v: int }", "class Box1 {\n    w: int = 5\n    v: int\n}")
        .replace("fn describe() -> str = \"{list[0].v}\"", "fn describe() -> str = \"{list[0].v} {a.w}\"");
    let r = app.update(&v2);
    committed(&r);
    assert_eq!(app.call("same"), "true");
    assert_eq!(app.call("describe"), "7 5");
}

#[test]
fn subclass_instances_migrate_when_the_superclass_gains_a_field() {
    let src = "
class Base { id: int }
class Derived extends Base { extra: str = \"x\" }
var items: List<Base> = []
fn setup() {
    items.push(Base { id: 1 })
    items.push(Derived { id: 2 })
}
fn describe() -> str = \"{items.len()}\"
";
    let mut app = App::new(src);
    let v2 = src.replace("class Base { id: int }", "class Base {\n    id: int\n    tag: str = \"t\"\n}").replace(
        "fn describe() -> str = \"{items.len()}\"",
        "fn describe() -> str = \"{items[0].tag}{items[0].id} {items[1].tag}{items[1].id}\"",
    );
    let r = app.update(&v2);
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 2);
    assert_eq!(app.call("describe"), "t1 t2");
    assert_eq!(app.vm.dsu_instances("Base"), Some(2));
    assert_eq!(app.vm.dsu_instances("Derived"), Some(1));
}

#[test]
fn method_change_without_layout_change_migrates_nothing() {
    let mut app = App::new(POINTS_V1);
    let r = app.update(&POINTS_V1.replace("\"({self.x}, {self.y})\"", "\"<{self.x}|{self.y}>\""));
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 0);
    assert_eq!(r.changes.functions.changed, vec!["app.Point.show".to_string()]);
    assert_eq!(app.call("describe"), "<0|0> <1|10> <2|20>");
}

#[test]
fn new_field_without_default_is_rejected_and_nothing_changes() {
    let mut app = App::new(POINTS_V1);
    let before = app.digest();
    let v2 = POINTS_V1.replace("    y: int\n", "    y: int\n    z: int\n").replace("y: i * 10 }", "y: i * 10, z: 0 }");
    let r = app.update(&v2);
    assert_eq!(r.outcome, Outcome::Rejected);
    assert!(r.reason.contains("new field 'z' of class app.Point"), "{}", r.reason);
    assert!(r.reason.contains("migrate Point(o: old.Point)"), "{}", r.reason);
    assert_eq!(app.digest(), before);
    assert_eq!(app.vm.dsu_version(), 0);
    assert_eq!(app.call("describe"), "(0, 0) (1, 10) (2, 20)");
}

#[test]
fn field_type_change_is_rejected() {
    let mut app = App::new(POINTS_V1);
    let before = app.digest();
    let r = app.update(&POINTS_V1.replace("    y: int\n", "    y: float\n").replace("i * 10", "1.0"));
    assert_eq!(r.outcome, Outcome::Rejected);
    assert!(r.reason.contains("field 'y' of class app.Point changed type from int to float"), "{}", r.reason);
    assert_eq!(app.digest(), before);
}

#[test]
fn removing_a_class_with_live_instances_is_rejected() {
    let src = "
class Gone { v: int }
var keep: List<any> = []
fn setup() { keep.push(Gone { v: 1 }) }
";
    let mut app = App::new(src);
    let before = app.digest();
    let r = app.update("var keep: List<any> = []\nfn setup() {}");
    assert_eq!(r.outcome, Outcome::Rejected);
    assert!(r.reason.contains("class app.Gone is removed but has 1 live instance"), "{}", r.reason);
    assert_eq!(app.digest(), before);
}

#[test]
fn removing_a_class_without_instances_commits() {
    let mut app = App::new("class Gone { v: int }\nfn setup() {}\nfn tick() -> int = 1");
    let r = app.update("fn setup() {}\nfn tick() -> int = 2");
    committed(&r);
    assert_eq!(r.changes.classes.removed, vec!["app.Gone".to_string()]);
    assert_eq!(app.call("tick"), "2");
}

#[test]
fn compile_errors_are_rejected_with_rendered_diagnostics() {
    let mut app = App::new(POINTS_V1);
    let before = app.digest();
    let r = app.update(&POINTS_V1.replace("p.show()", "p.shw()"));
    assert_eq!(r.outcome, Outcome::Rejected);
    assert!(r.reason.contains("does not compile"), "{}", r.reason);
    assert!(r.diagnostics.contains("app.newt:"), "{}", r.diagnostics);
    assert!(r.diagnostics.contains("error"), "{}", r.diagnostics);
    assert_eq!(app.digest(), before);
    assert_eq!(app.vm.dsu_history().len(), 1);
    assert_eq!(app.vm.dsu_history()[0].outcome, Outcome::Rejected);
}

#[test]
fn signature_change_with_stale_caller_in_other_module_is_rejected() {
    let util = "fn twice(x: int) -> int = x * 2\n";
    let mut app = App::with_modules("import util\nfn setup() {}\nfn tick() -> int = util.twice(4)", &[("util", util)]);
    assert_eq!(app.call("tick"), "8");
    let before = app.digest();
    let r = app.update_req(UpdateRequest::module("util", "fn twice(x: int, y: int) -> int = x * y\n"));
    assert_eq!(r.outcome, Outcome::Rejected);
    assert!(r.diagnostics.contains("app.newt"), "the stale caller is named: {}", r.diagnostics);
    assert_eq!(app.digest(), before);
}

#[test]
fn signature_change_with_updated_caller_commits() {
    let util = "fn twice(x: int) -> int = x * 2\n";
    let mut app = App::with_modules("import util\nfn setup() {}\nfn tick() -> int = util.twice(4)", &[("util", util)]);
    let req = UpdateRequest::module("util", "fn twice(x: int, y: int) -> int = x * y\n")
        .with("app", &app_src("import util\nfn setup() {}\nfn tick() -> int = util.twice(4, 5)"));
    let r = app.update_req(req);
    committed(&r);
    assert_eq!(app.call("tick"), "20");
}

#[test]
fn added_module_is_loaded() {
    let mut app = App::new("fn setup() {}\nfn tick() -> str = \"v1\"");
    let req = UpdateRequest::module("extra", "fn hello() -> str = \"hi from extra\"\n")
        .with("app", &app_src("import extra\nfn setup() {}\nfn tick() -> str = extra.hello()"));
    let r = app.update_req(req);
    committed(&r);
    assert!(r.changes.functions.added.contains(&"extra.hello".to_string()), "{r}");
    assert_eq!(app.call("tick"), "hi from extra");
}

#[test]
fn globals_keep_values_new_ones_are_initialised_changed_consts_reevaluated() {
    let src = "
var counter = 0
const LIMIT: int = 10
fn setup() { counter = 41 }
fn describe() -> str = \"{counter} {LIMIT}\"
";
    let mut app = App::new(src);
    assert_eq!(app.call("describe"), "41 10");
    let v2 = "
var counter = 100
const LIMIT: int = 20
var fresh: List<int> = [1, 2, 3]
fn setup() { counter = 41 }
fn describe() -> str = \"{counter} {LIMIT} {fresh.len()}\"
";
    let r = app.update(v2);
    committed(&r);
    assert_eq!(r.changes.globals.added, vec!["app.fresh".to_string()]);
    assert!(r.changes.globals.changed.contains(&"app.LIMIT".to_string()), "{r}");
    assert!(r.changes.globals.changed.contains(&"app.counter".to_string()), "{r}");
    assert_eq!(app.call("describe"), "41 20 3");
}

#[test]
fn global_type_change_is_rejected() {
    let mut app = App::new("var counter = 0\nfn setup() {}");
    let before = app.digest();
    let r = app.update("var counter = \"zero\"\nfn setup() {}");
    assert_eq!(r.outcome, Outcome::Rejected);
    assert!(r.reason.contains("global 'app.counter' changed type from int to str"), "{}", r.reason);
    assert!(r.reason.contains("migrate var counter"), "{}", r.reason);
    assert_eq!(app.digest(), before);
}

#[test]
fn runtime_error_in_a_new_default_aborts_and_restores_everything() {
    let mut app = App::new(POINTS_V1);
    let before = app.digest();
    let v2 = POINTS_V1.replace("    y: int\n", "    y: int\n    bad: int = [1, 2][7]\n");
    let r = app.update(&v2);
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert!(r.reason.contains("runtime error while staging"), "{}", r.reason);
    assert_eq!(app.digest(), before);
    assert_eq!(app.call("describe"), "(0, 0) (1, 10) (2, 20)");
    assert_eq!(app.vm.dsu_version(), 0);
    // The program still works and a correct update still applies.
    let r = app.update(&POINTS_V1.replace("    y: int\n", "    y: int\n    ok: int = 1\n"));
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 3);
}

#[test]
fn runtime_error_in_a_new_global_aborts_and_restores_everything() {
    let mut app = App::new("fn setup() {}\nfn tick() -> str = \"v1\"");
    let before = app.digest();
    let r = app.update("var boom: int = [1][3]\nfn setup() {}\nfn tick() -> str = \"v2 {boom}\"");
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert_eq!(app.digest(), before);
    assert_eq!(app.call("tick"), "v1");
}

#[test]
fn waits_for_an_affected_frame_to_return() {
    let src = "
var done = false
fn work() {
    for i in 0..5 {
        time.sleep(3)
    }
    done = true
}
fn setup() { spawn work() }
";
    let mut app = App::new(src);
    let r = app.update(&src.replace("time.sleep(3)", "time.sleep(4)"));
    committed(&r);
    assert!(r.timings.wait_us > 0, "{r}");
    assert_eq!(app.vm.display(app.global("done")), "true", "the old work() finished first");
}

#[test]
fn timeout_names_the_fiber_and_frame_that_held_the_update() {
    let src = "
fn busy() {
    while true {
        time.sleep(2)
    }
}
fn setup() {
    let f = spawn busy()
    f.set_name(\"worker\")
}
fn tick() -> str = \"v1\"
";
    let mut app = App::new(src);
    let v2 = src.replace("time.sleep(2)", "time.sleep(3)").replace("\"v1\"", "\"v2\"");
    let r = app.update_req(UpdateRequest::module("app", &app_src(&v2)).timeout(Duration::from_millis(60)));
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert!(r.reason.contains("no safe point within 60 ms"), "{}", r.reason);
    assert!(r.reason.contains("(worker) in app.busy (line"), "{}", r.reason);
    assert_eq!(app.call("tick"), "v1");
    assert_eq!(app.vm.dsu_version(), 0);
}

#[test]
fn live_closure_is_relinked_to_the_new_lambda() {
    let src = "
var f: fn(int) -> int = fn(x: int) -> int = x
fn make() -> fn(int) -> int {
    let k = 10
    return fn(x: int) -> int = x + k
}
fn setup() { f = make() }
fn describe() -> str = \"{f(1)}\"
";
    let mut app = App::new(src);
    assert_eq!(app.call("describe"), "11");
    let r = app.update(&src.replace("x + k", "x * k"));
    committed(&r);
    assert_eq!(app.call("describe"), "10");
}

#[test]
fn successive_updates_grow_version_and_history() {
    let mut app = App::new("fn setup() {}\nfn tick() -> int = 1");
    committed(&app.update("fn setup() {}\nfn tick() -> int = 2"));
    let bad = app.update("fn setup() {}\nfn tick() -> int = \"x\"");
    assert_eq!(bad.outcome, Outcome::Rejected);
    committed(&app.update("fn setup() {}\nfn tick() -> int = 3"));
    assert_eq!(app.call("tick"), "3");
    assert_eq!(app.vm.dsu_version(), 2);
    let h: Vec<(u64, Outcome, u64)> = app.vm.dsu_history().iter().map(|r| (r.id, r.outcome, r.version)).collect();
    assert_eq!(h, vec![(1, Outcome::Committed, 1), (2, Outcome::Rejected, 1), (3, Outcome::Committed, 2)]);
}

#[test]
fn dry_run_changes_nothing_and_is_not_recorded() {
    let mut app = App::new("fn setup() {}\nfn tick() -> int = 1");
    let before = app.digest();
    let mut req = UpdateRequest::module("app", &app_src("fn setup() {}\nfn tick() -> int = 2"));
    req.dry_run = true;
    let r = app.update_req(req);
    assert_eq!(r.outcome, Outcome::Committed);
    assert_eq!(r.changes.functions.changed, vec!["app.tick".to_string()]);
    assert_eq!(app.digest(), before);
    assert_eq!(app.call("tick"), "1");
    assert!(app.vm.dsu_history().is_empty());
}

#[test]
fn removed_then_readded_function_gets_the_new_code() {
    let mut app = App::new("fn setup() {}\nfn a() -> int = 1\nfn tick() -> int = a()");
    committed(&app.update("fn setup() {}\nfn tick() -> int = 0"));
    committed(&app.update("fn setup() {}\nfn a() -> int = 5\nfn tick() -> int = a()"));
    assert_eq!(app.call("tick"), "5");
}

#[test]
fn mutable_defaults_are_fresh_per_instance() {
    let mut app = App::new(POINTS_V1);
    let v2 = POINTS_V1.replace("    y: int\n", "    y: int\n    tags: List<str> = []\n")
        + "fn tag_first() -> str {\n    points[0].tags.push(\"t\")\n    return \"{points[0].tags.len()} {points[1].tags.len()}\"\n}\n";
    committed(&app.update(&v2));
    assert_eq!(app.call("tag_first"), "1 0");
}

#[test]
fn added_class_is_usable_and_removed_global_is_reported() {
    let mut app = App::new("var old_counter = 3\nfn setup() {}\nfn tick() -> str = \"v1\"");
    let r = app.update("class Fresh { n: int = 4 }\nfn setup() {}\nfn tick() -> str = \"{Fresh {}.n}\"");
    committed(&r);
    assert_eq!(r.changes.classes.added, vec!["app.Fresh".to_string()]);
    assert_eq!(r.changes.globals.removed, vec!["app.old_counter".to_string()]);
    assert_eq!(app.call("tick"), "4");
}

#[test]
fn closure_whose_captures_changed_keeps_its_old_code() {
    let src = "
var f: fn(int) -> int = fn(x: int) -> int = x
fn make() -> fn(int) -> int {
    let k = 10
    return fn(x: int) -> int = x + k
}
fn setup() { f = make() }
fn describe() -> str = \"{f(1)}\"
fn fresh() -> str = \"{make()(1)}\"
";
    let mut app = App::new(src);
    let v2 = src.replace("    let k = 10\n", "    let k = 10\n    let j = 2\n").replace("x + k", "x + k * j");
    committed(&app.update(&v2));
    assert_eq!(app.call("describe"), "11", "the live closure still runs its old code");
    assert_eq!(app.call("fresh"), "21", "new closures run the new code");
}

#[test]
fn superclass_change_migrates_instances() {
    let src = "
class A { a: int }
class B extends A { b: int }
var x: any = B { a: 1, b: 2 }
fn setup() {}
fn describe() -> str = \"{x is A}\"
";
    let mut app = App::new(src);
    assert_eq!(app.call("describe"), "true");
    let v2 = src
        .replace("class B extends A { b: int }", "class B {\n    a: int\n    b: int\n}")
        .replace("\"{x is A}\"", "\"{x is A} {(x as B).a} {(x as B).b}\"");
    let r = app.update(&v2);
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 1);
    assert_eq!(app.call("describe"), "false 1 2");
}

#[test]
fn a_changed_main_loop_never_reaches_a_safe_point() {
    let mut app = App::new("fn setup() {}");
    let before_tick = app.digest();
    let v2 = app_src("fn setup() {}").replace("time.sleep(2)", "time.sleep(3)");
    let r = app.update_req(UpdateRequest::module("app", &v2).timeout(Duration::from_millis(30)));
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert!(r.reason.contains("<fiber 1> in app.main (line"), "{}", r.reason);
    assert_eq!(app.digest(), before_tick);
    assert_eq!(r.changes.functions.changed, vec!["app.main".to_string()]);
}

#[test]
fn std_module_can_be_replaced() {
    let mut app = App::with_modules("import std.math\nfn setup() {}\nfn tick() -> str = \"{math.abs(-2.0)}\"", &[]);
    assert_eq!(app.call("tick"), "2.0");
    let math = newt_stdlib::source("std.math").expect("std.math").to_string() + "\nfn answer() -> int = 42\n";
    let req = UpdateRequest::module("std.math", &math)
        .with("app", &app_src("import std.math\nfn setup() {}\nfn tick() -> str = \"{math.answer()}\""));
    let r = app.update_req(req);
    committed(&r);
    assert!(r.changes.functions.added.contains(&"std.math.answer".to_string()), "{r}");
    assert_eq!(app.call("tick"), "42");
}

#[test]
fn stale_closure_touching_a_changed_layout_is_rejected() {
    let src = "
class C { a: int }
var obj = C { a: 5 }
var f: fn() -> int = fn() -> int = 0
fn make() -> fn() -> int {
    let k = 1
    return fn() -> int = obj.a + k
}
fn setup() { f = make() }
fn describe() -> str = \"{f()}\"
";
    let mut app = App::new(src);
    let before = app.digest();
    let v2 = src
        .replace("class C { a: int }", "class C {\n    z: int = 0\n    a: int\n}")
        .replace("    let k = 1\n", "    let k = 1\n    let j = 1\n")
        .replace("obj.a + k", "obj.a + k + j");
    let r = app.update(&v2);
    assert_eq!(r.outcome, Outcome::Rejected, "{r}");
    assert!(r.reason.contains("a live closure created at app.newt:"), "{}", r.reason);
    assert!(r.reason.contains("app.make.<lambda 0>"), "{}", r.reason);
    assert_eq!(app.digest(), before);
    assert_eq!(app.call("describe"), "6");
}
