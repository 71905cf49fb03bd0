//! Lazy migration (updates.md, "Lazy migration"; vm/src/update/lazy.rs): `migrate lazy` leaves
//! the old instances pending at commit and migrates each on its first access — through a list, a
//! map, a field, a method call, `is`, `str()` — with `dsu.instances` counting pending ones under
//! the new class, renames with subclasses, later updates while some are pending, migrations that
//! fail at first access, and every failure path compared by the digest of all reachable state.

mod update_support;

use newt_compiler::types::ClassId;
use newt_vm::{Outcome, UpdateRequest, Vm};
use update_support::{app_src, committed, App};

fn req(decls: &str, script: &str) -> UpdateRequest {
    UpdateRequest::module("app", &app_src(decls)).script(script)
}

fn class(vm: &Vm, name: &str) -> ClassId {
    let q = format!("app.{name}");
    vm.tables().classes.iter().rev().find(|c| c.name == q).map(|c| c.id).unwrap_or_else(|| panic!("no class {q}"))
}

fn pending(app: &App, name: &str) -> usize {
    app.vm.lazy_pending_count(class(&app.vm, name))
}

const SITES_V1: &str = "
class Site {
    name: str
    visits: int
    fn label(self) -> str = self.name
}
class Holder { site: Site }
var list: List<Site> = []
var map: Map<str, Site> = {}
var holder: Holder? = nil
var solo: Site? = nil
fn setup() {
    for i in 0..5 {
        list.push(Site { name: \"l{i}\", visits: i })
    }
    map[\"m\"] = Site { name: \"m\", visits: 10 }
    holder = Holder { site: Site { name: \"h\", visits: 20 } }
    solo = Site { name: \"s\", visits: 30 }
}
fn count() -> int = dsu.instances(\"Site\")
";

const SITES_V2: &str = "
import std.dsu
class Site {
    name: str
    visits: int
    mark: float
    fn label(self) -> str = self.name
    fn describe(self) -> str = \"{self.name}:{self.mark}\"
}
class Holder { site: Site }
var list: List<Site> = []
var map: Map<str, Site> = {}
var holder: Holder? = nil
var solo: Site? = nil
fn setup() {}
fn count() -> int = dsu.instances(\"Site\")
fn via_list() -> float = list[2].mark
fn via_map() -> float = map[\"m\"].mark
fn via_field() -> float {
    if let h = holder {
        return h.site.mark
    }
    return -1.0
}
fn via_method() -> str {
    if let s = solo {
        return s.describe()
    }
    return \"none\"
}
fn via_str() -> str = str(list)
fn via_is() -> bool = list[0] is Site
fn all() -> str {
    let parts: List<str> = []
    for s in list {
        parts.push(\"{s.name} {s.mark}\")
    }
    return parts.join(\", \")
}
";

const SITES_SCRIPT: &str = "update app\nmigrate lazy Site(o: old.Site) { self.mark = float(o.visits) * 0.5 }\n";

fn sites() -> App {
    App::new(&format!("import std.dsu\n{SITES_V1}"))
}

#[test]
fn pending_until_first_access_through_list_map_field_method_is_and_str() {
    let mut app = sites();
    let r = app.update_req(req(SITES_V2, SITES_SCRIPT));
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 0, "nothing is migrated in the pause");
    assert!(r.counts.instances_lazy >= 8, "{r}");
    assert!(app.vm.lazy_active());
    assert_eq!(pending(&app, "Site"), 8);
    // dsu.instances counts pending instances under the new class, and migrates none.
    assert_eq!(app.call("count"), "8");
    assert_eq!(pending(&app, "Site"), 8);

    assert_eq!(app.call("via_list"), "1.0");
    assert_eq!(pending(&app, "Site"), 7, "only the object read was migrated");
    assert_eq!(app.call("via_map"), "5.0");
    assert_eq!(pending(&app, "Site"), 6);
    assert_eq!(app.call("via_field"), "10.0");
    assert_eq!(pending(&app, "Site"), 5);
    assert_eq!(app.call("via_method"), "s:15.0");
    assert_eq!(pending(&app, "Site"), 4);
    assert_eq!(app.call("via_is"), "true");
    assert_eq!(pending(&app, "Site"), 3);
    let shown = app.call("via_str");
    assert!(shown.contains("Site{name: \"l4\", visits: 4, mark: 2.0}"), "{shown}");
    assert_eq!(pending(&app, "Site"), 0, "str() of the list migrated what it showed");
    assert_eq!(app.call("all"), "l0 0.0, l1 0.5, l2 1.0, l3 1.5, l4 2.0");
    // Once a collection finds nothing pending the dispatch loop without the check runs again.
    app.vm.collect();
    assert!(!app.vm.lazy_active());
    assert_eq!(app.call("count"), "8");
}

#[test]
fn display_without_migrating_shows_the_old_object_and_str_migrates() {
    let mut app = sites();
    committed(&app.update_req(req(SITES_V2, SITES_SCRIPT)));
    // The embedder's `display` borrows the VM: it cannot run the migration, so it shows what is
    // there (the old layout), and migrates nothing.
    let shown = app.vm.display(app.global("solo"));
    assert_eq!(shown, "Site{name: \"s\", visits: 30}");
    assert_eq!(pending(&app, "Site"), 8);
    assert_eq!(app.call("via_method"), "s:15.0");
    assert_eq!(app.vm.display(app.global("solo")), "Site{name: \"s\", visits: 30, mark: 15.0}");
}

#[test]
fn a_lazy_migration_may_return_another_object_and_is_sees_it() {
    let v1 = "
class Message { text: str }
var inbox: List<Message> = []
fn setup() {
    inbox.push(Message { text: \"hi\" })
    inbox.push(Message { text: \"!ping\" })
}
";
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
fn setup() {}
fn second_is_command() -> bool = inbox[1] is Command
fn first_is_command() -> bool = inbox[0] is Command
fn shown() -> str {
    let parts: List<str> = []
    for m in inbox {
        parts.push(m.show())
    }
    return parts.join(\", \")
}
";
    let script = "update app
migrate lazy Message(o: old.Message) {
    if o.text.starts_with(\"!\") {
        return Command { text: o.text, name: o.text.slice(1, o.text.len()) }
    }
}
";
    let mut app = App::new(v1);
    committed(&app.update_req(req(v2, script)));
    assert_eq!(pending(&app, "Message"), 2);
    assert_eq!(app.call("second_is_command"), "true", "`is` migrates first");
    assert_eq!(app.call("first_is_command"), "false");
    assert_eq!(app.call("shown"), "hi, command ping");
}

#[test]
fn lazy_rename_with_subclasses() {
    let v1 = "
import std.dsu
class Shape {
    name: str
    fn area(self) -> float = 0.0
}
class Circle extends Shape {
    r: float
    fn area(self) -> float = 3.0 * self.r * self.r
}
var shapes: List<Shape> = []
fn setup() {
    shapes.push(Shape { name: \"dot\" })
    shapes.push(Circle { name: \"disc\", r: 2.0 })
    shapes.push(Circle { name: \"coin\", r: 1.0 })
}
";
    let v2 = "
import std.dsu
class Figure {
    name: str
    tag: str
    fn area(self) -> float = 0.0
}
class Circle extends Figure {
    r: float
    fn area(self) -> float = 3.0 * self.r * self.r
}
var shapes: List<Figure> = []
fn setup() {}
fn figures() -> int = dsu.instances(\"Figure\")
fn circles() -> int = dsu.instances(\"Circle\")
fn first() -> str = shapes[0].tag
fn shown() -> str {
    let parts: List<str> = []
    for s in shapes {
        parts.push(\"{s.tag} {s.area()} {s is Circle}\")
    }
    return parts.join(\", \")
}
";
    let script = "update app
migrate lazy Figure(o: old.Shape) { self.tag = \"figure \" + o.name }
migrate lazy Circle(o: old.Circle) { self.tag = \"circle \" + o.name + \" of radius {o.r}\" }
";
    let mut app = App::new(v1);
    let r = app.update_req(req(v2, script));
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 0);
    assert_eq!(pending(&app, "Figure"), 1);
    assert_eq!(pending(&app, "Circle"), 2);
    // Pending instances count under their new classes, subclasses included.
    assert_eq!(app.call("figures"), "3");
    assert_eq!(app.call("circles"), "2");
    assert_eq!(app.call("first"), "figure dot");
    assert_eq!(pending(&app, "Figure"), 0);
    assert_eq!(pending(&app, "Circle"), 2);
    assert_eq!(
        app.call("shown"),
        "figure dot 0.0 false, circle disc of radius 2.0 12.0 true, circle coin of radius 1.0 3.0 true"
    );
    assert_eq!(pending(&app, "Circle"), 0);
}

const FAILING: &str = "update app\nmigrate lazy Site(o: old.Site) { self.mark = float(100 / o.visits) }\n";

#[test]
fn a_failing_lazy_migration_is_an_error_at_the_access_and_the_object_stays_pending() {
    let mut app = sites();
    committed(&app.update_req(req(SITES_V2, FAILING)));
    // list[0] has 0 visits: its migration divides by zero.
    let e = app.call("via_str");
    assert_eq!(
        e, "error: lazy migration of a Site failed: division by zero (migrate lazy Site at update.newt:2)",
        "the error names the migration"
    );
    // str() migrated the list's other elements before it reached the failing one; those stay
    // migrated, the failing one stays pending.
    assert_eq!(pending(&app, "Site"), 4);
    assert_eq!(app.call("via_list"), "50.0");
    assert_eq!(app.call("via_map"), "10.0", "the others migrate");
    assert_eq!(pending(&app, "Site"), 3);
    assert_eq!(app.call("all"), e, "it fails again at the next access");
    assert_eq!(pending(&app, "Site"), 3);
    assert_eq!(app.call("count"), "8", "a pending object is still an instance");
    assert!(app.vm.lazy_active());
}

#[test]
fn a_fiber_that_touches_a_failing_pending_object_dies_with_the_error() {
    let v2 = format!(
        "{SITES_V2}
var seen: int = 0
fn poke() {{
    seen = 1
    let m = list[0].mark
    seen = 2
}}
fn start() {{
    spawn poke()
}}
"
    );
    let mut app = sites();
    let r = app.update_req(req(&v2, FAILING));
    committed(&r);
    assert_eq!(app.call("start"), "nil");
    app.settle();
    assert_eq!(app.vm.display(app.global("seen")), "1", "the fiber stopped at the access");
    assert_eq!(pending(&app, "Site"), 8);
    assert_eq!(app.call("via_map"), "10.0", "the program runs on");
}

#[test]
fn a_later_update_leaves_pending_objects_of_classes_it_does_not_touch() {
    let mut app = sites();
    committed(&app.update_req(req(SITES_V2, SITES_SCRIPT)));
    let v3 = format!("{SITES_V2}\nfn extra() -> int = 42\nclass Other {{ v: int }}\n");
    let r = app.update(&v3);
    committed(&r);
    assert_eq!(pending(&app, "Site"), 8, "still pending, under the first update's migration");
    assert_eq!(app.call("extra"), "42");
    assert_eq!(app.call("all"), "l0 0.0, l1 0.5, l2 1.0, l3 1.5, l4 2.0");
}

const SITES_V3: &str = "
import std.dsu
class Site {
    name: str
    visits: int
    mark: float
    rank: int
    fn label(self) -> str = self.name
}
class Holder { site: Site }
var list: List<Site> = []
var map: Map<str, Site> = {}
var holder: Holder? = nil
var solo: Site? = nil
fn setup() {}
fn all() -> str {
    let parts: List<str> = []
    for s in list {
        parts.push(\"{s.name} {s.mark} {s.rank}\")
    }
    return parts.join(\", \")
}
";

#[test]
fn a_second_update_of_the_class_migrates_pending_ones_first_eagerly() {
    let mut app = sites();
    committed(&app.update_req(req(SITES_V2, SITES_SCRIPT)));
    assert_eq!(app.call("via_list"), "1.0");
    // The second migration reads `o.mark`: the first one's result, for pending objects too.
    let r = app.update_req(req(SITES_V3, "update app\nmigrate Site(o: old.Site) { self.rank = int(o.mark * 10.0) }\n"));
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 8);
    assert_eq!(pending(&app, "Site"), 0);
    assert!(!app.vm.lazy_active(), "nothing is left pending");
    assert_eq!(app.call("all"), "l0 0.0 0, l1 0.5 5, l2 1.0 10, l3 1.5 15, l4 2.0 20");
}

#[test]
fn a_second_lazy_update_of_the_class_chains_after_the_first() {
    let mut app = sites();
    committed(&app.update_req(req(SITES_V2, SITES_SCRIPT)));
    let r = app
        .update_req(req(SITES_V3, "update app\nmigrate lazy Site(o: old.Site) { self.rank = int(o.mark * 10.0) }\n"));
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 0);
    assert_eq!(pending(&app, "Site"), 8, "pending again, under the second update");
    assert_eq!(app.call("all"), "l0 0.0 0, l1 0.5 5, l2 1.0 10, l3 1.5 15, l4 2.0 20");
}

#[test]
fn an_aborted_update_leaves_pending_objects_exactly_as_they_were() {
    let mut app = sites();
    committed(&app.update_req(req(SITES_V2, SITES_SCRIPT)));
    assert_eq!(app.call("via_list"), "1.0");
    let before = app.digest();
    // It would migrate the pending ones first, then fails validation: all of it is undone.
    let script = "update app\nmigrate Site(o: old.Site) { self.rank = 1 }\nvalidate \"never\" { return false }\n";
    let r = app.update_req(req(SITES_V3, script));
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert_eq!(app.digest(), before);
    assert_eq!(pending(&app, "Site"), 7);
    assert_eq!(app.call("all"), "l0 0.0, l1 0.5, l2 1.0, l3 1.5, l4 2.0");
}

#[test]
fn an_aborted_lazy_update_leaves_nothing_pending() {
    let mut app = sites();
    let before = app.digest();
    let script = format!("{SITES_SCRIPT}validate \"never\" {{ return false }}\n");
    let r = app.update_req(req(SITES_V2, &script));
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert!(r.reason.contains("validation \"never\" failed"), "{r}");
    assert_eq!(app.digest(), before);
    assert!(!app.vm.lazy_active());
}

#[test]
fn new_code_in_the_staging_area_migrates_what_it_touches_and_an_abort_undoes_it() {
    let mut app = sites();
    let before = app.digest();
    // The validation reads a pending object (a first access, in the staging area), then fails.
    let script = format!("{SITES_SCRIPT}validate \"sees migrated\" {{ return list[3].mark == 1.5 && false }}\n");
    let r = app.update_req(req(SITES_V2, &script));
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert_eq!(app.digest(), before, "the object migrated in the staging area is old again");
    assert!(!app.vm.lazy_active());
    // Committed, the same validation sees the migrated object; the others stay pending.
    let script = format!("{SITES_SCRIPT}validate \"sees migrated\" {{ return list[3].mark == 1.5 }}\n");
    let r = app.update_req(req(SITES_V2, &script));
    committed(&r);
    assert_eq!(pending(&app, "Site"), 7);
    assert_eq!(app.call("all"), "l0 0.0, l1 0.5, l2 1.0, l3 1.5, l4 2.0");
}

#[test]
fn eager_old_reads_in_the_same_update_see_lazy_objects_as_they_were() {
    // An eager migration of Holder reads its site's old fields (`old.Site`), which the same
    // update migrates lazily: the old view sees the old object, whether or not new code has
    // migrated it already.
    let v2 = format!(
        "{}\nclass Holder {{ site: Site\n    seen: int }}\n",
        SITES_V2.replace("class Holder { site: Site }", "")
    );
    let script = format!(
        "{SITES_SCRIPT}migrate Holder(o: old.Holder) {{
    let touched = list[0].mark
    self.seen = o.site.visits + int(touched)
}}
"
    );
    let mut app = sites();
    let r = app.update_req(req(&v2, &script));
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 1);
    assert_eq!(app.call("via_field"), "10.0");
}

#[test]
fn a_failing_pending_migration_aborts_a_later_update_that_needs_it() {
    let mut app = sites();
    committed(&app.update_req(req(SITES_V2, FAILING)));
    let before = app.digest();
    let n = pending(&app, "Site");
    let r = app.update_req(req(SITES_V3, "update app\nmigrate Site(o: old.Site) { self.rank = 1 }\n"));
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert!(r.reason.contains("lazy migration of a Site failed: division by zero"), "{r}");
    assert_eq!(app.digest(), before);
    assert_eq!(pending(&app, "Site"), n, "the pending objects migrated before the failure are pending again");
}

/// In both versions: a fiber that applies an update itself and then, in the same function,
/// shows an object that the update leaves pending.
const GO: &str = "
var result: str = \"\"
fn go(dir: str) {
    let r = dsu.apply([dir + \"/app.newt\"], dir + \"/update.newt\")
    result = \"{r.outcome()} {list[2]}\"
}
fn start(dir: str) {
    spawn go(dir)
}
";

#[test]
fn lazy_migration_through_dsu_apply_from_a_fiber() {
    // The commit happens inside the requesting fiber's built-in; the fiber's next instructions
    // (right after `dsu.apply` returns, in the same function) see the object migrated.
    let dir = std::env::temp_dir().join(format!("newt-lazy-apply-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("app.newt"), app_src(&format!("{SITES_V2}{GO}"))).unwrap();
    std::fs::write(dir.join("update.newt"), SITES_SCRIPT).unwrap();
    let mut app = App::new(&format!("import std.dsu\n{SITES_V1}{GO}"));
    let f = app.global("start");
    let d = app.vm.alloc_str(&dir.display().to_string());
    app.vm.root(d);
    app.vm.invoke(f, &[d]).map_err(|e| e.error.msg).unwrap();
    app.vm.unroot(1);
    for _ in 0..5000 {
        app.vm.step();
        if !app.vm.display(app.global("result")).is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(app.vm.display(app.global("result")), "committed Site{name: \"l2\", visits: 2, mark: 1.0}");
    assert_eq!(pending(&app, "Site"), 7);
    assert_eq!(app.call("all"), "l0 0.0, l1 0.5, l2 1.0, l3 1.5, l4 2.0");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn assignments_spawned_method_calls_and_builtins_migrate_first() {
    let v2 = format!(
        "{SITES_V2}
import std.json
var spawned: str = \"\"
fn set_mark() {{
    list[4].mark = 9.0
}}
fn note(s: Site) {{
    spawned = s.describe()
}}
fn spawn_method() {{
    if let s = solo {{
        spawn note(s)
    }}
}}
fn spawn_direct() -> Fiber {{
    return spawn list[1].describe()
}}
fn printed() {{
    print(map)
}}
fn encoded() -> str = json.encode(list[3])
"
    );
    let mut app = sites();
    committed(&app.update_req(req(&v2, SITES_SCRIPT)));
    assert_eq!(app.call("set_mark"), "nil");
    assert_eq!(app.call("via_str").matches("mark: 9.0").count(), 1, "the assignment landed in the new layout");
    let mut app = sites();
    committed(&app.update_req(req(&v2, SITES_SCRIPT)));
    assert_eq!(app.call("set_mark"), "nil");
    assert_eq!(pending(&app, "Site"), 7, "an assignment is a first access");
    // A method call spawned on a pending receiver (`SpawnMethod`).
    app.call("spawn_direct");
    assert_eq!(pending(&app, "Site"), 6);
    app.call("spawn_method");
    app.settle();
    assert_eq!(app.vm.display(app.global("spawned")), "s:15.0");
    // Built-ins that read instances from Rust (`print`, `json.encode`).
    assert_eq!(app.call("printed"), "nil");
    app.vm.flush_output();
    assert!(app.out.text().contains("{\"m\": Site{name: \"m\", visits: 10, mark: 5.0}}"), "{}", app.out.text());
    assert_eq!(app.call("encoded"), "{\"name\":\"l3\",\"visits\":3,\"mark\":1.5}");
}

#[test]
fn a_fiber_parked_across_the_update_migrates_what_it_touches_next() {
    let decls = |v2: bool| {
        let (field, label) = if v2 { ("    mark: float\n", "\"{self.name}:{self.mark}\"") } else { ("", "self.name") };
        let setup = if v2 {
            "fn setup() {}"
        } else {
            "fn setup() {\n    let s = Site { name: \"w\", visits: 8 }\n    watched.push(s)\n    spawn watch(s)\n}"
        };
        format!(
            "
class Site {{
    name: str
    visits: int
{field}    fn label(self) -> str = {label}
}}
var seen: str = \"\"
var watched: List<Site> = []
fn watch(s: Site) {{
    while true {{
        time.sleep(1)
        seen = s.label()
    }}
}}
{setup}
"
        )
    };
    let mut app = App::new(&decls(false));
    let r = app.update_req(req(&decls(true), SITES_SCRIPT));
    committed(&r);
    for _ in 0..200 {
        app.vm.step();
        if app.vm.display(app.global("seen")) == "w:4.0" {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    panic!("the parked fiber never saw the migrated object: {}", app.vm.display(app.global("seen")));
}

#[test]
fn a_lazy_migration_that_touches_another_pending_object_migrates_it_too() {
    let v1 = "
class Owner { name: str }
class Site {
    name: str
    owner: Owner
}
var sites: List<Site> = []
fn setup() {
    let ann = Owner { name: \"ann\" }
    sites.push(Site { name: \"a\", owner: ann })
    sites.push(Site { name: \"b\", owner: ann })
}
";
    let v2 = "
class Owner {
    name: str
    since: int
}
class Site {
    name: str
    owner: Owner
    about: str
}
var sites: List<Site> = []
fn setup() {}
fn shown() -> str = \"{sites[0].about} | {sites[1].about}\"
";
    let script = "update app
migrate lazy Owner(o: old.Owner) { self.since = o.name.len() }
migrate lazy Site(o: old.Site) { self.about = o.name + \" of \" + str(self.owner) }
";
    let mut app = App::new(v1);
    committed(&app.update_req(req(v2, script)));
    assert_eq!(pending(&app, "Owner"), 1);
    assert_eq!(pending(&app, "Site"), 2);
    assert_eq!(app.call("shown"), "a of Owner{name: \"ann\", since: 3} | b of Owner{name: \"ann\", since: 3}");
    assert_eq!(pending(&app, "Owner"), 0);
    assert_eq!(pending(&app, "Site"), 0);
}
