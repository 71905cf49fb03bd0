//! Criterion micro-benchmarks of the VM's core: instruction dispatch (an int loop, calls, method
//! calls, field access), allocation, the collector, and `become`. Programs are compiled from Newt
//! source once per benchmark; each iteration runs a fresh VM, so the numbers include loading
//! (a few microseconds) but not compiling.
//!
//! Run with `cargo bench -p newt-vm` (add `-- dispatch` to run one group).

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use newt_compiler::bytecode::Image;
use newt_compiler::types::ClassId;
use newt_vm::heap::Instance;
use newt_vm::{Handle, Heap, Io, Obj, Value, Vm, VmOptions};
use std::time::{Duration, Instant};

fn compile(src: &str) -> Image {
    let loader = newt_compiler::loader::MemLoader {
        modules: vec![("b".into(), "b.newt".into(), src.into())],
        stdlib: Some(newt_stdlib::source),
    };
    let program = match newt_compiler::check::check_program(&loader, "b") {
        Ok(p) => p,
        Err((diags, sources)) => panic!("{}", newt_compiler::diag::render_all(&diags, &sources)),
    };
    match newt_compiler::codegen::generate(&program) {
        Ok(image) => image,
        Err(diags) => panic!("{}", newt_compiler::diag::render_all(&diags, &program.sources)),
    }
}

fn quiet_vm(image: Image) -> Vm {
    let io = Io::new(Box::new(std::io::sink()), Box::new(std::io::sink()), Box::new(std::io::empty()));
    Vm::with_options(image, Vec::new(), VmOptions { io })
}

fn run_program(c: &mut Criterion, group: &str, name: &str, src: &str) {
    let image = compile(src);
    c.benchmark_group(group).bench_function(name, |b| {
        b.iter_batched(
            || quiet_vm(image.clone()),
            |mut vm| assert_eq!(black_box(vm.run()).exit_code, 0),
            BatchSize::SmallInput,
        )
    });
}

fn dispatch(c: &mut Criterion) {
    run_program(
        c,
        "dispatch",
        "int_loop_100k",
        "fn main() { let s = 0\n let i = 0\n while i < 100000 { s = s + i * 2 - 1\n i = i + 1 }\n print(s) }",
    );
    run_program(
        c,
        "dispatch",
        "fib_20",
        "fn fib(n: int) -> int { if n < 2 { return n }\n return fib(n - 1) + fib(n - 2) }\nfn main() { print(fib(20)) }",
    );
    run_program(
        c,
        "dispatch",
        "method_and_field_100k",
        "class C {\n n: int\n fn bump(self) -> int { self.n = self.n + 1\n return self.n } }\n\
         fn main() { let c = C { n: 0 }\n for i in 0..100000 { c.bump() }\n print(c.n) }",
    );
}

fn allocation(c: &mut Criterion) {
    run_program(
        c,
        "allocation",
        "lists_100k",
        "fn main() { let t = 0\n for i in 0..100000 { let l = [i, i]\n t = t + l[1] }\n print(t) }",
    );
    run_program(
        c,
        "allocation",
        "instances_100k",
        "class P {\n x: int\n y: int }\nfn main() { let t = 0\n for i in 0..100000 { let p = P { x: i, y: 1 }\n t = t + p.y }\n print(t) }",
    );
    run_program(
        c,
        "allocation",
        "strings_20k",
        "fn main() { let n = 0\n for i in 0..20000 { let s = \"item {i}\"\n n = n + s.len() }\n print(n) }",
    );
}

fn gc(c: &mut Criterion) {
    // A full collection with 100k live objects (a list of 50k two-element lists, ...).
    let src = "var keep: List<List<int>> = []\nfn main() { for i in 0..50000 { keep.push([i, i]) } }";
    let mut vm = quiet_vm(compile(src));
    vm.run();
    c.benchmark_group("gc").bench_function("collect_100k_live", |b| b.iter(|| vm.collect()));
}

fn become_bench(c: &mut Criterion) {
    // 1000 pairs in a heap of 10k and of 1M objects: the cost is per pair, not per object.
    for size in [10_000usize, 1_000_000] {
        let mut heap = Heap::new();
        let cells: Vec<Value> = (0..size).map(|i| Value::Obj(heap.alloc(Obj::Cell(Value::Int(i as i64))))).collect();
        let base = heap.alloc(Obj::List(cells));
        c.benchmark_group("become").bench_function(format!("1000_pairs_heap_{size}"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for i in 0..iters {
                    if i % 256 == 0 {
                        // Free the pairs of earlier iterations (untimed) so memory stays flat.
                        heap.collect_with_roots(&[base]);
                    }
                    let pairs: Vec<(Handle, Handle)> = (0..1000)
                        .map(|i| {
                            let fields = vec![Value::Int(i)].into_boxed_slice();
                            let old = heap.alloc(Obj::Instance(Instance::new(ClassId(0), fields)));
                            (old, heap.alloc(Obj::Cell(Value::Int(i))))
                        })
                        .collect();
                    let start = Instant::now();
                    heap.become_all(black_box(&pairs)).expect("live handles");
                    total += start.elapsed();
                }
                total
            })
        });
    }
}

criterion_group!(benches, dispatch, allocation, gc, become_bench);
criterion_main!(benches);
