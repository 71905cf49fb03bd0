//! Checker tests for generics (inference from arguments and from the expected type, turbofish,
//! channels, invariance) and for modules (imports, cycles, order, qualified names).

use super::tests::{check_modules, expect_errors, exprs_of, func, ok};
use crate::builtins::Builtin;
use crate::hir::ExprKind;
use crate::types::Type;

#[test]
fn generic_functions_infer_from_arguments() {
    let p = ok("fn map<T, U>(xs: List<T>, f: fn(T) -> U) -> List<U> {
    let out: List<U> = []
    for x in xs { out.push(f(x)) }
    return out
}
fn first<T>(xs: List<T>) -> T? = xs.get(0)
fn empty<T>() -> List<T> = []
fn main() {
    let lens = map([\"a\", \"bb\"], fn(s: str) -> int = s.len())
    let n: int = lens[0]
    let f = first(lens) ?? 0
    let e = empty::<str>()
    let g: List<float> = empty()
    e.push(\"x\")
    print(n + f + g.len())
}
");
    let main = func(&p, "main.main");
    let lens = main.locals.iter().find(|l| l.name == "lens").expect("lens");
    assert_eq!(lens.ty, Type::List(Box::new(Type::Int)));
    let e = main.locals.iter().find(|l| l.name == "e").expect("e");
    assert_eq!(e.ty, Type::List(Box::new(Type::Str)));
}

#[test]
fn generic_inference_failures() {
    expect_errors(
        "fn empty<T>() -> List<T> = []\nfn main() {\n    let e = empty()\n    let c = Chan(1)\n    let x = empty::<int, str>()\n}\n",
        &[
            "3: cannot infer type argument 'T' of empty; write it with ::<...>",
            "4: cannot infer type argument 'T' of Chan; write it with ::<...>",
            "5: expected 1 type argument, found 2",
        ],
    );
}

#[test]
fn channels_from_turbofish_or_expected_type() {
    let p = ok("fn main() {\n    let c: Chan<int> = Chan(1)\n    let d = Chan::<str>(0)\n    c.send(3)\n    d.send(\"a\")\n    let v: int? = c.recv()\n    c.close()\n    print(v)\n}\n");
    let main = func(&p, "main.main");
    let d = main.locals.iter().find(|l| l.name == "d").expect("d");
    assert_eq!(d.ty, Type::Chan(Box::new(Type::Str)));
    let es = exprs_of(main);
    assert!(es.iter().any(|e| matches!(e.kind, ExprKind::CallBuiltin { builtin: Builtin::ChanNew, .. })
        && e.ty == Type::Chan(Box::new(Type::Int))));
    assert!(es
        .iter()
        .any(|e| matches!(&e.kind, ExprKind::CallBuiltin { builtin: Builtin::ChanSend, args } if args.len() == 2)));
    expect_errors("fn main() {\n    let c = Chan::<int>(1)\n    c.send(\"a\")\n}\n", &["3: expected int, found str"]);
}

#[test]
fn generic_classes_infer_from_expected_type_and_fields() {
    let p = ok("class Stack<T> {\n    items: List<T>\n    fn push(self, x: T) { self.items.push(x) }\n    fn pop(self) -> T? = self.items.pop()\n}\nfn main() {\n    let s: Stack<int> = Stack { items: [] }\n    let t = Stack::<str> { items: [] }\n    let u = Stack { items: [1.5] }\n    s.push(1)\n    t.push(\"a\")\n    let x: float = u.pop() ?? 0.0\n    print(x)\n}\n");
    let main = func(&p, "main.main");
    let u = main.locals.iter().find(|l| l.name == "u").expect("u");
    assert_eq!(u.ty, Type::Class(crate::types::ClassId(0), vec![Type::Float]));
    expect_errors(
        "class Stack<T> {\n    items: List<T>\n}\nfn main() {\n    let s = Stack { items: [] }\n    let t: Stack<int> = Stack { items: [\"a\"] }\n}\n",
        &["5: cannot infer type argument 'T' of Stack; write it with ::<...>", "6: expected int, found str"],
    );
}

#[test]
fn generics_are_invariant() {
    expect_errors(
        "fn main() {\n    let a: List<int> = [1]\n    let b: List<any> = a\n    let m: Map<str, int?> = {\"a\": 1}\n    let n: Map<str, int> = m\n}\n",
        &["3: expected List<any>, found List<int>", "5: expected Map<str, int>, found Map<str, int?>"],
    );
}

#[test]
fn generic_function_bodies_treat_params_opaquely() {
    expect_errors(
        "fn f<T>(x: T) -> T {\n    let y: int = x\n    return x\n}\nfn main() {}\n",
        &["2: expected int, found T"],
    );
}

#[test]
fn lambdas_and_function_types() {
    ok("fn apply(f: fn(int) -> int, x: int) -> int = f(x)\nfn twice(x: int) -> int = x * 2\nfn main() {\n    print(apply(twice, 3))\n    print(apply(fn(x: int) -> int { return x + 1 }, 3))\n    let g: fn(int) = fn(x: int) { print(x) }\n    g(1)\n}\n");
    expect_errors(
        "fn apply(f: fn(int) -> int, x: int) -> int = f(x)\nfn main() {\n    print(apply(fn(x: str) -> int = 1, 3))\n    let n = 3\n    n(1)\n}\n",
        &["3: expected fn(int) -> int, found fn(str) -> int", "5: cannot call a value of type int"],
    );
}

#[test]
fn modules_imports_and_order() {
    let (p, msgs) = check_modules(&[
        ("shop", "import shop.model\nimport shop.util as u\nimport shop.model.{Product, total}\nfn main() {\n    let p = Product { name: \"a\" }\n    let q = model.Product { name: \"b\" }\n    print(total([p, q]) + u.twice(model.BASE))\n}\n"),
        ("shop.model", "import shop.util\nconst BASE: int = util.twice(2)\nclass Product {\n    name: str\n    price: int = BASE\n}\nfn total(ps: List<Product>) -> int {\n    let t = 0\n    for p in ps { t += p.price }\n    return t\n}\n"),
        ("shop.util", "fn twice(x: int) -> int = x * 2\n"),
    ]);
    assert!(msgs.is_empty(), "{msgs:?}");
    let order: Vec<&str> = p.modules.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(order, vec!["shop.util", "shop.model", "shop"]);
    assert!(p.classes.iter().any(|c| c.name == "shop.model.Product"));
    assert!(p.functions.iter().any(|f| f.name == "shop.util.twice"));
    assert!(p.globals.iter().any(|g| g.name == "shop.model.BASE"));
    assert_eq!(p.modules[1].imports, vec!["shop.util".to_string()]);
}

#[test]
fn module_errors() {
    let (_, msgs) =
        check_modules(&[("main", "import nope\nimport lib.{missing, f}\nfn main() { f() }\n"), ("lib", "fn f() {}\n")]);
    assert_eq!(
        msgs,
        vec!["main:1: unknown module 'nope'".to_string(), "main:2: module 'lib' has no 'missing'".to_string()]
    );
    let (_, msgs) = check_modules(&[("main", "import a\nfn main() {}\n"), ("a", "import b\n"), ("b", "import a\n")]);
    assert_eq!(msgs, vec!["b:1: import cycle: a -> b -> a".to_string()]);
    let (_, msgs) = check_modules(&[("main", "module other\nfn main() {}\n")]);
    assert_eq!(msgs, vec!["main:1: module name 'other' does not match the file's path 'main'".to_string()]);
    let (_, msgs) = check_modules(&[("main", "import lib\nfn main() { lib.g() }\n"), ("lib", "fn f() {}\n")]);
    assert_eq!(msgs, vec!["main:2: module 'lib' has no 'g'".to_string()]);
}

#[test]
fn errors_in_several_files_are_all_reported() {
    let (_, msgs) = check_modules(&[
        ("main", "import lib\nfn main() {\n    let x: int = \"a\"\n}\n"),
        ("lib", "fn f() -> int {\n    return \"b\"\n}\n"),
    ]);
    assert_eq!(msgs.len(), 2, "{msgs:?}");
}

#[test]
fn generic_functions_calling_generic_functions() {
    ok("fn id<T>(x: T) -> T = x\nfn twice<T>(x: T) -> List<T> = [id(x), id::<T>(x)]\nfn pair<T, U>(a: T, b: U) -> Map<str, any> = {\"a\": a, \"b\": b}\nfn main() {\n    let xs: List<int> = twice(3)\n    print(xs.len())\n    print(pair(1, \"s\"))\n}\n");
}

#[test]
fn nil_needs_a_type() {
    expect_errors(
        "var g = nil\nfn main() {\n    let q = nil\n}\n",
        &["1: cannot infer type of nil; write its type", "3: cannot infer type of nil; write its type"],
    );
}

#[test]
fn same_class_names_in_two_modules_are_shown_qualified() {
    let (_, msgs) = check_modules(&[
        ("main", "import a\nimport b\nfn main() {\n    let x: a.Item = b.Item { }\n}\n"),
        ("a", "class Item { }\n"),
        ("b", "class Item { }\n"),
    ]);
    assert_eq!(msgs, vec!["main:4: expected a.Item, found b.Item".to_string()]);
}
