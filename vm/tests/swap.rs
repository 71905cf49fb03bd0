//! The replaceable tables: storing another function in a global slot, or replacing a function in
//! place, while a Newt loop keeps calling it — the loop sees the new code at its next call, and a
//! frame already running the old code finishes with it.

mod common;

use common::{compile, vm_with_output};
use newt_compiler::bytecode::Op;
use newt_vm::{Status, Step, Value, Vm, Wait};

const SLEEPY: &str = r#"
    import std.time

    fn version() -> int {
        return 1
    }

    fn main() {
        for i in 0..4 {
            print(version())
            time.sleep(2)
        }
    }
"#;

fn until_parked(vm: &mut Vm) {
    let main = vm.main_fiber().expect("main fiber");
    while vm.fiber(main).map(|f| f.status) != Some(Status::Parked(Wait::Sleep)) {
        assert_eq!(vm.step(), Step::Running);
    }
}

/// A copy of `t.version` that returns `n`.
fn version_returning(vm: &Vm, n: i32) -> newt_compiler::bytecode::FuncProto {
    let old = vm.tables().functions().iter().find(|f| f.proto.name == "t.version").expect("version");
    let mut p = old.proto.clone();
    p.code = vec![Op::Int(n), Op::Return];
    p.lines = vec![5, 5];
    p
}

#[test]
fn new_function_in_the_global_slot_is_called_next_time() {
    let image = compile(SLEEPY);
    let slot = image.global_slot("t.version").expect("slot");
    let (mut vm, out, _) = vm_with_output(image, "");
    until_parked(&mut vm);
    let proto = version_returning(&vm, 2);
    let v2 = vm.stopped().expect("between steps").add_function(proto).expect("verified");
    assert!(vm.stopped().expect("between steps").set_global(slot, Value::Func(v2)));
    assert_eq!(vm.run().exit_code, 0);
    assert_eq!(out.text(), "1\n2\n2\n2\n");
}

#[test]
fn replacing_a_function_in_place_is_seen_by_every_caller() {
    let image = compile(SLEEPY);
    let id = image.function_named("t.version").expect("id");
    let (mut vm, out, _) = vm_with_output(image, "");
    until_parked(&mut vm);
    let proto = version_returning(&vm, 3);
    vm.stopped().expect("between steps").replace_function(id, proto).expect("verified");
    vm.run();
    assert_eq!(out.text(), "1\n3\n3\n3\n");
}

#[test]
fn a_busy_loop_sees_the_swap_between_slices() {
    // No sleeping: the loop is preempted at its back-edges, and the swap happens between two
    // scheduler steps while it is in the middle of its iterations.
    let src = r#"
        fn version() -> int {
            return 1
        }

        fn main() {
            let ones = 0
            let twos = 0
            for i in 0..300000 {
                if version() == 1 { ones = ones + 1 } else { twos = twos + 1 }
            }
            print(ones > 0 && twos > 0)
            print(ones + twos)
        }
    "#;
    let image = compile(src);
    let slot = image.global_slot("t.version").expect("slot");
    let (mut vm, out, _) = vm_with_output(image, "");
    for _ in 0..3 {
        assert_eq!(vm.step(), Step::Running);
    }
    let proto = version_returning(&vm, 2);
    let v2 = vm.stopped().expect("between steps").add_function(proto).expect("verified");
    vm.stopped().expect("between steps").set_global(slot, Value::Func(v2));
    vm.run();
    assert_eq!(out.text(), "true\n300000\n");
}

#[test]
fn a_malformed_replacement_is_refused() {
    let image = compile(SLEEPY);
    let id = image.function_named("t.version").expect("id");
    let (mut vm, _, _) = vm_with_output(image, "");
    let mut p = version_returning(&vm, 1);
    p.code = vec![Op::Return];
    let err = vm.stopped().expect("between steps").replace_function(id, p).expect_err("refused");
    assert!(err.contains("needs 1 operands"), "{err}");
}

#[test]
fn stop_requests_end_the_slice_and_step_reports_stopped() {
    let src = r#"
        fn main() {
            let n = 0
            while n < 1000000 {
                n = n + 1
            }
            print(n)
        }
    "#;
    let (mut vm, out, _) = vm_with_output(compile(src), "");
    assert_eq!(vm.step(), Step::Running);
    vm.stop_handle().store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(vm.step(), Step::Stopped);
    // Stopped: nothing ran, main is runnable and resumes where it was.
    let main = vm.main_fiber().expect("main");
    assert_eq!(vm.fiber(main).map(|f| f.status), Some(Status::Runnable));
    vm.request_stop();
    assert_eq!(vm.step(), Step::Stopped);
    assert_eq!(vm.run().exit_code, 0);
    assert_eq!(out.text(), "1000000\n");
}
