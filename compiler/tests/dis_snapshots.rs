//! Snapshot tests of the bytecode listing for each language construct: source text → checker →
//! code generation → disassembler. Every generated function is also run through the verifier.

use newt_compiler::bytecode::Image;
use newt_compiler::codegen::{generate, stack::verify_image};
use newt_compiler::dis::disassemble_function;
use newt_compiler::loader::MemLoader;
use newt_compiler::types::FuncId;

/// Compiles a one-module program `main`, verifies it, and lists the functions of module `main`.
fn dis(src: &str) -> String {
    let image = compile(src);
    let mut out = String::new();
    for (i, f) in image.functions.iter().enumerate() {
        if f.module == "main" {
            out.push_str(&disassemble_function(&image, FuncId(i as u32)));
            out.push('\n');
        }
    }
    out
}

fn compile(src: &str) -> Image {
    let loader = MemLoader { modules: vec![("main".into(), "main.newt".into(), src.into())], stdlib: None };
    let program = match newt_compiler::check::check_program(&loader, "main") {
        Ok(p) => p,
        Err((diags, sources)) => panic!("{}", newt_compiler::diag::render_all(&diags, &sources)),
    };
    let image = generate(&program).unwrap_or_else(|e| panic!("codegen failed: {e:?}"));
    verify_image(&image).unwrap();
    image
}

/// One snapshot per construct: the source, then the listing of module `main`'s functions.
macro_rules! snap {
    ($name:ident, $src:expr) => {
        #[test]
        fn $name() {
            let src: &str = $src;
            let numbered: String = src.lines().enumerate().map(|(i, l)| format!("{:>3} | {l}\n", i + 1)).collect();
            insta::assert_snapshot!(format!("{numbered}\n{}", dis(src)));
        }
    };
}

snap!(
    arithmetic,
    r#"
fn add(a: int, b: int) -> int { return a + b * 2 - a / b % 3 }
fn main() {
    print(add(1, -2))
    print(5000000000 + -7)
    let f = 1.5 * -2.0 / 3.0
    print(-f)
}
"#
);

snap!(
    strings_and_comparisons,
    r#"
fn main() {
    let s = "a" + "b\n\"q\""
    print(s < "c" && s != "d")
    print(1.5 >= 2.0 || 3 <= 4)
}
"#
);

snap!(
    locals_and_compound_assignment,
    r#"
fn main() {
    let x = 1
    x = x + 2
    x += 3
    x *= 4
    let y = x
    y -= 1
    print(y)
}
"#
);

snap!(
    if_else_chain,
    r#"
fn sign(x: int) -> int {
    if x < 0 {
        return -1
    } else if x == 0 {
        return 0
    } else {
        return 1
    }
}
fn main() { print(sign(3)) }
"#
);

snap!(
    while_counting_loop,
    r#"
fn main() {
    let i = 0
    let total = 0
    while i < 100 {
        total += i
        i += 1
    }
    print(total)
}
"#
);

snap!(
    break_and_continue,
    r#"
fn main() {
    let i = 0
    while true {
        i += 1
        if i % 2 == 0 { continue }
        if i > 9 { break }
        print(i)
    }
}
"#
);

snap!(
    for_range,
    r#"
fn main() {
    let n = 10
    for i in 0..n * 2 {
        print(i)
    }
    for j in 1..3 {
        j += 1
        print(j)
    }
}
"#
);

snap!(
    for_list,
    r#"
fn main() {
    let xs = [1, 2, 3]
    let sum = 0
    for x in xs {
        sum += x
    }
    print(sum)
}
"#
);

snap!(
    for_map,
    r#"
fn main() {
    let m = {"a": 1, "b": 2}
    for k, v in m {
        print("{k}={v}")
    }
    for k in m {
        print(k)
    }
}
"#
);

snap!(
    if_let_and_while_let,
    r#"
fn main() {
    let xs = [1, 2]
    if let x = xs.pop() {
        print(x)
    } else {
        print("empty")
    }
    while let y = xs.pop() {
        print(y)
    }
}
"#
);

snap!(
    logic_in_values_and_conditions,
    r#"
fn main() {
    let a = true
    let b = false
    let c = a && !b
    let d = a || b
    if !(a && b) || c {
        print(d)
    }
}
"#
);

snap!(
    optionals_and_nil_tests,
    r#"
fn first(xs: List<int>) -> int? = xs.get(0)
fn main() {
    let v = first([])
    print(v ?? 7)
    if v == nil { print("none") }
    if v != nil { print("some") }
    let w: int? = nil
    print(w ?? v ?? 0)
}
"#
);

snap!(
    interpolation,
    r#"
fn main() {
    let name = "newt"
    let n = 3
    print("hello {name}, {n + 1} times, {1.5} \{literal}")
    print("{name}")
}
"#
);

snap!(
    lists_and_maps,
    r#"
fn main() {
    let xs = [10, 20, 30]
    xs[0] = xs[1] + xs[2]
    xs[1] += 5
    let m: Map<str, int> = {}
    m["a"] = 1
    m["a"] *= 3
    print(xs)
    print(m["a"])
    print(xs.len() + m.len())
}
"#
);

snap!(
    compound_assignment_evaluates_target_once,
    r#"
fn idx() -> int { return 0 }
class Box { items: List<int> }
fn main() {
    let b = Box { items: [1] }
    b.items[idx()] += 1
    b.items = []
}
"#
);

snap!(
    classes_fields_and_defaults,
    r#"
class Product {
    name: str
    stock: int = 0
    tags: List<str> = []
}
fn main() {
    let p = Product { name: "apple" }
    p.stock += 3
    print(p.name)
    print(Product { name: "pear", stock: 2 })
}
"#
);

snap!(
    methods_and_virtual_calls,
    r#"
class Counter {
    n: int = 0
    fn inc(self, by: int) -> int {
        self.n += by
        return self.n
    }
    fn twice(self) -> int = self.inc(1) + self.inc(1)
}
fn main() {
    let c = Counter {}
    print(c.twice())
}
"#
);

snap!(
    inheritance_and_super,
    r#"
class Product {
    name: str
    stock: int = 5
    fn order(self, qty: int) -> bool {
        if self.stock < qty { return false }
        self.stock -= qty
        return true
    }
}
class Perishable extends Product {
    days_left: int = 7
    fn order(self, qty: int) -> bool {
        if self.days_left == 0 { return false }
        return super.order(qty)
    }
}
fn main() {
    let p: Product = Perishable { name: "milk" }
    print(p.order(2))
}
"#
);

snap!(
    super_inside_lambda,
    r#"
class A {
    fn f(self) -> int = 1
}
class B extends A {
    fn f(self) -> int {
        let g = fn() -> int = super.f() + 1
        return g()
    }
}
fn main() { print(B {}.f()) }
"#
);

snap!(
    closures_capture_by_reference,
    r#"
fn counter() -> fn() -> int {
    let n = 0
    return fn() -> int {
        n += 1
        return n
    }
}
fn adder(x: int) -> fn(int) -> int = fn(y: int) -> int = x + y
fn main() {
    let c = counter()
    print(c())
    print(adder(1)(2))
}
"#
);

snap!(
    nested_lambdas_use_upvalues,
    r#"
fn main() {
    let a = 1
    let f = fn() -> fn() -> int {
        return fn() -> int = a + 1
    }
    a = 5
    print(f()())
}
"#
);

snap!(
    loop_variables_are_fresh_per_iteration,
    r#"
fn main() {
    let fs: List<fn() -> int> = []
    for i in 0..3 {
        let j = i * 10
        fs.push(fn() -> int = i + j)
    }
    for x in [1, 2] {
        fs.push(fn() -> int = x)
    }
    for f in fs { print(f()) }
}
"#
);

snap!(
    function_values,
    r#"
fn double(x: int) -> int = x * 2
class Holder { f: fn(int) -> int }
fn apply(f: fn(int) -> int, x: int) -> int = f(x)
fn main() {
    let g = double
    print(apply(g, 3))
    let h = Holder { f: double }
    print(h.f(4))
}
"#
);

snap!(
    bound_method_and_builtin_values,
    r#"
class Greeter {
    name: str
    fn greet(self, other: str) -> str = "hi {other}, I am {self.name}"
}
fn main() {
    let g = Greeter { name: "a" }.greet
    print(g("b"))
    let p = print
    p(1)
    let xs = [3, 1]
    let push = xs.push
    push(2)
}
"#
);

snap!(
    globals_and_constants,
    r#"
const LIMIT: int = 10
var count: int = LIMIT * 2
var names: List<str> = []
fn bump() {
    count += 1
    names.push("x")
}
fn main() {
    bump()
    count = count - LIMIT
    print(count)
}
"#
);

snap!(
    is_and_as,
    r#"
class Animal {}
class Dog extends Animal {}
fn main() {
    let a: any = 3
    print(a is int)
    print((a as int) + 1)
    let pet: Animal = Dog {}
    print(pet is Dog)
    let d = pet as Dog
    let n: any = nil
    let o = n as int?
    print(d)
    print(o)
}
"#
);

snap!(
    spawn_forms,
    r#"
fn work(n: int) { print(n) }
class Job {
    fn run(self, n: int) { print(n) }
}
fn main() {
    let ch: Chan<int> = Chan(1)
    let f1 = spawn work(1)
    let f2 = spawn Job {}.run(2)
    let g = fn(x: int) { print(x) }
    let f3 = spawn g(3)
    let f4 = spawn ch.send(4)
    print(f1.join() && f2.join() && f3.join() && f4.join())
    print(ch.recv())
}
"#
);

snap!(
    builtin_methods,
    r#"
fn main() {
    let s = " a,b "
    let parts = s.trim().split(",")
    print(parts.join("-"))
    print(s.len().max(3).abs())
    print(2.5.fixed(0))
    print(str(1) + str(2.0))
    assert(parts.len() == 2, "two parts")
}
"#
);

snap!(
    expression_bodies_and_panic_at_end,
    r#"
fn square(x: int) -> int = x * x
fn pick(b: bool) -> int {
    if b { return 1 }
    panic("no")
}
fn main() { print(square(pick(true))) }
"#
);

snap!(
    generic_function,
    r#"
fn map<T, U>(xs: List<T>, f: fn(T) -> U) -> List<U> {
    let out: List<U> = []
    for x in xs { out.push(f(x)) }
    return out
}
fn main() {
    print(map([1, 2], fn(x: int) -> str = "<{x}>"))
}
"#
);

snap!(
    field_defaults_with_functions,
    r#"
fn fresh() -> List<int> { return [1] }
class Config {
    items: List<int> = fresh()
    check: fn(int) -> bool = fn(x: int) -> bool = x > 0
    name: str = "c"
}
class Special extends Config {
    level: int = 2
}
fn main() {
    print(Config {}.items)
    print(Special { name: "s" }.check(1))
}
"#
);

snap!(
    nested_blocks_and_shadowing,
    r#"
fn main() {
    let x = 1
    if x > 0 {
        let x = "inner"
        print(x)
    }
    let x = 2.5
    print(x)
}
"#
);

snap!(
    superinstructions,
    r#"
class P { x: int = 0 }
fn main() {
    let p = P {}
    let n = 0
    n = n + 2
    n = 3 + n
    n -= 1
    n += 100000
    for x in [1, 2, 3] {
        if x == 2 { continue }
        if x >= n { break }
        print(p.x + x)
    }
    for i in 0..n {
        if i == 1 { continue }
    }
}
"#
);

snap!(
    captured_while_let_and_loop_in_lambda,
    r#"
fn main() {
    let q = [1, 2]
    let fs: List<fn() -> int> = []
    while let v = q.pop() {
        fs.push(fn() -> int = v)
    }
    let run = fn() {
        for f in fs { print(f()) }
    }
    run()
}
"#
);

/// The standard library read from disk (the compiler crate does not depend on `newt-stdlib`).
fn stdlib_from_disk(name: &str) -> Option<&'static str> {
    let rel = name.strip_prefix("std.")?.replace('.', "/");
    let path = format!("{}/../stdlib/std/{rel}.newt", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).ok().map(|s| &*Box::leak(s.into_boxed_str()))
}

fn newt_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            newt_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "newt") {
            out.push(p);
        }
    }
}

/// Every program of the conformance suite that the checker accepts (and the whole standard
/// library, which they import) compiles to code the verifier accepts.
#[test]
fn conformance_programs_generate_verified_code() {
    let mut files = Vec::new();
    newt_files(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests"), &mut files);
    files.sort();
    let mut compiled = 0;
    let mut failures = Vec::new();
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        if text.contains("// expect error:") {
            continue;
        }
        let Ok(program) = newt_compiler::check::check_file(path, stdlib_from_disk) else { continue };
        match generate(&program) {
            Ok(image) => match verify_image(&image) {
                Ok(()) => compiled += 1,
                Err(e) => failures.push(format!("{}: {e}", path.display())),
            },
            Err(e) => failures.push(format!("{}: {e:?}", path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("{compiled} programs compiled and verified");
}
