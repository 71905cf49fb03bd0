//! Update scenarios for the engine's event-driven safe points (return barriers), class renames
//! in update scripts, application validations (`dsu.add_validation`), the system validation
//! against references to removed code, and the per-class instance registry across successive
//! updates. Every failure path checks that the digest of all reachable state is unchanged.

mod update_support;

use newt_vm::{Outcome, UpdateRequest};
use std::time::{Duration, Instant};
use update_support::{app_src, committed, App};

/// The request replacing `app` with `decls` (plus the shared main loop) and running `script`.
fn req(decls: &str, script: &str) -> UpdateRequest {
    UpdateRequest::module("app", &app_src(decls)).script(script)
}

/// Steps the VM (never polling the update) until update `id` has a report, at most `limit`.
fn step_until_reported(app: &mut App, id: u64, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if app.vm.update_report(id).is_some() {
            return true;
        }
        app.vm.step();
    }
    app.vm.update_report(id).is_some()
}

const BARRIER_V1: &str = "
var log: List<str> = []
fn inner() {
    for i in 0..3 {
        time.sleep(3)
    }
    log.push(\"inner v1 done\")
}
fn work() {
    inner()
    while true {
        time.sleep(2)
    }
}
fn setup() { spawn work() }
fn describe() -> str = log.join(\",\")
";

#[test]
fn crossing_a_return_barrier_commits_without_any_poll() {
    let mut app = App::new(BARRIER_V1);
    let v2 = BARRIER_V1.replace("inner v1 done", "inner v2 done");
    // Only request: nobody polls. The scheduler commits when `inner`'s frame returns.
    let id = app.vm.request_update(UpdateRequest::module("app", &app_src(&v2)));
    assert!(step_until_reported(&mut app, id, Duration::from_secs(4)), "no outcome without polling");
    let r = app.vm.update_report(id).cloned().expect("report");
    committed(&r);
    assert!(r.timings.wait_us > 0, "{r}");
    assert!(r.timings.wait_us < 2_000_000, "committed at the barrier, not at a timeout: {r}");
    // The old `inner` finished under v1; `work` kept running (it never returned).
    assert_eq!(app.call("describe"), "inner v1 done");
    assert_eq!(app.vm.dsu_version(), 1);
}

#[test]
fn a_fiber_dying_inside_the_affected_function_releases_the_update() {
    let src = "
fn inner() {
    time.sleep(5)
    let xs: List<int> = []
    let boom = xs[3]
}
fn setup() { spawn inner() }
fn tick() -> str = \"v1\"
";
    let mut app = App::new(src);
    let v2 = src.replace("time.sleep(5)", "time.sleep(6)").replace("\"v1\"", "\"v2\"");
    let id = app.vm.request_update(UpdateRequest::module("app", &app_src(&v2)));
    assert!(step_until_reported(&mut app, id, Duration::from_secs(4)));
    let r = app.vm.update_report(id).cloned().expect("report");
    committed(&r);
    assert_eq!(app.call("tick"), "v2");
}

#[test]
fn the_timeout_still_aborts_when_no_barrier_is_crossed() {
    let src = "
fn spin() {
    while true {
        time.sleep(1)
    }
}
fn setup() { spawn spin() }
fn tick() -> str = \"v1\"
";
    let mut app = App::new(src);
    let before = app.digest();
    let v2 = src.replace("time.sleep(1)", "time.sleep(2)").replace("\"v1\"", "\"v2\"");
    let id = app.vm.request_update(UpdateRequest::module("app", &app_src(&v2)).timeout(Duration::from_millis(50)));
    // Without anyone polling, the timeout is noticed by whoever asks next.
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(4) && !app.vm.poll_update(id) {
        app.vm.step();
    }
    let r = app.vm.update_report(id).cloned().expect("report");
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert!(r.reason.contains("in app.spin (line"), "{}", r.reason);
    assert_eq!(app.digest(), before);
    assert_eq!(app.call("tick"), "v1");
}

const MSG_V1: &str = "
class Msg {
    text: str
    user: str?
}
var log: List<Msg> = []
var by_text: Map<str, Msg> = {}
var first: Msg? = nil
fn add(t: str, u: str?) {
    let m = Msg { text: t, user: u }
    log.push(m)
    by_text[t] = m
}
fn setup() {
    add(\"hello\", \"ann\")
    add(\"ann joined\", nil)
    add(\"bye\", \"bob\")
    first = log[0]
}
fn describe() -> str {
    let parts: List<str> = []
    for m in log {
        parts.push(m.text)
    }
    return parts.join(\",\")
}
";

const NOTE_V2: &str = "
class Note {
    text: str
    user: str?
    stars: int
}
var log: List<Note> = []
var by_text: Map<str, Note> = {}
var first: Note? = nil
fn add(t: str, u: str?) {
    let m = Note { text: t, user: u, stars: 0 }
    log.push(m)
    by_text[t] = m
}
fn setup() {}
fn describe() -> str {
    let parts: List<str> = []
    for m in log {
        parts.push(\"{m.text}:{m.stars}\")
    }
    return parts.join(\",\")
}
fn same() -> bool {
    if first == nil { return false }
    return first == log[0] && by_text[\"bye\"] == log[2]
}
";

#[test]
fn renamed_class_migrates_its_instances_keeping_identity_and_equivalent_types() {
    let mut app = App::new(MSG_V1);
    let script = "update app\nmigrate Note(o: old.Msg) { self.stars = o.text.len() }\n";
    let r = app.update_req(req(NOTE_V2, script));
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 3);
    assert!(r.changes.classes.changed.contains(&"app.Note (renamed from app.Msg)".to_string()), "{r}");
    assert!(r.changes.classes.removed.is_empty(), "{r}");
    // `List<Msg>`, `Map<str, Msg>` and `Msg?` are the same types under the rename: no `migrate
    // var` was needed, and the globals kept their values (the same objects, now `Note`s).
    assert_eq!(app.call("describe"), "hello:5,ann joined:10,bye:3");
    assert_eq!(app.call("same"), "true");
    assert_eq!(app.vm.dsu_instances("Note"), Some(3));
    assert_eq!(app.vm.dsu_instances("Msg"), None);
    // New code builds the renamed class.
    let add = app.global("add");
    let t = app.vm.alloc_str("new");
    app.vm.invoke(add, &[t, newt_vm::Value::Nil]).expect("add");
    assert_eq!(app.call("describe"), "hello:5,ann joined:10,bye:3,new:0");
}

const SPLIT_V2: &str = "
class Message {
    text: str
    fn show(self) -> str = self.text
}
class InfoMessage extends Message {
    fn show(self) -> str = \"* {self.text}\"
}
class UserMessage extends Message {
    user: str
    fn show(self) -> str = \"<{self.user}> {self.text}\"
}
var log: List<Message> = []
var by_text: Map<str, Message> = {}
var first: Message? = nil
fn setup() {}
fn describe() -> str {
    let parts: List<str> = []
    for m in log {
        parts.push(m.show())
    }
    return parts.join(\",\")
}
fn same() -> bool {
    if first == nil { return false }
    return first == log[0] && by_text[\"bye\"] == log[2]
}
fn kinds() -> str {
    let parts: List<str> = []
    for m in log {
        if m is UserMessage {
            parts.push(\"user\")
        } else if m is InfoMessage {
            parts.push(\"info\")
        } else {
            parts.push(\"base\")
        }
    }
    return parts.join(\",\")
}
";

const SPLIT_SCRIPT: &str = "update app
migrate Message(o: old.Msg) {
    if o.user == nil {
        return InfoMessage { text: o.text }
    }
    return UserMessage { text: o.text, user: o.user ?? \"\" }
}
validate \"nothing lost\" { return log.len() == old.log.len() }
";

#[test]
fn renamed_class_split_into_subclasses_per_instance() {
    let mut app = App::new(MSG_V1);
    let r = app.update_req(req(SPLIT_V2, SPLIT_SCRIPT));
    committed(&r);
    assert_eq!(app.call("describe"), "<ann> hello,* ann joined,<bob> bye");
    assert_eq!(app.call("kinds"), "user,info,user");
    assert_eq!(app.call("same"), "true", "identities pass to the returned objects");
    assert_eq!(app.vm.dsu_instances("Message"), Some(3));
    assert_eq!(app.vm.dsu_instances("UserMessage"), Some(2));
    assert_eq!(app.vm.dsu_instances("InfoMessage"), Some(1));
}

#[test]
fn rename_whose_new_version_keeps_the_old_class_is_rejected() {
    let mut app = App::new(MSG_V1);
    let before = app.digest();
    let v2 = format!("{NOTE_V2}\nclass Msg {{ text: str }}\n");
    let r = app.update_req(req(&v2, "update app\nmigrate Note(o: old.Msg) { self.stars = 1 }\n"));
    assert_eq!(r.outcome, Outcome::Rejected, "{r}");
    assert!(r.diagnostics.contains("needs the new version to drop class Msg"), "{}", r.diagnostics);
    assert_eq!(app.digest(), before);
    assert_eq!(app.call("describe"), "hello,ann joined,bye");
}

#[test]
fn rename_onto_an_existing_class_is_rejected() {
    let v1 = format!("{MSG_V1}\nclass Note {{ text: str }}\n");
    let mut app = App::new(&v1);
    let before = app.digest();
    let r = app.update_req(req(NOTE_V2, "update app\nmigrate Note(o: old.Msg) { self.stars = 1 }\n"));
    assert_eq!(r.outcome, Outcome::Rejected, "{r}");
    assert!(r.diagnostics.contains("the running version already has a class Note"), "{}", r.diagnostics);
    assert_eq!(app.digest(), before);
}

#[test]
fn rename_without_a_value_for_a_new_field_is_rejected() {
    let mut app = App::new(MSG_V1);
    let before = app.digest();
    let r = app.update_req(req(NOTE_V2, "update app\nmigrate Note(o: old.Msg) { let n = o.text.len() }\n"));
    assert_eq!(r.outcome, Outcome::Rejected, "{r}");
    assert!(r.reason.contains("does not assign field 'stars'"), "{}", r.reason);
    assert_eq!(app.digest(), before);
}

const VALIDATED_V1: &str = "
import std.dsu
var items: List<int> = []
fn healthy() -> bool = items.len() == 3
fn setup() {
    items.push(1)
    items.push(2)
    items.push(3)
    dsu.add_validation(\"three items\", healthy)
}
fn tick() -> str = \"v1\"
";

#[test]
fn application_validation_failure_aborts_and_restores_everything() {
    let mut app = App::new(VALIDATED_V1);
    let before = app.digest();
    // The new `healthy` (installed in staging) says no: the update aborts.
    let v2 = VALIDATED_V1.replace("items.len() == 3", "items.len() == 4").replace("\"v1\"", "\"v2\"");
    let r = app.update(&v2);
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert_eq!(r.reason, "validation \"three items\" failed");
    assert_eq!(app.digest(), before);
    assert_eq!(app.call("tick"), "v1");
    assert_eq!(app.call("healthy"), "true", "the old code is back");
    assert_eq!(app.vm.dsu_version(), 0);
    // An update that keeps the invariant commits, and the validation ran against the new code.
    let r = app.update(&VALIDATED_V1.replace("\"v1\"", "\"v2\""));
    committed(&r);
    assert_eq!(app.call("tick"), "v2");
}

#[test]
fn application_validation_runtime_error_aborts() {
    let mut app = App::new(VALIDATED_V1);
    let before = app.digest();
    let v2 = VALIDATED_V1.replace("items.len() == 3", "items[9] == 3");
    let r = app.update(&v2);
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert!(r.reason.starts_with("validation \"three items\" failed: runtime error while staging"), "{}", r.reason);
    assert_eq!(app.digest(), before);
}

#[test]
fn removing_a_function_that_a_global_still_holds_is_rejected() {
    let src = "
fn greet() -> str = \"hi\"
var handler: fn() -> str = greet
fn setup() {}
fn describe() -> str = handler()
";
    let mut app = App::new(src);
    let before = app.digest();
    // The initialiser changes, but a var keeps its value: it would still hold the old `greet`.
    let v2 = "
fn welcome() -> str = \"hello\"
var handler: fn() -> str = welcome
fn setup() {}
fn describe() -> str = handler()
";
    let r = app.update(v2);
    assert_eq!(r.outcome, Outcome::Rejected, "{r}");
    assert!(r.reason.contains("app.greet is removed but global app.handler still refers to it"), "{}", r.reason);
    assert_eq!(app.digest(), before);
    assert_eq!(app.call("describe"), "hi");
}

#[test]
fn removing_a_function_held_in_a_list_is_rejected_and_dropping_the_reference_allows_it() {
    let src = "
fn greet() -> str = \"hi\"
var handlers: List<fn() -> str> = []
fn setup() { handlers.push(greet) }
fn clear() { handlers = [] }
fn describe() -> str = \"{handlers.len()}\"
";
    let mut app = App::new(src);
    let before = app.digest();
    let v2 = "
var handlers: List<fn() -> str> = []
fn setup() {}
fn clear() { handlers = [] }
fn describe() -> str = \"{handlers.len()}\"
";
    let r = app.update(v2);
    assert_eq!(r.outcome, Outcome::Rejected, "{r}");
    assert!(r.reason.contains("app.greet is removed but a live object still refers to it"), "{}", r.reason);
    assert_eq!(app.digest(), before);
    app.call("clear");
    let r = app.update(v2);
    committed(&r);
    assert_eq!(r.changes.functions.removed, vec!["app.greet".to_string()]);
}

const ITEMS: &str = "
class Item {
    id: int
}
var items: List<Item> = []
fn setup() {
    for i in 0..100 {
        items.push(Item { id: i })
        let garbage = Item { id: -1 }
    }
}
fn churn() {
    for i in 0..100 {
        let garbage = Item { id: -2 }
    }
}
fn describe() -> str {
    let sum = 0
    for it in items {
        sum = sum + it.id
    }
    return \"{items.len()} {sum}\"
}
";

#[test]
fn successive_layout_changes_migrate_exactly_the_live_instances_each_time() {
    let mut app = App::new(ITEMS);
    let mut decls = ITEMS.to_string();
    for (k, field) in ["a", "b", "c"].iter().enumerate() {
        app.call("churn");
        decls = decls.replace("    id: int\n", &format!("    id: int\n    {field}: int = {k}\n"));
        let r = app.update(&decls);
        committed(&r);
        // The garbage made by `setup` and `churn` is collected before the wait: exactly the
        // live instances are migrated.
        assert_eq!(r.counts.instances_migrated, 100, "{r}");
        assert_eq!(app.vm.dsu_instances("Item"), Some(100));
        assert_eq!(app.call("describe"), "100 4950");
    }
    assert_eq!(app.vm.dsu_version(), 3);
    // Every instance has the three new fields with their defaults.
    let items = app.global("items");
    assert_eq!(app.vm.display(items).matches("c: 2, b: 1, a: 0}").count(), 100, "{}", app.vm.display(items));
}

const SCORE_V1: &str = "
class Player {
    name: str
    points: int
}
var players: List<Player> = []
fn setup() {
    players.push(Player { name: \"ann\", points: 12 })
    players.push(Player { name: \"bob\", points: 3 })
}
fn describe() -> str {
    let parts: List<str> = []
    for p in players {
        parts.push(\"{p.name}\")
    }
    return parts.join(\",\")
}
";

#[test]
fn a_migration_must_assign_a_new_field_on_every_path_that_keeps_self() {
    let v2 = SCORE_V1
        .replace("    points: int\n", "    points: int\n    rank: str\n")
        .replace("parts.push(\"{p.name}\")", "parts.push(\"{p.name}:{p.rank}\")")
        .replace("points: 12 }", "points: 12, rank: \"\" }")
        .replace("points: 3 }", "points: 3, rank: \"\" }");
    let mut app = App::new(SCORE_V1);
    let before = app.digest();
    // Only one branch assigns `rank`: rejected, naming the field and the rule.
    let partial =
        "update app\nmigrate Player(o: old.Player) {\n    if o.points > 10 {\n        self.rank = \"gold\"\n    }\n}\n";
    let r = app.update_req(req(&v2, partial));
    assert_eq!(r.outcome, Outcome::Rejected, "{r}\n{}", r.diagnostics);
    assert!(
        r.reason.contains("does not assign field 'rank' on every path that keeps `self`"),
        "{}\n{}",
        r.reason,
        r.diagnostics
    );
    assert_eq!(app.digest(), before);
    // Both branches assign it: committed, each instance by its own path.
    let full = "update app\nmigrate Player(o: old.Player) {\n    if o.points > 10 {\n        self.rank = \"gold\"\n    } else {\n        self.rank = \"tin\"\n    }\n}\n";
    let r = app.update_req(req(&v2, full));
    committed(&r);
    assert_eq!(app.call("describe"), "ann:gold,bob:tin");
}

const SPAWNER_V1: &str = "
var total = 0
fn handle(x: int) {
    time.sleep(1)
    total += x
}
fn spawn_one() { spawn handle(1) }
fn ticker() {
    while true {
        spawn_one()
        time.sleep(4)
    }
}
fn setup() { spawn ticker() }
fn tick() -> str = \"v1\"
";

#[test]
fn a_signature_change_commits_while_fibers_keep_starting_the_function() {
    let mut app = App::new(SPAWNER_V1);
    // The signature of `handle` changes and its caller with it, while a ticker keeps spawning
    // fibers that run it: those already running finish under the old code, and the update
    // commits between two of them.
    let v2 = SPAWNER_V1
        .replace("fn handle(x: int) {", "fn handle(x: int, y: int) {")
        .replace("total += x", "total += x * y")
        .replace("spawn handle(1)", "spawn handle(1, 100)")
        .replace("\"v1\"", "\"v2\"");
    let r = app.update_req(UpdateRequest::module("app", &app_src(&v2)).timeout(Duration::from_secs(3)));
    committed(&r);
    assert_eq!(app.call("tick"), "v2");
    // The new fibers run the new code.
    let before = app.vm.display(app.global("total")).parse::<i64>().unwrap_or(-1);
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(60) {
        app.vm.step();
    }
    let after = app.vm.display(app.global("total")).parse::<i64>().unwrap_or(-1);
    assert!(after >= before + 100, "{before} -> {after}");
}

const SCRIPT_TARGET_MAIN: &str = "update app
migrate Item(o: old.Item) { self.a = o.id * 2 }
validate each Item(o: old.Item) { return self.a == o.id * 2 }
";

#[test]
fn a_retry_after_an_aborted_scripted_update_migrates_only_the_live_instances() {
    let mut app = App::new(ITEMS);
    let v2 = ITEMS.replace("    id: int\n", "    id: int\n    a: int = 0\n");
    let before = app.digest();
    // A validation that fails aborts; the staged objects it saw are left for the collector.
    let bad = SCRIPT_TARGET_MAIN.replace("o.id * 2 }\nvalidate", "o.id * 3 }\nvalidate");
    let r = app.update_req(req(&v2, &bad));
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert_eq!(app.digest(), before);
    let r = app.update_req(req(&v2, SCRIPT_TARGET_MAIN));
    committed(&r);
    assert_eq!(r.counts.instances_migrated, 100, "{r}");
    assert_eq!(app.vm.dsu_instances("Item"), Some(100));
}

#[test]
fn a_script_may_target_a_root_module_named_main() {
    use newt_compiler::loader::MemLoader;
    use newt_vm::{Io, SharedBuf, Status, Vm, VmOptions};
    let v1 = "import std.time\nvar n = 1\nfn value() -> int = n\nfn main() {\n    while true {\n        time.sleep(2)\n    }\n}\n";
    let loader =
        MemLoader { modules: vec![("main".into(), "main.newt".into(), v1.into())], stdlib: Some(newt_stdlib::source) };
    let program = newt_compiler::check::check_program(&loader, "main").unwrap_or_else(|_| panic!("compile"));
    let image = newt_compiler::codegen::generate(&program).unwrap_or_else(|_| panic!("codegen"));
    let io =
        Io::new(Box::new(SharedBuf::new()), Box::new(SharedBuf::new()), Box::new(std::io::Cursor::new(Vec::new())));
    let mut vm = Vm::with_options(image, vec![], VmOptions { io });
    let main = vm.main_fiber().expect("main fiber");
    for _ in 0..1000 {
        if matches!(vm.fiber(main).map(|f| f.status), Some(Status::Parked(_))) {
            break;
        }
        vm.step();
    }
    let v2 = v1.replace("fn value() -> int = n", "fn value() -> int = n * 10");
    let script = "update main\nmigrate var n: int = old.n + 1\nvalidate \"ok\" { return value() == 20 }\n";
    let r = vm.update(UpdateRequest::module("main", &v2).script(script));
    committed(&r);
    let slot = vm.tables().global_info.iter().position(|g| g.slot.name == "main.value").expect("value");
    let f = vm.tables().globals[slot];
    let v = vm.invoke(f, &[]).expect("value()");
    assert_eq!(vm.display(v), "20");
}

#[test]
fn compiling_aside_commits_rejects_and_wakes_the_caller() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let mut app = App::new(BARRIER_V1);
    let woken = Arc::new(AtomicUsize::new(0));
    let w = woken.clone();
    // The new version compiles on another thread while the VM steps the program; `inner` is
    // still running then, so the commit waits for its barrier as usual.
    let v2 = BARRIER_V1.replace("inner v1 done", "inner v2 done");
    let r = app.vm.update_compiling_aside(
        UpdateRequest::module("app", &app_src(&v2)),
        Box::new(move || {
            w.fetch_add(1, Ordering::SeqCst);
        }),
    );
    committed(&r);
    assert_eq!(woken.load(Ordering::SeqCst), 1);
    assert_eq!(app.call("describe"), "inner v1 done");
    // A version that does not compile is rejected with the checker's diagnostics.
    let before = app.digest();
    let w = woken.clone();
    let bad = BARRIER_V1.replace("fn describe() -> str = log.join(\",\")", "fn describe() -> str = 42");
    let r = app.vm.update_compiling_aside(
        UpdateRequest::module("app", &app_src(&bad)),
        Box::new(move || {
            w.fetch_add(1, Ordering::SeqCst);
        }),
    );
    assert_eq!(r.outcome, Outcome::Rejected, "{r}");
    assert!(r.diagnostics.contains("expected str, found int"), "{}", r.diagnostics);
    assert_eq!(woken.load(Ordering::SeqCst), 2);
    assert_eq!(app.digest(), before);
}

#[test]
fn a_fiber_not_yet_started_enters_the_new_version() {
    let src = "
var log: List<str> = []
var gate: Chan<int> = Chan::<int>(1)
fn block() {
    let x = gate.recv() ?? 0
    log.push(\"old block {x}\")
}
fn start() { spawn block() }
fn open() { gate.send(5) }
fn setup() {}
fn describe() -> str = log.join(\",\")
";
    let mut app = App::new(src);
    // Spawned but not run yet: its only frame is at the entry of `block`, which the update
    // changes. It does not hold the update back; after the commit it starts the new version.
    app.call("start");
    let v2 = src.replace("\"old block {x}\"", "\"new block {x}\"");
    let r = app.update(&v2);
    committed(&r);
    app.call("open");
    app.settle();
    assert_eq!(app.call("describe"), "new block 5");
}

const TICKER_V1: &str = "
var log: List<str> = []
fn ticker(label: str) {
    let n = 0
    while true {
        n += 1
        log.push(\"{label} {n}\")
        time.sleep(2)
    }
}
fn setup() {
    let t = spawn ticker(\"a\")
    t.set_name(\"ticker\")
}
fn describe() -> str = log.join(\",\")
";

#[test]
fn reboot_restarts_a_never_returning_fiber_in_the_new_version_with_its_locals() {
    let mut app = App::new(TICKER_V1);
    // Let it tick a few times.
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(20) {
        app.vm.step();
    }
    let v2 = TICKER_V1
        .replace("fn ticker(label: str) {\n    let n = 0", "fn ticker(label: str, from: int) {\n    let n = from")
        .replace("\"{label} {n}\"", "\"{label}2 {n}\"")
        .replace("spawn ticker(\"a\")", "spawn ticker(\"a\", 0)");
    // Without a reboot the loop never returns: the update times out.
    let before = app.digest();
    let r = app.update_req(UpdateRequest::module("app", &app_src(&v2)).timeout(Duration::from_millis(30)));
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert!(r.reason.contains("(ticker) in app.ticker"), "{}", r.reason);
    let _ = before;
    // With one, the fiber restarts at once in the new version, carrying its label and count.
    let script = "update app\nreboot ticker => ticker(frame.local(\"label\") as str, frame.local(\"n\") as int)\n";
    let r = app.update_req(req(&v2, script));
    committed(&r);
    assert_eq!(r.counts.fibers_rebooted, 1, "{r}");
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(20) {
        app.vm.step();
    }
    let log = app.call("describe");
    let entries: Vec<&str> = log.split(',').collect();
    let last_old = entries.iter().rposition(|e| e.starts_with("a ")).expect("old entries");
    let first_new = entries.iter().position(|e| e.starts_with("a2 ")).expect("new entries");
    assert_eq!(first_new, last_old + 1, "{log}");
    // The count goes on from where the old frame was.
    let old_n: i64 = entries[last_old][2..].parse().unwrap_or(-1);
    let new_n: i64 = entries[first_new][3..].parse().unwrap_or(-1);
    assert_eq!(new_n, old_n + 1, "{log}");
}

/// The log entries of `label` (`"{label} {n}"`), as their counts.
fn counts_of(log: &str, label: &str) -> Vec<i64> {
    log.split(',').filter_map(|e| e.strip_prefix(label)?.strip_prefix(' ')?.parse().ok()).collect()
}

/// A rebooted fiber restarts through the script's own `upd_reboot_K`, which the next update
/// removes (a script lives for one update). That frame must not stay at the bottom of the
/// fiber's stack: it would hold every later update back until its timeout, and `reboot` of the
/// new entry function would not find the fiber. `back_to_back` requests the next update before
/// the rebooted fiber has run at all (still in its restart call).
fn later_updates_after_a_reboot(back_to_back: bool) {
    let mut app = App::new(TICKER_V1);
    let run = |app: &mut App| {
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(20) {
            app.vm.step();
        }
    };
    run(&mut app);
    let v2 = TICKER_V1
        .replace("fn ticker(label: str) {\n    let n = 0", "fn ticker(label: str, from: int) {\n    let n = from")
        .replace("\"{label} {n}\"", "\"{label}2 {n}\"")
        .replace("spawn ticker(\"a\")", "spawn ticker(\"a\", 0)");
    let reboot = "update app\nreboot ticker => ticker(frame.local(\"label\") as str, frame.local(\"n\") as int)\n";
    let r = app.update_req(req(&v2, reboot));
    committed(&r);
    if !back_to_back {
        run(&mut app);
    }
    // An update of other code, without a script: it removes the first script's code.
    let v3 = v2.replace("fn describe() -> str = log.join(\",\")", "fn describe() -> str = log.join(\",\") + \",v3\"");
    let r = app.update_req(UpdateRequest::module("app", &app_src(&v3)).timeout(Duration::from_millis(1000)));
    committed(&r);
    assert!(r.timings.wait_us < 500_000, "committed at once, not at the timeout: {r}");
    run(&mut app);
    // The fiber's stack now starts in `ticker`, as if it had been spawned with it.
    let bottom = |app: &App| {
        let ticker = app
            .vm
            .fiber_ids()
            .into_iter()
            .find(|&id| app.vm.fiber(id).and_then(|f| f.name.as_deref()) == Some("ticker"));
        let first = ticker.and_then(|id| app.vm.fiber(id)).and_then(|f| f.frames.first().copied());
        first.and_then(|fr| app.vm.tables().function(fr.func)).map(|f| f.proto.name.clone()).unwrap_or_default()
    };
    assert_eq!(bottom(&app), "app.ticker");
    // Its entry function is the new `ticker`: rebooting that again finds the fiber.
    let v4 = v3.replace("\"{label}2 {n}\"", "\"{label}4 {n}\"");
    let r = app.update_req(req(&v4, reboot).timeout(Duration::from_millis(1000)));
    committed(&r);
    assert_eq!(r.counts.fibers_rebooted, 1, "{r}");
    run(&mut app);
    let log = app.call("describe");
    assert!(log.ends_with(",v3"), "{log}");
    // One count throughout: each version goes on from where the previous one stopped.
    let (a, a2, a4) = (counts_of(&log, "a"), counts_of(&log, "a2"), counts_of(&log, "a4"));
    assert!(!a.is_empty() && !a2.is_empty() && !a4.is_empty(), "{log}");
    let all: Vec<i64> = a.iter().chain(&a2).chain(&a4).copied().collect();
    assert!(all.windows(2).all(|w| w[1] == w[0] + 1), "{log}");
}

#[test]
fn a_rebooted_fiber_holds_back_no_later_update() {
    later_updates_after_a_reboot(false);
}

#[test]
fn a_rebooted_fiber_holds_back_no_update_requested_before_it_ran() {
    later_updates_after_a_reboot(true);
}

#[test]
fn reboot_takes_a_fiber_out_of_a_channel_wait_and_the_channel_keeps_working() {
    let src = "
var c: Chan<int> = Chan::<int>(0)
var got = 0
fn waiter() {
    while true {
        got = c.recv() ?? 0
    }
}
fn setup() { spawn waiter() }
fn feed(v: int) {
    spawn send(v)
}
fn send(v: int) {
    c.send(v)
}
fn tick() -> str = \"v1 {got}\"
";
    let mut app = App::new(src);
    let before = app.digest();
    // Naming a function the program does not have is a rejection.
    let v2 = src.replace("got = c.recv() ?? 0", "got = (c.recv() ?? 0) * 2").replace("\"v1", "\"v2");
    let r = app.update_req(req(&v2, "update app\nreboot nothing => waiter()\n"));
    assert_eq!(r.outcome, Outcome::Rejected, "{r}");
    assert!(r.reason.contains("has no function app.nothing"), "{}", r.reason);
    assert_eq!(app.digest(), before);
    // The waiter, parked in recv, is taken out of that wait and restarted in the new version.
    let r = app.update_req(req(&v2, "update app\nreboot waiter => waiter()\n"));
    committed(&r);
    assert_eq!(r.counts.fibers_rebooted, 1, "{r}");
    // The channel has no stale waiter: a value sent now reaches the restarted (new) code once.
    let f = app.global("feed");
    app.vm.invoke(f, &[newt_vm::Value::Int(21)]).expect("feed");
    app.settle();
    assert_eq!(app.call("tick"), "v2 42");
}

#[test]
fn a_fiber_not_yet_started_in_a_function_whose_arity_changes_finishes_the_old_version_first() {
    let src = "
var log: List<str> = []
fn work(x: int) {
    time.sleep(1)
    log.push(\"old {x}\")
}
fn start() { spawn work(5) }
fn setup() {}
fn describe() -> str = log.join(\",\")
";
    let mut app = App::new(src);
    // Spawned but not run: its entry frame holds one argument, and the new `work` takes two, so
    // it cannot start the new version. It must run the old one to its end (and not be held at
    // the entry, which would keep the update waiting until its timeout).
    app.call("start");
    let v2 = src
        .replace("fn work(x: int) {", "fn work(x: int, y: int) {")
        .replace("\"old {x}\"", "\"new {x} {y}\"")
        .replace("spawn work(5)", "spawn work(5, 6)");
    let r = app.update_req(UpdateRequest::module("app", &app_src(&v2)).timeout(Duration::from_secs(2)));
    committed(&r);
    assert!(r.timings.wait_us < 1_000_000, "{r}");
    app.settle();
    assert_eq!(app.call("describe"), "old 5");
    app.call("start");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2) && !app.call("describe").contains("new") {
        app.vm.step();
    }
    assert_eq!(app.call("describe"), "old 5,new 5 6");
}
