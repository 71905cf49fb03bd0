//! Fibers and the scheduler: spawn/join, channels (rendezvous, buffered, close), timers, deadlock,
//! errors that stop only their fiber, `exit`, preemption, output flushing, and frames as data
//! that Rust code can read and rewrite between steps.

mod common;

use common::{compile, run_src, vm_with_output};
use newt_vm::{Status, Step, Value, Wait};
use std::time::{Duration, Instant};

#[test]
fn spawn_join_and_failed_fibers() {
    let r = run_src(
        r#"
        fn ok(n: int) -> int { return n }
        fn bad(n: int) -> int { return 10 / n }
        fn main() {
            let a = spawn ok(1)
            let b = spawn bad(0)
            print(a.join())
            print(b.join())
            print(b.join())
            print("still running")
        }
    "#,
    );
    assert_eq!(r.out, "true\nfalse\nfalse\nstill running\n");
    assert_eq!(r.outcome.exit_code, 0);
    assert!(r.err.starts_with("error: division by zero\n  at bad (t.newt:3)\n"), "{}", r.err);
}

#[test]
fn rendezvous_channel_hands_values_over_in_order() {
    let r = run_src(
        r#"
        fn produce(c: Chan<int>) {
            for i in 0..5 { c.send(i) }
            c.close()
        }
        fn main() {
            let c = Chan::<int>(0)
            spawn produce(c)
            let got: List<int> = []
            while let v = c.recv() { got.push(v) }
            print(got)
            print(c.recv())
        }
    "#,
    );
    assert_eq!(r.out, "[0, 1, 2, 3, 4]\nnil\n");
}

#[test]
fn send_on_closed_channel_and_parked_sender_woken_by_close() {
    let r = run_src(
        r#"
        import std.time
        fn sender(c: Chan<int>) { c.send(1) }
        fn main() {
            let c = Chan::<int>(0)
            let f = spawn sender(c)
            time.sleep(1)
            c.close()
            print(f.join())
            c.send(2)
        }
    "#,
    );
    assert_eq!(r.out, "false\n");
    assert_eq!(r.outcome.exit_code, 70);
    assert_eq!(r.err.matches("error: send on closed channel").count(), 2, "{}", r.err);
}

#[test]
fn deadlock_is_a_runtime_error_of_main() {
    let r = run_src(
        r#"
        fn main() {
            let c = Chan::<int>(0)
            print("before")
            c.recv()
        }
    "#,
    );
    assert_eq!(r.out, "before\n");
    assert_eq!(r.outcome.exit_code, 70);
    assert!(r.err.starts_with("error: deadlock\n  at main (t.newt:5)"), "{}", r.err);
}

#[test]
fn sleep_orders_fibers_by_deadline_and_really_waits() {
    let start = Instant::now();
    let r = run_src(
        r#"
        import std.time
        fn nap(ms: int, name: str) {
            time.sleep(ms)
            print(name)
        }
        fn main() {
            let a = spawn nap(40, "slow")
            let b = spawn nap(10, "fast")
            a.join()
            b.join()
        }
    "#,
    );
    assert_eq!(r.out, "fast\nslow\n");
    assert!(start.elapsed() >= Duration::from_millis(40));
}

#[test]
fn exit_from_any_fiber_ends_the_program_with_its_code() {
    let r = run_src(
        r#"
        import std.process
        fn quit() { process.exit(3) }
        fn main() {
            print("a")
            spawn quit()
            let c = Chan::<int>(0)
            c.recv()
        }
    "#,
    );
    assert_eq!(r.out, "a\n");
    assert_eq!(r.outcome.exit_code, 3);
    assert_eq!(r.err, "");
}

#[test]
fn a_busy_fiber_does_not_starve_main() {
    let r = run_src(
        r#"
        import std.time
        fn spin() {
            let n = 0
            while true { n = n + 1 }
        }
        fn main() {
            spawn spin()
            time.sleep(20)
            print("main done")
        }
    "#,
    );
    assert_eq!(r.out, "main done\n");
    assert_eq!(r.outcome.exit_code, 0);
}

#[test]
fn stdout_is_flushed_while_a_fiber_keeps_running() {
    let src = r#"
        import std.time
        fn main() {
            print("start")
            let t0 = time.now_ms()
            while time.now_ms() - t0 < 300 { }
            print("end")
        }
    "#;
    let (mut vm, out, _) = vm_with_output(compile(src), "");
    let mut seen_while_running = false;
    loop {
        match vm.step() {
            Step::Finished(_) => break,
            _ => seen_while_running |= out.text() == "start\n",
        }
    }
    assert!(seen_while_running, "output waited for the end");
    assert_eq!(out.text(), "start\nend\n");
}

#[test]
fn frames_builtin_snapshots_functions_lines_and_locals() {
    let r = run_src(
        r#"
        import std.fiber
        fn inner(a: int) {
            let b = a * 2
            let frames = fiber.current().frames()
            for f in frames {
                print("{f.function()} {f.line()} {f.locals()}")
            }
            print(frames[0].local("b"))
            print(frames[1].local("x"))
            frames[0].local("nope")
        }
        fn main() {
            let x = "hello"
            inner(21)
        }
    "#,
    );
    assert_eq!(r.out, "t.inner 5 [\"a\", \"b\"]\nt.main 15 [\"x\"]\n42\nhello\n");
    assert!(r.err.starts_with("error: no local 'nope'"), "{}", r.err);
}

#[test]
fn rust_code_reads_and_rewrites_a_parked_fibers_frames() {
    let src = r#"
        import std.time
        fn worker(a: int) {
            time.sleep(5)
            print(a)
        }
        fn main() {
            let f = spawn worker(1)
            f.join()
        }
    "#;
    let (mut vm, out, _) = vm_with_output(compile(src), "");
    let worker = loop {
        assert_eq!(vm.step(), Step::Running);
        let parked = vm.fiber_ids().into_iter().find(|id| {
            Some(*id) != vm.main_fiber() && vm.fiber(*id).map(|f| f.status) == Some(Status::Parked(Wait::Sleep))
        });
        if let Some(id) = parked {
            break id;
        }
    };
    let fiber = vm.fiber(worker).expect("worker");
    let names: Vec<String> =
        fiber.frames.iter().map(|fr| vm.tables().functions()[fr.func.0 as usize].proto.name.clone()).collect();
    assert_eq!(names, ["t.worker", "std.time.sleep"]);
    // Rewrite the parameter `a` of the worker's frame (local 0 at its base).
    let base = fiber.frames[0].base as usize;
    vm.stopped().expect("between steps").fiber_mut(worker).expect("worker").stack[base] = Value::Int(99);
    assert_eq!(vm.run().exit_code, 0);
    assert_eq!(out.text(), "99\n");
}

#[test]
fn fibers_and_channels_print_as_specified() {
    let r = run_src(
        r#"
        fn nothing() {}
        fn main() {
            let f = spawn nothing()
            print(f)
            print(Chan::<int>(1))
            f.set_name("worker")
            print(f.join())
        }
    "#,
    );
    assert_eq!(r.out, "<fiber 2>\n<chan>\ntrue\n");
}
