//! The dispatch loop on hand-assembled images: arithmetic and its errors, calls and recursion
//! depth, closures, classes, globals, containers, casts, and the runtime-error report format.

mod common;

use common::{bi, run, Asm};
use newt_compiler::builtins::Builtin as B;
use newt_compiler::bytecode::{CaptureSrc, Constant, Op};
use newt_compiler::types::{ClassId, RtType};

/// main() { print(<value computed by `code`>) }
fn print_of(code: Vec<Op>, consts: Vec<Constant>) -> common::Ran {
    let mut a = Asm::new();
    let main = a.main(4);
    for c in consts {
        a.konst(main, c);
    }
    let mut code = code;
    code.extend([bi(B::Print), Op::Pop, Op::ReturnNil]);
    a.code(main, code);
    run(a.build())
}

#[test]
fn hello_world() {
    let r = print_of(vec![Op::Const(0)], vec![Constant::Str("hello".into())]);
    assert_eq!(r.out, "hello\n");
    assert_eq!(r.outcome.exit_code, 0);
    assert_eq!(r.err, "");
}

#[test]
fn int_and_float_arithmetic() {
    let r = print_of(vec![Op::Int(7), Op::Int(-2), Op::DivInt], vec![]);
    assert_eq!(r.out, "-3\n", "division truncates toward zero");
    let r = print_of(vec![Op::Int(-7), Op::Int(2), Op::RemInt], vec![]);
    assert_eq!(r.out, "-1\n", "remainder takes the dividend's sign");
    let r = print_of(vec![Op::Const(0), Op::Const(1), Op::DivFloat], vec![Constant::Float(1.0), Constant::Float(0.0)]);
    assert_eq!(r.out, "inf\n");
    let r = print_of(vec![Op::Const(0), Op::Const(1), Op::AddFloat], vec![Constant::Float(0.1), Constant::Float(0.2)]);
    assert_eq!(r.out, "0.30000000000000004\n");
    let r = print_of(vec![Op::Int(3), Op::Int(4), Op::LtInt], vec![]);
    assert_eq!(r.out, "true\n");
}

#[test]
fn integer_errors_use_the_catalogue_words() {
    let r = print_of(vec![Op::Const(0), Op::Int(1), Op::AddInt], vec![Constant::Int(i64::MAX)]);
    assert_eq!(r.outcome.exit_code, 70);
    assert_eq!(r.err, "error: integer overflow\n  at main (t.newt:3)\n");
    let r = print_of(vec![Op::Int(1), Op::Int(0), Op::DivInt], vec![]);
    assert!(r.err.starts_with("error: division by zero\n"), "{}", r.err);
    let r = print_of(vec![Op::Int(1), Op::Int(0), Op::RemInt], vec![]);
    assert!(r.err.starts_with("error: division by zero\n"), "{}", r.err);
    let r = print_of(vec![Op::Const(0), Op::Int(-1), Op::DivInt], vec![Constant::Int(i64::MIN)]);
    assert!(r.err.starts_with("error: integer overflow\n"), "{}", r.err);
    let r = print_of(vec![Op::Const(0), Op::NegInt], vec![Constant::Int(i64::MIN)]);
    assert!(r.err.starts_with("error: integer overflow\n"), "{}", r.err);
}

#[test]
fn trace_names_every_frame_innermost_first() {
    let mut a = Asm::new();
    let (div, slot) = a.func("divide", 2, 2);
    a.code(div, vec![Op::LoadLocal(0), Op::LoadLocal(1), Op::DivInt, Op::Return]);
    a.lines(div, vec![2, 3, 3, 3]);
    let main = a.main(0);
    a.code(main, vec![Op::Int(1), Op::Int(0), Op::CallGlobal(slot, 2), Op::Pop, Op::ReturnNil]);
    a.lines(main, vec![7, 7, 7, 7, 8]);
    let r = run(a.build());
    assert_eq!(r.err, "error: division by zero\n  at divide (t.newt:3)\n  at main (t.newt:7)\n");
    assert_eq!(r.outcome.exit_code, 70);
    let report = r.outcome.error.expect("a report");
    assert_eq!(report.trace.len(), 2);
}

/// fib(n) = n < 2 ? n : fib(n-1) + fib(n-2)
pub fn fib_image(n: i32) -> newt_compiler::bytecode::Image {
    let mut a = Asm::new();
    let (fib, slot) = a.func("fib", 1, 1);
    a.code(
        fib,
        vec![
            Op::LoadLocal(0),
            Op::Int(2),
            Op::LtInt,
            Op::JumpIfFalse(2),
            Op::LoadLocal(0),
            Op::Return,
            Op::LoadLocal(0),
            Op::Int(1),
            Op::SubInt,
            Op::CallGlobal(slot, 1),
            Op::LoadLocal(0),
            Op::Int(2),
            Op::SubInt,
            Op::CallGlobal(slot, 1),
            Op::AddInt,
            Op::Return,
        ],
    );
    let main = a.main(0);
    a.code(main, vec![Op::Int(n), Op::CallGlobal(slot, 1), bi(B::Print), Op::Pop, Op::ReturnNil]);
    a.build()
}

#[test]
fn recursive_fib() {
    let r = run(fib_image(20));
    assert_eq!(r.out, "6765\n");
}

/// depth(n) = n == 0 ? 0 : depth(n - 1) + 1, printed for `n`.
fn depth_image(n: i32) -> newt_compiler::bytecode::Image {
    let mut a = Asm::new();
    let (f, slot) = a.func("depth", 1, 1);
    a.code(
        f,
        vec![
            Op::LoadLocal(0),
            Op::Int(0),
            Op::Eq,
            Op::JumpIfFalse(2),
            Op::Int(0),
            Op::Return,
            Op::LoadLocal(0),
            Op::Int(1),
            Op::SubInt,
            Op::CallGlobal(slot, 1),
            Op::Int(1),
            Op::AddInt,
            Op::Return,
        ],
    );
    let main = a.main(0);
    a.code(main, vec![Op::Int(n), Op::CallGlobal(slot, 1), bi(B::Print), Op::Pop, Op::ReturnNil]);
    a.build()
}

#[test]
fn deep_recursion_works_and_too_deep_is_stack_overflow() {
    assert_eq!(run(depth_image(10_000)).out, "10000\n");
    assert_eq!(run(depth_image(90_000)).out, "90000\n");
    let r = run(depth_image(1_000_000));
    assert_eq!(r.outcome.exit_code, 70);
    assert!(r.err.starts_with("error: stack overflow\n"), "{}", &r.err[..r.err.len().min(200)]);
}

#[test]
fn loop_with_back_edges_runs_past_many_slices() {
    // i = 0; s = 0; while i < 1_000_000 { s += i; i += 1 }; print(s)
    let mut a = Asm::new();
    let main = a.main(2);
    a.code(
        main,
        vec![
            Op::Int(0),
            Op::StoreLocal(0),
            Op::Int(0),
            Op::StoreLocal(1),
            Op::LoadLocal(0),
            Op::Int(1_000_000),
            Op::LtInt,
            Op::JumpIfFalse(9),
            Op::LoadLocal(1),
            Op::LoadLocal(0),
            Op::AddInt,
            Op::StoreLocal(1),
            Op::LoadLocal(0),
            Op::Int(1),
            Op::AddInt,
            Op::StoreLocal(0),
            Op::Loop(-13),
            Op::LoadLocal(1),
            bi(B::Print),
            Op::Pop,
            Op::ReturnNil,
        ],
    );
    assert_eq!(run(a.build()).out, "499999500000\n");
}

#[test]
fn closures_capture_cells_by_reference() {
    let mut a = Asm::new();
    let (make, make_slot) = a.func("make", 0, 1);
    let lam = a.lambda(make, 0, 0, vec![CaptureSrc::Local(0)]);
    a.code(make, vec![Op::Int(0), Op::NewCell(0), Op::Closure(lam.0), Op::Return]);
    a.code(lam, vec![Op::LoadUpval(0), Op::Int(1), Op::AddInt, Op::StoreUpval(0), Op::LoadUpval(0), Op::Return]);
    let main = a.main(2);
    let mut code =
        vec![Op::CallGlobal(make_slot, 0), Op::StoreLocal(0), Op::CallGlobal(make_slot, 0), Op::StoreLocal(1)];
    for l in [0, 0, 1, 0] {
        code.extend([Op::LoadLocal(l), Op::Call(0), bi(B::Print), Op::Pop]);
    }
    code.extend([Op::LoadLocal(0), bi(B::Print), Op::Pop, Op::ReturnNil]);
    a.code(main, code);
    assert_eq!(run(a.build()).out, "1\n2\n1\n3\n<fn lambda>\n");
}

#[test]
fn cells_in_locals_are_shared_with_the_closure() {
    // let c = 10 (captured); let f = fn() { return c }; c = 20; print(f())
    let mut a = Asm::new();
    let main = a.main(2);
    let lam = a.lambda(main, 0, 0, vec![CaptureSrc::Local(0)]);
    a.code(lam, vec![Op::LoadUpval(0), Op::Return]);
    a.code(
        main,
        vec![
            Op::Int(10),
            Op::NewCell(0),
            Op::Closure(lam.0),
            Op::StoreLocal(1),
            Op::Int(20),
            Op::StoreCell(0),
            Op::LoadLocal(1),
            Op::Call(0),
            bi(B::Print),
            Op::Pop,
            Op::LoadCell(0),
            bi(B::Print),
            Op::Pop,
            Op::ReturnNil,
        ],
    );
    assert_eq!(run(a.build()).out, "20\n20\n");
}

/// class Point { x, y; fn sum(self) = x + y; fn describe(self) -> str }
/// class Point3 extends Point { z; fn sum(self) = super.sum() + z }
fn classes_image() -> (Asm, ClassId, ClassId) {
    let mut a = Asm::new();
    let point = a.class("Point", &["x", "y"], None);
    let point3 = a.class("Point3", &["x", "y", "z"], Some(point));
    let sum = a.method(point, "sum", 1, 1);
    a.code(sum, vec![Op::LoadLocal(0), Op::GetField(0), Op::LoadLocal(0), Op::GetField(1), Op::AddInt, Op::Return]);
    let sum3 = a.method(point3, "sum", 1, 1);
    a.code(
        sum3,
        vec![Op::LoadLocal(0), Op::CallSuper(point.0, 0, 0), Op::LoadLocal(0), Op::GetField(2), Op::AddInt, Op::Return],
    );
    a.vtable(point, vec![("sum", sum)]);
    a.vtable(point3, vec![("sum", sum3)]);
    (a, point, point3)
}

#[test]
fn methods_dispatch_on_the_run_time_class_and_super_calls() {
    let (mut a, point, point3) = classes_image();
    let main = a.main(2);
    a.code(
        main,
        vec![
            Op::Int(1),
            Op::Int(2),
            Op::New(point.0, 2),
            Op::StoreLocal(0),
            Op::Int(1),
            Op::Int(2),
            Op::Int(3),
            Op::New(point3.0, 3),
            Op::StoreLocal(1),
            Op::LoadLocal(0),
            Op::CallMethod(0, 0),
            bi(B::Print),
            Op::Pop,
            Op::LoadLocal(1),
            Op::CallMethod(0, 0),
            bi(B::Print),
            Op::Pop,
            // p.x = 40; print(p)
            Op::LoadLocal(0),
            Op::Int(40),
            Op::SetField(0),
            Op::LoadLocal(0),
            bi(B::Print),
            Op::Pop,
            Op::LoadLocal(1),
            bi(B::Print),
            Op::Pop,
            // is / as
            Op::LoadLocal(1),
            Op::Is(RtType::Class(point).encode()),
            bi(B::Print),
            Op::Pop,
            Op::LoadLocal(0),
            Op::Is(RtType::Class(point3).encode()),
            bi(B::Print),
            Op::Pop,
            Op::LoadLocal(0),
            Op::As(RtType::Class(point3).encode()),
            Op::Pop,
            Op::ReturnNil,
        ],
    );
    let r = run(a.build());
    assert_eq!(r.out, "3\n6\nPoint{x: 40, y: 2}\nPoint3{x: 1, y: 2, z: 3}\ntrue\nfalse\n");
    assert!(r.err.starts_with("error: cannot cast Point to Point3\n"), "{}", r.err);
}

#[test]
fn method_call_on_nil_is_unwrapped_nil() {
    let (mut a, _, _) = classes_image();
    let main = a.main(0);
    a.code(main, vec![Op::Nil, Op::CallMethod(0, 0), Op::Pop, Op::ReturnNil]);
    let r = run(a.build());
    assert!(r.err.starts_with("error: unwrapped nil\n"), "{}", r.err);
}

#[test]
fn globals_initialise_in_order_and_early_reads_are_errors() {
    let mut a = Asm::new();
    let g = a.var("g", vec![Op::Int(41), Op::Return]);
    let h = a.var("h", vec![Op::LoadGlobal(g), Op::Int(1), Op::AddInt, Op::Return]);
    let main = a.main(0);
    a.code(main, vec![Op::LoadGlobal(h), bi(B::Print), Op::Pop, Op::ReturnNil]);
    assert_eq!(run(a.build()).out, "42\n");

    let mut a = Asm::new();
    let early = a.var("early", vec![Op::LoadGlobal(1), Op::Return]);
    let _late = a.var("late", vec![Op::Int(1), Op::Return]);
    let main = a.main(0);
    a.code(main, vec![Op::LoadGlobal(early), bi(B::Print), Op::Pop, Op::ReturnNil]);
    let r = run(a.build());
    assert!(r.err.starts_with("error: global 'late' used before initialisation\n"), "{}", r.err);
    assert_eq!(r.outcome.exit_code, 70);
}

#[test]
fn list_and_map_indexing() {
    let mut a = Asm::new();
    let main = a.main(2);
    let k = a.str(main, "a");
    let k2 = a.str(main, "zz");
    a.code(
        main,
        vec![
            Op::Int(10),
            Op::Int(20),
            Op::List(2),
            Op::StoreLocal(0),
            Op::LoadLocal(0),
            Op::Int(1),
            Op::Int(99),
            Op::ListStore,
            Op::LoadLocal(0),
            bi(B::Print),
            Op::Pop,
            Op::Const(k),
            Op::Int(1),
            Op::Map(1),
            Op::StoreLocal(1),
            Op::LoadLocal(1),
            Op::Const(k),
            Op::MapIndex,
            bi(B::Print),
            Op::Pop,
            Op::LoadLocal(1),
            Op::Const(k2),
            Op::MapIndex,
            Op::Pop,
            Op::ReturnNil,
        ],
    );
    let r = run(a.build());
    assert_eq!(r.out, "[10, 99]\n1\n");
    assert!(r.err.starts_with("error: key not found: \"zz\"\n"), "{}", r.err);

    let r = print_of(vec![Op::Int(1), Op::List(1), Op::Int(1), Op::ListIndex], vec![]);
    assert!(r.err.starts_with("error: index out of range"), "{}", r.err);
    let r = print_of(vec![Op::Int(1), Op::List(1), Op::Int(-1), Op::ListIndex], vec![]);
    assert!(r.err.starts_with("error: index out of range"), "{}", r.err);
}

#[test]
fn casts_and_type_tests() {
    let r = print_of(vec![Op::Int(1), Op::As(RtType::Str.encode())], vec![]);
    assert!(r.err.starts_with("error: cannot cast int to str\n"), "{}", r.err);
    let r = print_of(vec![Op::Nil, Op::As(RtType::Int.encode())], vec![]);
    assert!(r.err.contains("unwrapped nil"), "{}", r.err);
    let r = print_of(vec![Op::Nil, Op::AsOpt(RtType::Int.encode())], vec![]);
    assert_eq!(r.out, "nil\n");
    let r = print_of(vec![Op::Int(1), Op::List(1), Op::Is(RtType::List.encode())], vec![]);
    assert_eq!(r.out, "true\n");
    let r = print_of(vec![Op::Int(1), Op::Is(RtType::Any.encode())], vec![]);
    assert_eq!(r.out, "true\n");
}

#[test]
fn equality_is_by_value_for_strings_and_identity_for_lists() {
    let mut a = Asm::new();
    let main = a.main(1);
    let s1 = a.str(main, "ab");
    let s2 = a.str(main, "a");
    let s3 = a.str(main, "b");
    a.code(
        main,
        vec![
            Op::Const(s1),
            Op::Const(s2),
            Op::Const(s3),
            Op::Concat,
            Op::Eq,
            bi(B::Print),
            Op::Pop,
            Op::List(0),
            Op::List(0),
            Op::Eq,
            bi(B::Print),
            Op::Pop,
            Op::List(0),
            Op::StoreLocal(0),
            Op::LoadLocal(0),
            Op::LoadLocal(0),
            Op::Ne,
            bi(B::Print),
            Op::Pop,
            Op::Int(1),
            Op::Nil,
            Op::Eq,
            bi(B::Print),
            Op::Pop,
            Op::ReturnNil,
        ],
    );
    assert_eq!(run(a.build()).out, "true\nfalse\nfalse\nfalse\n");
}

#[test]
fn interpolation_ops() {
    let mut a = Asm::new();
    let main = a.main(0);
    let s = a.str(main, "total: ");
    let f = a.konst(main, Constant::Float(2.5));
    a.code(
        main,
        vec![
            Op::Const(s),
            Op::Int(3),
            Op::ToStr,
            Op::Const(f),
            Op::ToStr,
            Op::Nil,
            Op::ToStr,
            Op::ConcatN(4),
            bi(B::Print),
            Op::Pop,
            Op::ReturnNil,
        ],
    );
    assert_eq!(run(a.build()).out, "total: 32.5nil\n");
}

#[test]
fn malformed_image_is_reported_not_crashed() {
    let mut a = Asm::new();
    let main = a.main(0);
    a.code(main, vec![Op::Pop, Op::ReturnNil]);
    let r = run(a.build());
    assert_eq!(r.outcome.exit_code, 70);
    assert!(r.err.contains("invalid bytecode"), "{}", r.err);

    let r = run(newt_compiler::bytecode::Image::default());
    assert!(r.err.contains("no 'main' function"), "{}", r.err);
}

#[test]
fn short_circuit_jumps() {
    // nil ?? 5 via JumpIfNotNil
    let r = print_of(vec![Op::Nil, Op::JumpIfNotNil(1), Op::Int(5)], vec![]);
    assert_eq!(r.out, "5\n");
    let r = print_of(vec![Op::Int(7), Op::JumpIfNotNil(1), Op::Int(5)], vec![]);
    assert_eq!(r.out, "7\n");
}
