//! `remap` scenarios that need more than a scenario folder: a fiber preempted at its loop header
//! (it never parks), and development mode (REPL, `--watch`), which remaps without a script. The
//! folder-based ones are `vm/tests/script_scenarios/remap_*`.

mod update_support;

use newt_vm::{Outcome, UpdateRequest};
use std::time::Duration;
use update_support::{app_src, committed, App};

/// The request replacing `app` with `decls` (plus the shared main loop) and running `script`.
fn req(decls: &str, script: &str) -> UpdateRequest {
    UpdateRequest::module("app", &app_src(decls)).script(script)
}

// ---- development mode: remap without a script ----

const LOOP_V1: &str = "
var log: List<str> = []
fn ticker() {
    let n = 0
    while true {
        n += 1
        log.push(\"tick {n}\")
        time.sleep(100000000)
    }
}
fn setup() {
    spawn ticker()
}
fn shown() -> str = log.join(\",\")
";

#[test]
fn development_mode_remaps_a_changed_loop_that_never_returns() {
    // The body of a running loop changes: production waits for a frame that never returns (and
    // aborts at the timeout); development mode moves the frame to the new loop, keeping `n`.
    let v2 = LOOP_V1.replace("log.push(\"tick {n}\")", "log.push(\"tock {n}\")");
    let mut app = App::new(LOOP_V1);
    assert_eq!(app.call("shown"), "tick 1");
    let before = app.digest();
    let r = app.update_req(UpdateRequest::module("app", &app_src(&v2)).timeout(std::time::Duration::from_millis(100)));
    assert_eq!(r.outcome, Outcome::Aborted, "{r}");
    assert!(r.reason.contains("app.ticker"), "{}", r.reason);
    assert_eq!(app.digest(), before);
    let r = app.update_req(UpdateRequest::module("app", &app_src(&v2)).develop(true));
    committed(&r);
    assert_eq!(r.counts.frames_remapped, 1, "{r}");
    let frames = app.vm.fiber_ids().into_iter().filter_map(|id| {
        let f = app.vm.fiber(id)?;
        f.frames.first().and_then(|fr| app.vm.tables().function(fr.func)).map(|func| func.proto.name.clone())
    });
    assert!(frames.clone().any(|n| n == "app.ticker"), "{:?}", frames.collect::<Vec<_>>());
}

// ---- remap at a loop header: a fiber that never parks ----

const BUSY_V1: &str = "
var count: int = 0
var stop: bool = false
fn busy() {
    let n = 0
    while !stop {
        n += 1
        count = n
    }
}
fn setup() {}
fn start() {
    spawn busy()
}
fn shown() -> str = \"{count}\"
";

#[test]
fn remap_moves_a_fiber_preempted_at_its_loop_header() {
    // `busy` never parks: it is preempted at its loop's back-edge, the loop header, and moved
    // there to the new loop (the k-th loop header of the old version to the k-th of the new),
    // keeping `n`; the new loop counts by tens.
    let mut app = App::new(BUSY_V1);
    let f = app.global("start");
    app.vm.invoke(f, &[]).expect("start");
    for _ in 0..50 {
        app.vm.step();
    }
    let before: i64 = app.call("shown").parse().expect("a count");
    assert!(before > 0, "the fiber ran");
    let v2 = BUSY_V1.replace("        n += 1\n        count = n\n", "        n += 10\n        count = n\n");
    let r = app.update_req(req(&v2, "update app\nremap busy\n").timeout(Duration::from_secs(2)));
    committed(&r);
    assert_eq!(r.counts.frames_remapped, 1, "{r}");
    let at_update: i64 = app.call("shown").parse().expect("a count");
    for _ in 0..50 {
        app.vm.step();
    }
    let after: i64 = app.call("shown").parse().expect("a count");
    assert!(after > at_update, "the moved fiber runs on: {at_update} -> {after}");
    // Every step after the update adds ten: the count kept `n` and runs the new body.
    assert_eq!((after - at_update) % 10, 0, "{at_update} -> {after}");
}
