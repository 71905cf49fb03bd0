//! Figures for the update engine (ignored by default; run in release):
//! `cargo test --release -p newt-vm --test update_bench -- --ignored --nocapture`
//! Prints the pause and its parts for N migrated instances, and for 1,000 migrated instances in a
//! heap of many unrelated objects (the pause should not grow with the heap: today it does, because
//! staging collects and scans the heap for instances).

use newt_compiler::loader::MemLoader;
use newt_vm::{Io, Outcome, SharedBuf, Status, UpdateRequest, Vm, VmOptions};

fn program(n: usize, other: usize, v2: bool) -> String {
    let field = if v2 { "    mark: float = 0.0\n" } else { "" };
    format!(
        "import std.time
class Item {{
    id: int
    name: str
{field}}}
class Other {{ v: int }}
var items: List<Item> = []
var others: List<Other> = []
fn setup() {{
    for i in 0..{n} {{
        items.push(Item {{ id: i, name: \"x\" }})
    }}
    for i in 0..{other} {{
        others.push(Other {{ v: i }})
    }}
}}
fn main() {{
    setup()
    while true {{
        time.sleep(5)
    }}
}}
"
    )
}

fn vm_for(src: &str) -> Vm {
    let loader =
        MemLoader { modules: vec![("app".into(), "app.newt".into(), src.into())], stdlib: Some(newt_stdlib::source) };
    let program = newt_compiler::check::check_program(&loader, "app").unwrap_or_else(|_| panic!("compile"));
    let image = newt_compiler::codegen::generate(&program).unwrap_or_else(|_| panic!("codegen"));
    let io =
        Io::new(Box::new(SharedBuf::new()), Box::new(SharedBuf::new()), Box::new(std::io::Cursor::new(Vec::new())));
    let mut vm = Vm::with_options(image, vec![], VmOptions { io });
    let main = vm.main_fiber().unwrap();
    while !matches!(vm.fiber(main).map(|f| f.status), Some(Status::Parked(_))) {
        vm.step();
    }
    vm
}

fn measure(n: usize, other: usize) {
    let mut vm = vm_for(&program(n, other, false));
    let r = vm.update(UpdateRequest::module("app", &program(n, other, true)));
    assert_eq!(r.outcome, Outcome::Committed, "{r}");
    assert_eq!(r.counts.instances_migrated, n);
    let t = r.timings;
    println!(
        "{n:>9} instances, {other:>9} other objects: analyse {:>7} us, pause {:>8} us (commit {:>6} us)",
        t.analyse_us, t.pause_us, t.commit_us
    );
}

#[test]
#[ignore]
fn migration_figures() {
    for n in [1_000, 10_000, 100_000, 1_000_000] {
        measure(n, 0);
    }
    for other in [100_000, 1_000_000] {
        measure(1_000, other);
    }
}
