//! Live-update scenarios through the Rust API (`Vm::update`): a v1 program runs until its main
//! fiber is parked, an update is applied, and the test checks the report, the output of the new
//! code and the state after it. Every failure path also checks that a digest of all reachable
//! state (globals and everything reachable from them, class layouts, version) is unchanged.

use newt_compiler::bytecode::Image;
use newt_compiler::loader::MemLoader;
use newt_vm::{Io, Outcome, SharedBuf, Status, UpdateReport, UpdateRequest, Value, Vm, VmOptions};
use std::time::Duration;

/// The v1 main loop every scenario shares: set up, then sleep forever in short naps (so the
/// main fiber is parked in an unaffected frame).
const MAIN: &str = "
fn main() {
    setup()
    while true {
        time.sleep(2)
    }
}
";

fn compile(modules: &[(&str, &str)]) -> Image {
    let loader = MemLoader {
        modules: modules
            .iter()
            .map(|(n, t)| (n.to_string(), format!("{}.newt", n.replace('.', "/")), t.to_string()))
            .collect(),
        stdlib: Some(newt_stdlib::source),
    };
    let program = match newt_compiler::check::check_program(&loader, "app") {
        Ok(p) => p,
        Err((d, s)) => panic!("{}", newt_compiler::diag::render_all(&d, &s)),
    };
    match newt_compiler::codegen::generate(&program) {
        Ok(i) => i,
        Err(d) => panic!("{}", newt_compiler::diag::render_all(&d, &program.sources)),
    }
}

/// The program text of `app`: `import std.time`, the scenario's declarations, and `MAIN`.
fn app_src(decls: &str) -> String {
    format!("import std.time\n{decls}\n{MAIN}")
}

struct App {
    vm: Vm,
    out: SharedBuf,
}

impl App {
    fn new(decls: &str) -> App {
        App::with_modules(decls, &[])
    }

    fn with_modules(decls: &str, extra: &[(&str, &str)]) -> App {
        let src = app_src(decls);
        let mut modules = vec![("app", src.as_str())];
        modules.extend_from_slice(extra);
        let out = SharedBuf::new();
        let io = Io::new(Box::new(out.clone()), Box::new(SharedBuf::new()), Box::new(std::io::Cursor::new(Vec::new())));
        let vm = Vm::with_options(compile(&modules), vec![], VmOptions { io });
        let mut app = App { vm, out };
        app.settle();
        app
    }

    /// Runs until the main fiber is parked (setup done, sleeping in `main`).
    fn settle(&mut self) {
        let main = self.vm.main_fiber().expect("main fiber");
        for _ in 0..10_000 {
            self.vm.step();
            if matches!(self.vm.fiber(main).map(|f| f.status), Some(Status::Parked(_))) {
                return;
            }
        }
        panic!("main never parked; output: {}", self.out.text());
    }

    fn global(&self, name: &str) -> Value {
        let t = self.vm.tables();
        let slot = t.global_info.iter().rposition(|g| g.slot.name == format!("app.{name}")).expect(name);
        t.globals[slot]
    }

    /// Calls `app.name()` and shows its result.
    fn call(&mut self, name: &str) -> String {
        let f = self.global(name);
        match self.vm.invoke(f, &[]) {
            Ok(v) => self.vm.display(v),
            Err(e) => format!("error: {}", e.error.msg),
        }
    }

    fn update(&mut self, decls: &str) -> UpdateReport {
        self.update_req(UpdateRequest::module("app", &app_src(decls)))
    }

    fn update_req(&mut self, req: UpdateRequest) -> UpdateReport {
        self.vm.update(req)
    }

    /// Every global's name and shown value, the class layouts and the version.
    fn digest(&self) -> String {
        let t = self.vm.tables();
        let mut d = format!("version {}\n", self.vm.dsu_version());
        for (i, g) in t.global_info.iter().enumerate() {
            d.push_str(&format!("{} = {}\n", g.slot.name, self.vm.display(t.globals[i])));
        }
        for c in &t.classes {
            let fields: Vec<String> = c.fields.iter().map(|f| format!("{}: {}", f.name, f.ty)).collect();
            d.push_str(&format!("class {} {{ {} }} vtable {:?}\n", c.name, fields.join(", "), c.vtable));
        }
        d
    }
}

fn committed(r: &UpdateReport) {
    assert_eq!(r.outcome, Outcome::Committed, "{r}\n{}", r.diagnostics);
}

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
