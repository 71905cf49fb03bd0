//! Checker tests on inline sources: basics, operators, optionals, statements, missing return,
//! captures. Helpers shared by the other test files live here.

use super::check;
use crate::hir::{self, ExprKind, Program};
use crate::loader::MemLoader;
use crate::types::Type;

/// Checks modules given as (name, source); the first is the root.
pub(super) fn check_modules(mods: &[(&str, &str)]) -> (Program, Vec<String>) {
    let loader = MemLoader {
        modules: mods
            .iter()
            .map(|(n, t)| (n.to_string(), format!("{}.newt", n.replace('.', "/")), t.to_string()))
            .collect(),
        stdlib: None,
    };
    let (prog, diags) = check(&loader, mods[0].0);
    let msgs = diags
        .iter()
        .map(|d| {
            let f = prog.sources.file(d.span.file);
            let (line, _) = f.line_col(d.span.start);
            format!("{}:{}: {}", f.module, line, d.message)
        })
        .collect();
    (prog, msgs)
}

/// Checks one root module `main`; returns `line: message` of each error.
pub(super) fn errors(src: &str) -> Vec<String> {
    let (_, msgs) = check_modules(&[("main", src)]);
    msgs.into_iter().map(|m| m.trim_start_matches("main:").to_string()).collect()
}

/// Checks a program that must have no errors.
pub(super) fn ok(src: &str) -> Program {
    let (prog, msgs) = check_modules(&[("main", src)]);
    assert!(msgs.is_empty(), "unexpected errors: {msgs:#?}");
    prog
}

/// Asserts that checking reports exactly these `line: message` errors.
pub(super) fn expect_errors(src: &str, want: &[&str]) {
    let got = errors(src);
    let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    assert_eq!(got, want, "source:\n{src}");
}

/// The function with this qualified name.
pub(super) fn func<'p>(p: &'p Program, name: &str) -> &'p hir::Function {
    p.functions.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no function {name}"))
}

/// Visits every expression of a block, depth first.
pub(super) fn walk_exprs(b: &hir::Block, f: &mut dyn FnMut(&hir::Expr)) {
    for s in &b.stmts {
        walk_stmt(s, f);
    }
}

fn walk_stmt(s: &hir::Stmt, f: &mut dyn FnMut(&hir::Expr)) {
    match s {
        hir::Stmt::Let { init, .. } => walk_expr(init, f),
        hir::Stmt::Assign { value, .. } => walk_expr(value, f),
        hir::Stmt::If { cond, then, else_, .. } => {
            walk_expr(cond, f);
            walk_exprs(then, f);
            if let Some(e) = else_ {
                walk_exprs(e, f);
            }
        }
        hir::Stmt::IfLet { value, then, else_, .. } => {
            walk_expr(value, f);
            walk_exprs(then, f);
            if let Some(e) = else_ {
                walk_exprs(e, f);
            }
        }
        hir::Stmt::While { cond: e, body, .. }
        | hir::Stmt::WhileLet { value: e, body, .. }
        | hir::Stmt::ForList { list: e, body, .. }
        | hir::Stmt::ForMap { map: e, body, .. } => {
            walk_expr(e, f);
            walk_exprs(body, f);
        }
        hir::Stmt::ForRange { start, end, body, .. } => {
            walk_expr(start, f);
            walk_expr(end, f);
            walk_exprs(body, f);
        }
        hir::Stmt::Return { value: Some(e), .. } | hir::Stmt::Expr(e) => walk_expr(e, f),
        hir::Stmt::Block(b) => walk_exprs(b, f),
        _ => {}
    }
}

fn walk_expr(e: &hir::Expr, f: &mut dyn FnMut(&hir::Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Interp(xs) | ExprKind::List(xs) => xs.iter().for_each(|x| walk_expr(x, f)),
        ExprKind::CallFunc { args, .. } | ExprKind::CallSuper { args, .. } | ExprKind::CallBuiltin { args, .. } => {
            args.iter().for_each(|x| walk_expr(x, f))
        }
        ExprKind::CallMethod { recv, args, .. } => {
            walk_expr(recv, f);
            args.iter().for_each(|x| walk_expr(x, f));
        }
        ExprKind::CallValue { callee, args } => {
            walk_expr(callee, f);
            args.iter().for_each(|x| walk_expr(x, f));
        }
        ExprKind::Field { obj, .. } | ExprKind::Unary { expr: obj, .. } => walk_expr(obj, f),
        ExprKind::Is { expr, .. } | ExprKind::As { expr, .. } | ExprKind::Spawn(expr) => walk_expr(expr, f),
        ExprKind::Index { obj, index, .. } => {
            walk_expr(obj, f);
            walk_expr(index, f);
        }
        ExprKind::Binary { lhs, rhs, .. }
        | ExprKind::And(lhs, rhs)
        | ExprKind::Or(lhs, rhs)
        | ExprKind::Coalesce(lhs, rhs) => {
            walk_expr(lhs, f);
            walk_expr(rhs, f);
        }
        ExprKind::Construct { fields, .. } => fields.iter().flatten().for_each(|x| walk_expr(x, f)),
        ExprKind::Map(kvs) => kvs.iter().for_each(|(k, v)| {
            walk_expr(k, f);
            walk_expr(v, f);
        }),
        ExprKind::Seq(stmts, e) => {
            stmts.iter().for_each(|s| walk_stmt(s, f));
            walk_expr(e, f);
        }
        _ => {}
    }
}

/// Every expression of a function's body.
pub(super) fn exprs_of(func: &hir::Function) -> Vec<hir::Expr> {
    let mut out = Vec::new();
    walk_exprs(&func.body, &mut |e| out.push(e.clone()));
    out
}

#[test]
fn hello_program_checks_with_typed_ops_and_main() {
    let p = ok("fn add(a: int, b: int) -> int { return a + b }\nfn main() {\n    print(add(1, 2) * 3)\n    let s = \"a\" + \"b\"\n    let f = 1.5 / 2.0\n}\n");
    let main = func(&p, "main.main");
    assert_eq!(p.main.map(|m| p.functions[m.0 as usize].name.as_str()), Some("main.main"));
    let es = exprs_of(main);
    assert!(es
        .iter()
        .any(|e| matches!(e.kind, ExprKind::CallBuiltin { builtin: crate::builtins::Builtin::Print, .. })));
    assert!(es.iter().any(|e| matches!(e.kind, ExprKind::Binary { op: hir::BinOp::MulInt, .. })));
    assert!(es.iter().any(|e| matches!(e.kind, ExprKind::Binary { op: hir::BinOp::Concat, .. })));
    assert!(es.iter().any(|e| matches!(e.kind, ExprKind::Binary { op: hir::BinOp::DivFloat, .. })));
    assert!(es.iter().any(|e| matches!(e.kind, ExprKind::CallFunc { .. })));
    let add = func(&p, "main.add");
    assert_eq!(add.params, vec![Type::Int, Type::Int]);
    assert_eq!(add.arity, 2);
    assert_eq!(add.locals.len(), 2);
}

#[test]
fn basic_type_errors() {
    expect_errors(
        "fn main() {\n    let x: int = \"a\"\n    let y = 1 + 2.0\n    let z = -true\n    print(w)\n}\n",
        &[
            "2: expected int, found str",
            "3: cannot apply '+' to int and float",
            "4: cannot apply '-' to bool",
            "5: unknown name 'w'",
        ],
    );
}

#[test]
fn no_main_and_bad_main() {
    expect_errors("fn f() {}\n", &["1: no 'main' function in the root module"]);
    expect_errors("fn main(x: int) {}\n", &["1: 'main' must take no parameters and return nothing"]);
}

#[test]
fn conversions_accept_only_numbers() {
    ok("fn main() {\n    let a = int(2.5)\n    let b = float(3)\n    let c = int(4)\n    print(a + c)\n    print(b)\n}\n");
    expect_errors("fn main() {\n    let a = int(\"3\")\n}\n", &["2: cannot convert str to int"]);
    expect_errors("fn main() {\n    let a = float(true)\n}\n", &["2: cannot convert bool to float"]);
}

#[test]
fn optionals() {
    ok("fn main() {
    let a: int? = nil
    let b = a ?? 3
    let c: int = b + 1
    if let v = a { print(v + 1) }
    if a == nil { print(\"none\") }
    if a != 4 { print(c) }
    let xs = [1, 2]
    while let x = xs.pop() { print(x) }
    let d: int? = 5
    let e: str? = \"x\"
    print(e ?? \"y\")
    print(d)
}
");
    expect_errors(
        "fn main() {\n    let a: int? = nil\n    let b: int = a\n    let c = 5 ?? 3\n    if let x = 4 { }\n    print(5 == nil)\n}\n",
        &[
            "3: expected int, found int?",
            "4: expected an optional, found int",
            "5: expected an optional, found int",
            "6: cannot compare int with nil",
        ],
    );
}

#[test]
fn optional_member_access_is_reported() {
    expect_errors(
        "class P { x: int }\nfn main() {\n    let p: P? = nil\n    print(p.x)\n    p.go()\n}\n",
        &[
            "4: cannot access 'x' on optional P?; unwrap it with ?? or if let",
            "5: cannot access 'go' on optional P?; unwrap it with ?? or if let",
        ],
    );
}

#[test]
fn comparisons() {
    ok("class A { }\nclass B extends A { }\nfn main() {\n    let a = A { }\n    let b = B { }\n    print(a == b)\n    print(1 == 2)\n    print(\"a\" != \"b\")\n    let x: any = 3\n    print(x == 3)\n    let f = main\n    print(f == main)\n}\n");
    expect_errors(
        "class A { }\nclass C { }\nfn main() {\n    print(A { } == C { })\n    print(1 == \"a\")\n    print(1 == 1.0)\n}\n",
        &["4: cannot compare A with C", "5: cannot compare int with str", "6: cannot compare int with float"],
    );
}

#[test]
fn missing_return_detection() {
    ok("fn a(x: int) -> int {\n    if x > 0 { return 1 } else { return 2 }\n}\nfn b() -> int {\n    while true { }\n}\nfn c() -> int {\n    panic(\"no\")\n}\nfn d(x: int) -> int {\n    if x > 0 { return 1 }\n    return 0\n}\nfn main() {}\n");
    expect_errors(
        "fn a(x: int) -> int {\n    if x > 0 { return 1 }\n}\nfn b() -> int {\n    while true { break }\n}\nfn main() {}\n",
        &["1: missing return in 'a' (returns int)", "4: missing return in 'b' (returns int)"],
    );
}

#[test]
fn return_rules() {
    expect_errors(
        "fn a() -> int {\n    return\n}\nfn b() {\n    return 3\n}\nfn main() {}\n",
        &["2: missing return value: 'a' returns int", "5: unexpected return value in 'b', which returns nothing"],
    );
}

#[test]
fn break_continue_self_outside() {
    expect_errors(
        "fn main() {\n    break\n    continue\n    print(self)\n    while true { let f = fn() { break } }\n}\n",
        &[
            "2: 'break' outside of a loop",
            "3: 'continue' outside of a loop",
            "4: 'self' outside of a method",
            "5: 'break' outside of a loop",
        ],
    );
}

#[test]
fn globals_and_constants() {
    let p = ok("const N: int = 3\nvar names: List<str> = []\nvar count = N + 1\nfn main() {\n    names.push(\"a\")\n    count += 1\n    print(N)\n}\n");
    assert_eq!(p.globals.len(), 3);
    assert_eq!(p.globals[2].ty, Type::Int);
    assert_eq!(p.globals[1].ty, Type::List(Box::new(Type::Str)));
    assert!(p.globals[0].is_const);
    expect_errors("const N: int = 3\nfn main() {\n    N = 4\n}\n", &["3: cannot assign to constant 'N'"]);
}

#[test]
fn assignment_targets() {
    expect_errors(
        "fn f() {}\nfn main() {\n    f = 3\n    1 = 2\n    let x = 1\n    x = \"s\"\n    x += 1.5\n}\n",
        &[
            "3: cannot assign to this expression",
            "4: cannot assign to this expression",
            "6: expected int, found str",
            "7: cannot apply '+' to int and float",
        ],
    );
}

#[test]
fn closures_capture_by_reference_with_chains() {
    let p = ok("fn main() {
    let n = 0
    let inc = fn() { n += 1 }
    for i in 0..3 {
        let k = i
        let g = fn() -> fn() -> int {
            return fn() -> int = k + n
        }
        print(g()())
    }
    inc()
}
");
    let main = func(&p, "main.main");
    let n = main.locals.iter().find(|l| l.name == "n").expect("n");
    assert!(n.captured);
    let k = main.locals.iter().find(|l| l.name == "k").expect("k");
    assert!(k.captured);
    let i = main.locals.iter().find(|l| l.name == "i").expect("i");
    assert!(!i.captured);
    let inc = func(&p, "main.main.<lambda 0>");
    assert_eq!(inc.captures.len(), 1);
    let g = func(&p, "main.main.<lambda 1>");
    let inner = func(&p, "main.main.<lambda 1>.<lambda 0>");
    assert_eq!(inner.captures, vec![hir::Capture::Capture(0), hir::Capture::Capture(1)]);
    assert_eq!(g.captures.len(), 2);
    assert!(matches!(g.captures[0], hir::Capture::Local(_)));
    assert!(matches!(inner.kind, hir::FunctionKind::Lambda { index: 0, .. }));
}

#[test]
fn loops_and_iteration() {
    ok("fn main() {\n    let m: Map<str, int> = {}\n    m[\"a\"] = 1\n    for k, v in m { print(k + str(v)) }\n    for k in m { print(k) }\n    for x in [1.0, 2.0] { print(x * 2.0) }\n    for i in 0..m.len() { print(i) }\n}\n");
    expect_errors(
        "fn main() {\n    for x in 5 { }\n    for i in 0..\"a\" { }\n    while 1 { }\n}\n",
        &["2: cannot iterate over int", "3: expected int, found str", "4: expected bool, found int"],
    );
}

#[test]
fn list_and_map_literals_need_types() {
    expect_errors(
        "fn main() {\n    let a = []\n    let b = {}\n    let c = [1, \"a\"]\n}\n",
        &[
            "2: cannot infer type of empty list; write its type",
            "3: cannot infer type of empty map; write its type",
            "4: expected int, found str",
        ],
    );
    ok("fn main() {\n    let a: List<int> = []\n    let b: Map<str, List<int>> = {\"x\": []}\n    let c = [nil, 1]\n    let d: int? = c[0]\n    print(a.len() + b.len())\n    print(d)\n}\n");
}

#[test]
fn builtin_methods() {
    ok("fn main() {
    let xs = [3, 1, 2]
    xs.sort()
    let words = \"a b\".split(\" \")
    print(words.join(\",\"))
    let first: int? = xs.get(0)
    let m = {\"a\": 1}
    let ks: List<str> = m.keys()
    print(ks.len() + (m.get(\"a\") ?? 0) + (first ?? 0))
    print(2.5.fixed(1).len() + 3.abs())
    let f = spawn main()
    print(f.join())
    let fr = f.frames()
    print(fr.len())
}
");
    expect_errors(
        "class P { }\nfn main() {\n    let ps = [P { }]\n    ps.sort()\n    print([1].join(\",\"))\n    [1].nope()\n}\n",
        &[
            "4: sort needs a list of int, float or str, found List<P>",
            "5: join needs a List<str>, found List<int>",
            "6: unknown method 'nope' on List<int>",
        ],
    );
}

#[test]
fn argument_counts() {
    expect_errors(
        "fn f(a: int) {}\nfn main() {\n    f()\n    f(1, 2)\n    print(1, 2)\n}\n",
        &["3: expected 1 argument, found 0", "4: expected 1 argument, found 2", "5: expected 1 argument, found 2"],
    );
}

#[test]
fn natives_are_std_only() {
    expect_errors("fn main() {\n    print(__time_now_ms())\n}\n", &["2: unknown name '__time_now_ms'"]);
    let (p, msgs) = check_modules(&[
        ("main", "import std.clock\nfn main() { print(clock.now()) }\n"),
        ("std.clock", "fn now() -> int = __time_now_ms()\n"),
    ]);
    assert!(msgs.is_empty(), "{msgs:?}");
    assert!(p.functions.iter().any(|f| f.name == "std.clock.now"));
}

#[test]
fn spawn_needs_a_call() {
    expect_errors("fn main() {\n    let f = spawn 3\n}\n", &["2: spawn needs a function call"]);
    let p = ok("fn work(n: int) {}\nfn main() {\n    let f = spawn work(3)\n    f.join()\n}\n");
    let es = exprs_of(func(&p, "main.main"));
    assert!(es.iter().any(|e| matches!(&e.kind, ExprKind::Spawn(c) if matches!(c.kind, ExprKind::CallFunc { .. }))));
}

#[test]
fn is_and_as() {
    let p = ok("class A { }\nclass B extends A { }\nfn main() {\n    let a: A = B { }\n    if a is B { print(1) }\n    let b = a as B\n    let x: any = 3\n    let n = x as int\n    let m = x as int?\n    print(n + (m ?? 0))\n    print(b)\n}\n");
    let es = exprs_of(func(&p, "main.main"));
    assert!(es.iter().any(|e| matches!(e.kind, ExprKind::As { nullable: true, .. }) && e.ty == Type::Int.optional()));
    expect_errors(
        "class A { }\nclass C { }\nfn main() {\n    let a = A { }\n    print(a is C)\n    print(3 as str)\n}\n",
        &["5: cannot cast A to C: the cast can never succeed", "6: cannot cast int to str: the cast can never succeed"],
    );
}

#[test]
fn any_needs_a_cast() {
    expect_errors(
        "fn main() {\n    let x: any = 3\n    let y: int = x\n    print(x + 1)\n}\n",
        &["3: expected int, found any", "4: cannot apply '+' to any and int"],
    );
}

#[test]
fn deep_nesting_is_reported_not_crashed() {
    let depth = 2000;
    let src = format!("fn main() {{\n    let x = {}1{}\n}}\n", "(".repeat(depth), ")".repeat(depth));
    let errs = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || errors(&src))
        .expect("thread")
        .join()
        .expect("no panic");
    assert!(!errs.is_empty());
}

#[test]
fn deep_binary_chain_within_limit_checks() {
    let src = format!("fn main() {{\n    let x = 1{}\n    print(x)\n}}\n", " + 1".repeat(250));
    ok(&src);
}

#[test]
fn interpolation_and_str_accept_anything() {
    ok("class P { x: int }\nfn main() {\n    let p = P { x: 1 }\n    print(\"p = {p} {p.x + 1} {[1, 2]}\")\n    let s: str = str(p)\n    print(s)\n}\n");
    expect_errors("fn f() {}\nfn main() {\n    print(f())\n}\n", &["3: expected any, found nothing"]);
}

#[test]
fn hashes_are_deterministic_and_sensitive() {
    let src = "class P { x: int }\nvar g = 1\nfn main() { print(g) }\n";
    let a = ok(src);
    let b = ok(src);
    assert_eq!(a.functions[0].hash, b.functions[0].hash);
    assert_eq!(a.classes[0].hash, b.classes[0].hash);
    assert_eq!(a.globals[0].hash, b.globals[0].hash);
    let c = ok("class P { x: float }\nvar g = 2\nfn main() { print(g + 1) }\n");
    assert_ne!(a.classes[0].hash, c.classes[0].hash);
    assert_ne!(a.globals[0].hash, c.globals[0].hash);
    let fa = func(&a, "main.main").hash;
    let fc = func(&c, "main.main").hash;
    assert_ne!(fa, fc);
}

#[test]
fn deeply_nested_lambdas_fit_the_default_test_stack() {
    let depth = 100;
    let mut src = String::from("fn main() {\n");
    for _ in 0..depth {
        src.push_str("let f = fn() {\n");
    }
    src.push_str("print(1)\n");
    for _ in 0..depth {
        src.push_str("}\n");
    }
    src.push_str("}\n");
    let errs = errors(&src);
    assert!(errs.iter().all(|e| e.contains("nesting too deep")), "{errs:?}");
}
