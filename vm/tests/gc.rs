//! The collector: memory stays bounded under churn, every kind of root keeps its objects alive
//! (collecting after every scheduler step must not change a program's output), finished fibers
//! are forgotten, and the explicit root stack works.

mod common;

use common::{compile, run, run_src, vm_with_output};
use newt_vm::{Obj, Step, Value};

/// Iterations of the churn loops: smaller under `stress-gc`, where every allocation collects.
const CHURN: i64 = if cfg!(feature = "stress-gc") { 20_000 } else { 300_000 };

#[test]
fn churn_of_ten_times_the_live_set_stays_bounded() {
    let live = CHURN / 30;
    let src = format!(
        r#"
        fn main() {{
            let keep: List<List<int>> = []
            for i in 0..{live} {{
                keep.push([i])
            }}
            let total = 0
            for i in 0..{CHURN} {{
                let tmp = [i, i + 1, i + 2]
                total = total + tmp[2]
            }}
            print(keep.len())
            print(total)
        }}
    "#
    );
    let (mut vm, out, _) = vm_with_output(compile(&src), "");
    let outcome = vm.run();
    assert_eq!(outcome.exit_code, 0);
    let total: i64 = (0..CHURN).map(|i| i + 2).sum();
    assert_eq!(out.text(), format!("{live}\n{total}\n"));
    let stats = vm.heap().stats();
    assert!(stats.collections >= 1, "{stats:?}");
    assert!(stats.allocated >= 10 * stats.peak_live_after_gc as u64, "{stats:?}");
    // Far more objects were allocated than the table (which never shrinks) ever held.
    assert!(vm.heap().table_len() < (CHURN / 3) as usize, "table grew to {} ({stats:?})", vm.heap().table_len());
}

#[test]
fn strings_from_concatenation_are_collected() {
    let src = format!(
        r#"
        fn main() {{
            let s = ""
            let n = 0
            for i in 0..{CHURN} {{
                s = "x{{i}}"
                n = n + s.len()
            }}
            print(n)
        }}
    "#
    );
    let (mut vm, out, _) = vm_with_output(compile(&src), "");
    vm.run();
    let n: usize = (0..CHURN).map(|i| 1 + i.to_string().len()).sum();
    assert_eq!(out.text(), format!("{n}\n"));
    assert!(vm.heap().table_len() < (CHURN / 3) as usize, "table grew to {}", vm.heap().table_len());
}

/// A program that keeps values in every kind of root: globals, cells and closures, other fibers'
/// stacks, values parked in channel sends, map keys and values, instance fields.
const ROOTS_PROGRAM: &str = r#"
    import std.time

    class Box {
        items: List<str>
        next: Box? = nil
    }

    var registry: Map<str, Box> = {}

    fn make_adder(k: int) -> fn(int) -> int {
        let base = [k, k * 2]
        return fn(x: int) -> int { return x + base[1] }
    }

    fn producer(c: Chan<List<str>>, n: int) {
        for i in 0..n {
            c.send(["item {i}", "copy {i}"])
        }
        c.close()
    }

    fn main() {
        let c = Chan::<List<str>>(0)
        spawn producer(c, 50)
        let add = make_adder(21)
        let got = 0
        while let batch = c.recv() {
            registry["k{got}"] = Box { items: batch, next: registry.get("k{got - 1}") }
            got = got + 1
            time.sleep(0)
        }
        let last = registry["k49"]
        print(last.items)
        if let n = last.next {
            print(n.items)
        }
        print(add(0))
        print(registry.len())
        let count = 0
        let b: Box? = last
        while let x = b {
            count = count + 1
            b = x.next
        }
        print(count)
    }
"#;

#[test]
fn collecting_after_every_step_changes_nothing() {
    let expected = run_src(ROOTS_PROGRAM);
    assert_eq!(expected.outcome.exit_code, 0, "{}", expected.err);
    let (mut vm, out, err) = vm_with_output(compile(ROOTS_PROGRAM), "");
    let mut collections = 0;
    loop {
        match vm.step() {
            Step::Finished(o) => {
                assert_eq!(o.exit_code, 0, "{}", err.text());
                break;
            }
            Step::Running | Step::Stopped => {
                vm.collect();
                collections += 1;
            }
        }
    }
    assert!(collections > 50);
    assert_eq!(out.text(), expected.out);
}

#[test]
fn finished_unreachable_fibers_are_forgotten() {
    let src = r#"
        fn work(i: int) -> int { return i * 2 }
        fn main() {
            for i in 0..2000 {
                spawn work(i)
            }
            let keep = spawn work(1)
            keep.join()
            print(keep.join())
        }
    "#;
    let (mut vm, out, _) = vm_with_output(compile(src), "");
    loop {
        if let Step::Finished(_) = vm.step() {
            break;
        }
    }
    assert_eq!(out.text(), "true\n");
    vm.collect();
    assert!(vm.fiber_ids().len() < 10, "{} fibers remain", vm.fiber_ids().len());
}

#[test]
fn root_stack_keeps_values_alive() {
    let mut a = common::Asm::new();
    let main = a.main(0);
    a.code(main, vec![newt_compiler::bytecode::Op::ReturnNil]);
    let (mut vm, _, _) = vm_with_output(a.build(), "");
    let s = vm.alloc_str("kept");
    let h = s.handle().expect("a handle");
    vm.root(s);
    vm.collect();
    assert!(matches!(vm.heap().entry(h), Some(Obj::Str(t)) if &**t == "kept"));
    vm.unroot(1);
    vm.collect();
    assert!(matches!(vm.heap().entry(h), Some(Obj::Free(_))));
    assert_eq!(vm.display(Value::Int(3)), "3");
    let _ = run(common::Asm::new().build());
}
