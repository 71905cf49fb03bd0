//! `become` through the handle table: after `become_all(&[(old, new)])` every kind of reference
//! to `old` — instance fields, list elements, map values, stack slots, globals, closure upvalues —
//! reaches the new object, and identity (`==`) holds between old and new references, also after a
//! collection has rewritten the forwarded handles.

mod common;

use common::{compile, vm_with_output};
use newt_vm::heap::Instance;
use newt_vm::{Handle, Obj, Status, Step, Value, Vm, Wait};

const PROGRAM: &str = r#"
    import std.time

    class P {
        x: int
    }

    class Holder {
        p: P
    }

    var g: P = P { x: 0 }

    fn main() {
        let p = P { x: 1 }
        g = p
        let on_stack = p
        let h = Holder { p: p }
        let l = [p]
        let m = {"k": p}
        let captured = p
        let f = fn() -> int { return captured.x }
        time.sleep(5)
        print(on_stack.x)
        print(g.x)
        print(h.p.x)
        print(l[0].x)
        print(m["k"].x)
        print(f())
        print(on_stack == g && h.p == l[0] && m["k"] == captured)
        print(on_stack)
    }
"#;

/// Runs the program until `main` parks in `sleep`.
fn until_parked(vm: &mut Vm) {
    let main = vm.main_fiber().expect("main fiber");
    for _ in 0..1000 {
        if vm.fiber(main).map(|f| f.status) == Some(Status::Parked(Wait::Sleep)) {
            return;
        }
        assert_eq!(vm.step(), Step::Running);
    }
    panic!("main never parked");
}

/// The handle in global `t.g` and a fresh `P { x: 42 }`.
fn old_and_new(vm: &mut Vm, image_slot: u32) -> (Handle, Handle) {
    let Some(Value::Obj(old)) = vm.global(image_slot) else { panic!("g is not an object") };
    let class = match vm.heap().get(old) {
        Obj::Instance(i) => i.class,
        o => panic!("unexpected {o:?}"),
    };
    let new = vm
        .stopped()
        .expect("between steps")
        .heap_mut()
        .alloc(Obj::Instance(Instance::new(class, vec![Value::Int(42)].into_boxed_slice())));
    (old, new)
}

fn check(collect_after: bool) {
    let image = compile(PROGRAM);
    let slot = image.global_slot("t.g").expect("global g");
    let (mut vm, out, err) = vm_with_output(image, "");
    until_parked(&mut vm);
    let (old, new) = old_and_new(&mut vm, slot);
    vm.stopped().expect("between steps").become_all(&[(old, new)]).expect("become");
    assert!(vm.heap().same(old, new));
    if collect_after {
        vm.collect();
        // The forward marker is gone; the old handle now names the new object itself.
        assert!(matches!(vm.heap().entry(new), Some(Obj::Free(_))));
    }
    let outcome = vm.run();
    assert_eq!(outcome.exit_code, 0, "{}", err.text());
    assert_eq!(out.text(), "42\n42\n42\n42\n42\n42\ntrue\nP{x: 42}\n");
}

#[test]
fn every_reference_sees_the_new_object() {
    check(false);
}

#[test]
fn references_stay_right_after_the_collector_rewrites_forwarded_handles() {
    check(true);
}

#[test]
fn become_cost_does_not_depend_on_the_heap_size() {
    // Pairs are applied through the table: a large heap does not make it slower. Checked by
    // counting, not timing: become touches exactly two entries per pair.
    let mut heap = newt_vm::Heap::new();
    for i in 0..100_000 {
        heap.alloc(Obj::Cell(Value::Int(i)));
    }
    let pairs: Vec<(Handle, Handle)> =
        (0..100).map(|i| (heap.alloc(Obj::Cell(Value::Int(i))), heap.alloc(Obj::Cell(Value::Int(-i))))).collect();
    let before = heap.live_count();
    heap.become_all(&pairs).expect("become");
    assert_eq!(heap.live_count(), before, "no allocation, no scan");
    for (old, new) in pairs {
        assert!(heap.same(old, new));
        assert!(matches!(heap.get(old), Obj::Cell(Value::Int(i)) if *i <= 0));
    }
}

#[test]
fn become_with_a_dead_handle_changes_nothing() {
    let mut heap = newt_vm::Heap::new();
    let a = heap.alloc(Obj::Cell(Value::Int(1)));
    assert!(heap.become_all(&[(a, Handle(12345))]).is_err());
    assert!(matches!(heap.get(a), Obj::Cell(Value::Int(1))));
}
