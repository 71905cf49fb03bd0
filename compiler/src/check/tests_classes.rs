//! Checker tests for classes: layouts, vtables, overrides, `super`, defaults, constructions,
//! method and field calls.

use super::tests::{expect_errors, exprs_of, func, ok};
use crate::hir::ExprKind;
use crate::types::Type;

const SHOP: &str = "class Product {
    name: str
    stock: int = 0
    fn order(self, qty: int) -> bool {
        if self.stock < qty { return false }
        self.stock -= qty
        return true
    }
    fn label(self) -> str = self.name
}

class Perishable extends Product {
    days_left: int = 7
    fn order(self, qty: int) -> bool {
        if self.days_left == 0 { return false }
        return super.order(qty)
    }
    fn expire(self) { self.days_left = 0 }
}

fn main() {
    let p = Perishable { name: \"milk\", stock: 3 }
    let q: Product = p
    print(q.order(2))
    p.expire()
    print(p.label())
}
";

#[test]
fn layout_vtable_and_super() {
    let p = ok(SHOP);
    let prod = &p.classes[0];
    let per = &p.classes[1];
    assert_eq!(prod.name, "main.Product");
    assert_eq!(per.superclass.map(|c| c.0), Some(0));
    let fields: Vec<&str> = per.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(fields, vec!["name", "stock", "days_left"]);
    assert!(per.fields[1].default.is_some(), "inherited default is copied");
    let methods: Vec<&str> = per.methods.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(methods, vec!["order", "label", "expire"]);
    assert_eq!(p.functions[per.methods[0].func.0 as usize].name, "main.Perishable.order");
    assert_eq!(p.functions[per.methods[1].func.0 as usize].name, "main.Product.label");
    let order = func(&p, "main.Perishable.order");
    assert_eq!(order.arity, 2);
    assert_eq!(order.locals[0].name, "self");
    let es = exprs_of(order);
    let sup = es.iter().find_map(|e| match &e.kind {
        ExprKind::CallSuper { class, slot, args } => Some((*class, *slot, args.len())),
        _ => None,
    });
    assert_eq!(sup.map(|(c, s, n)| (c.0, s, n)), Some((0, 0, 2)));
    let main = func(&p, "main.main");
    let es = exprs_of(main);
    assert!(es.iter().any(|e| matches!(e.kind, ExprKind::CallMethod { slot: 0, .. })));
    let cons = es.iter().find_map(|e| match &e.kind {
        ExprKind::Construct { fields, .. } => Some(fields.iter().map(Option::is_some).collect::<Vec<_>>()),
        _ => None,
    });
    assert_eq!(cons, Some(vec![true, true, false]));
}

#[test]
fn bad_override_reported_at_member() {
    expect_errors(
        "class A {\n    fn f(self, x: int) -> int = x\n}\nclass B extends A {\n    x: int = 0\n    fn f(self, x: str) -> int = 1\n}\nfn main() {}\n",
        &["6: method 'f' overrides A.f with a different signature"],
    );
}

#[test]
fn field_errors() {
    expect_errors(
        "class A {\n    x: int\n    y: str = 3\n}\nclass B extends A {\n    x: int\n}\nfn main() {\n    let a = A { }\n    let b = A { x: 1, x: 2, z: 3 }\n    print(a.w)\n}\n",
        &[
            "3: expected str, found int",
            "6: field 'x' is already declared in A",
            "9: missing field 'x' in A",
            "10: field 'x' given twice",
            "10: unknown field 'z' on A",
            "11: unknown field 'w' on A",
        ],
    );
}

#[test]
fn inheritance_cycles_and_unknown_superclass() {
    expect_errors(
        "class A extends B { }\nclass B extends A { }\nclass C extends Nope { }\nfn main() {}\n",
        &["1: class A inherits from itself", "3: unknown type 'Nope'"],
    );
}

#[test]
fn super_misuse() {
    expect_errors(
        "class A {\n    fn f(self) { super.f() }\n}\nclass B extends A {\n    fn g(self) { super.nope() }\n}\nfn main() {}\n",
        &["2: 'super' outside of a method of a subclass", "5: unknown method 'nope' on superclass A"],
    );
}

#[test]
fn function_typed_field_is_called() {
    let p = ok("class Btn {\n    on_click: fn(int) -> str\n    fn press(self) -> str = self.on_click(1)\n}\nfn main() {\n    let b = Btn { on_click: fn(n: int) -> str = str(n) }\n    print(b.on_click(2))\n}\n");
    let es = exprs_of(func(&p, "main.main"));
    assert!(es.iter().any(
        |e| matches!(&e.kind, ExprKind::CallValue { callee, .. } if matches!(callee.kind, ExprKind::Field { .. }))
    ));
}

#[test]
fn subclass_values_flow_into_base_lists() {
    let p = ok("class Base { }\nclass Edit extends Base { }\nfn f(xs: List<Base>) -> int = xs.len()\nfn main() {\n    let edit = Edit { }\n    print(f([edit]))\n}\n");
    let es = exprs_of(func(&p, "main.main"));
    let list_ty = es.iter().find_map(|e| matches!(e.kind, ExprKind::List(_)).then(|| e.ty.clone()));
    assert_eq!(list_ty, Some(Type::List(Box::new(Type::Class(crate::types::ClassId(0), vec![])))));
    expect_errors(
        "class Base { }\nclass Edit extends Base { }\nfn f(xs: List<Base>) -> int = xs.len()\nfn main() {\n    let l = [Edit { }]\n    print(f(l))\n}\n",
        &["6: expected List<Base>, found List<Edit>"],
    );
}

#[test]
fn methods_and_builtin_methods_as_values() {
    let p = ok("class C {\n    n: int\n    fn add(self, k: int) -> int = self.n + k\n}\nfn main() {\n    let c = C { n: 1 }\n    let f = c.add\n    print(f(2))\n    let xs: List<int> = []\n    let push = xs.push\n    push(3)\n    let p = print\n    p(1)\n}\n");
    let main = func(&p, "main.main");
    let recv = main.locals.iter().filter(|l| l.name == "<receiver>").count();
    assert_eq!(recv, 2);
    assert!(main.locals.iter().filter(|l| l.name == "<receiver>").all(|l| l.captured));
}

#[test]
fn generic_class_fields_and_methods_substitute() {
    ok("class Box<T> {\n    value: T\n    fn get(self) -> T = self.value\n    fn set(self, v: T) { self.value = v }\n}\nclass IntBox extends Box<int> {\n    fn double(self) -> int = self.get() * 2\n}\nfn main() {\n    let b = Box { value: 3 }\n    let n: int = b.get() + b.value\n    b.set(4)\n    let i = IntBox { value: 5 }\n    print(i.double() + i.value + n)\n}\n");
    expect_errors(
        "class Box<T> {\n    value: T\n}\nfn main() {\n    let b = Box { value: 3 }\n    b.value = \"s\"\n    let c: Box = b\n    let d: Box<int, int> = b\n    let e: int<str> = 3\n}\n",
        &[
            "6: expected int, found str",
            "7: expected 1 type argument, found 0",
            "8: expected 1 type argument, found 2",
            "9: 'int' takes no type arguments",
        ],
    );
}

#[test]
fn duplicates() {
    expect_errors(
        "fn f() {}\nfn f() {}\nclass A {\n    x: int\n    x: int\n    fn m(self) {}\n    fn m(self) {}\n}\nfn g(a: int, a: int) {}\nfn main() {}\n",
        &[
            "2: duplicate definition of 'f'",
            "5: duplicate definition of 'x'",
            "7: duplicate definition of 'm'",
            "9: duplicate parameter 'a'",
        ],
    );
}

#[test]
fn long_inheritance_chains_do_not_recurse() {
    let n = 5000;
    let mut src = String::from("class C0 {\n    f0: int = 0\n    fn m(self) -> int = 0\n}\n");
    for i in 1..n {
        src.push_str(&format!("class C{i} extends C{} {{ }}\n", i - 1));
    }
    src.push_str(&format!("fn main() {{\n    let c = C{} {{ }}\n    print(c.m() + c.f0)\n}}\n", n - 1));
    let p = ok(&src);
    let last = &p.classes[n - 1];
    assert_eq!(last.fields.len(), 1);
    assert!(last.fields[0].default.is_some());
}

#[test]
fn constructions_evaluate_fields_in_written_order() {
    let p = ok("class P {\n    a: int\n    b: int\n    c: str = \"\"\n}\nfn f(n: int) -> int = n\nfn main() {\n    let x = P { b: f(1), c: \"s\", a: f(2) }\n    let y = P { a: f(1), b: f(2) }\n    print(x.a + y.b)\n}\n");
    let main = func(&p, "main.main");
    let temps: Vec<&str> = main.locals.iter().map(|l| l.name.as_str()).filter(|n| n.starts_with("<field")).collect();
    assert_eq!(temps, vec!["<field b>", "<field a>"]);
    let seqs = exprs_of(main).iter().filter(|e| matches!(e.kind, ExprKind::Seq(..))).count();
    assert_eq!(seqs, 1);
}
