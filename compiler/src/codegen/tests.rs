//! Unit tests of code generation over hand-built HIR: exact instruction sequences for the shapes
//! that matter for speed and semantics, and the verifier over every generated function.

use super::generate;
use super::stack::verify_image;
use super::tests_build::*;
use crate::builtins::Builtin;
use crate::bytecode::{CaptureSrc, GlobalKind, Image, Op, ProtoKind};
use crate::diag::Span;
use crate::hir::*;
use crate::types::FuncId;

fn gen(p: &P) -> Image {
    let image = generate(&p.prog).unwrap_or_else(|e| panic!("generate failed: {e:?}"));
    verify_image(&image).unwrap();
    image
}

fn code(image: &Image, f: FuncId) -> Vec<Op> {
    image.functions[f.0 as usize].code.clone()
}

#[test]
fn add_function_and_layout() {
    let mut p = P::new();
    let add = p.func("add", FunctionKind::Module, &["a", "b"], &[], vec![ret(bin(BinOp::AddInt, local(0), local(1)))]);
    let g = p.global("count", int(5_000_000_000));
    let main = p.func(
        "main",
        FunctionKind::Module,
        &[],
        &[],
        vec![print(ex(
            ExprKind::CallFunc { func: add, args: vec![int(1), ex(ExprKind::Global(g), Type::Int)] },
            Type::Int,
        ))],
    );
    p.prog.main = Some(main);
    let image = gen(&p);
    assert_eq!(code(&image, add), vec![Op::LoadLocal(0), Op::LoadLocal(1), Op::AddInt, Op::Return]);
    // Slots: module functions first (add, main), then the var; initialisers have none.
    let names: Vec<&str> = image.globals.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["main.add", "main.main", "main.count"]);
    assert_eq!(image.globals[2].kind, GlobalKind::Var { init: FuncId(1) });
    assert_eq!(image.modules[0].init_order, vec![2]);
    assert_eq!(image.modules[0].slots, vec![0, 1, 2]);
    assert_eq!(image.main, Some(1));
    assert_eq!(image.functions[1].kind, ProtoKind::GlobalInit { slot: 2 });
    assert_eq!(image.functions[1].code, vec![Op::Const(0), Op::Return]);
    assert_eq!(
        code(&image, main),
        vec![
            Op::Int(1),
            Op::LoadGlobal(2),
            Op::CallGlobal(0, 2),
            Op::CallBuiltin(Builtin::Print.id(), 1),
            Op::Pop,
            Op::ReturnNil
        ]
    );
}

#[test]
fn while_loop_shape() {
    // let i = 0; while i < 10 { i += 1 }
    let mut p = P::new();
    let f = p.func(
        "f",
        FunctionKind::Module,
        &[],
        &[("i", false)],
        vec![
            let_(0, int(0)),
            Stmt::While {
                cond: bin(BinOp::LtInt, local(0), int(10)),
                body: block(vec![assign(0, Some(BinOp::AddInt), int(1))]),
                span: Span::default(),
            },
        ],
    );
    let image = gen(&p);
    assert_eq!(
        code(&image, f),
        vec![
            Op::Int(0),
            Op::StoreLocal(0),
            Op::LoadLocal(0),
            Op::Int(10),
            Op::JumpIfNotLtInt(2),
            Op::AddLocalInt(0, 1),
            Op::Loop(-5),
            Op::ReturnNil,
        ]
    );
}

#[test]
fn range_loop_uses_the_variable_as_counter_unless_captured() {
    let mut p = P::new();
    let body = || block(vec![print(local(0))]);
    let range = |body| Stmt::ForRange { var: LocalId(0), start: int(0), end: int(3), body, span: Span::default() };
    let plain = p.func("plain", FunctionKind::Module, &[], &[("i", false)], vec![range(body())]);
    let celled = p.func("celled", FunctionKind::Module, &[], &[("i", true)], vec![range(body())]);
    let image = gen(&p);
    let c = code(&image, plain);
    assert_eq!(
        c,
        vec![
            Op::Int(0),
            Op::StoreLocal(0),
            Op::Int(3),
            Op::StoreLocal(1),
            Op::LoadLocal(0),
            Op::LoadLocal(1),
            Op::JumpIfNotLtInt(5),
            Op::LoadLocal(0),
            Op::CallBuiltin(Builtin::Print.id(), 1),
            Op::Pop,
            Op::AddLocalInt(0, 1),
            Op::Loop(-8),
            Op::ReturnNil,
        ]
    );
    assert_eq!(image.functions[plain.0 as usize].num_locals, 2);
    let c = code(&image, celled);
    // Hidden counter in slot 1, a fresh cell for `i` each iteration.
    assert_eq!(&c[7..9], &[Op::LoadLocal(1), Op::NewCell(0)]);
    assert_eq!(c[9], Op::LoadCell(0));
    assert_eq!(image.functions[celled.0 as usize].num_locals, 3);
}

#[test]
fn captured_parameters_move_into_cells_and_lambdas_list_captures() {
    let mut p = P::new();
    let outer = p.func("outer", FunctionKind::Module, &["x"], &[], vec![]);
    p.capture(outer, 0);
    let lam = p.func(
        "outer.<lambda 0>",
        FunctionKind::Lambda { parent: outer, index: 0 },
        &[],
        &[],
        vec![
            Stmt::Assign { target: Place::Capture(0), op: Some(BinOp::AddInt), value: int(1), span: Span::default() },
            ret(ex(ExprKind::Capture(0), Type::Int)),
        ],
    );
    p.prog.functions[lam.0 as usize].captures = vec![Capture::Local(LocalId(0))];
    p.prog.functions[outer.0 as usize].body = block(vec![ret(ex(ExprKind::Lambda { func: lam }, Type::Any))]);
    let image = gen(&p);
    assert_eq!(code(&image, outer), vec![Op::LoadLocal(0), Op::NewCell(0), Op::Closure(lam.0), Op::Return]);
    assert_eq!(image.functions[lam.0 as usize].captures, vec![CaptureSrc::Local(0)]);
    assert_eq!(
        code(&image, lam),
        vec![Op::LoadUpval(0), Op::Int(1), Op::AddInt, Op::StoreUpval(0), Op::LoadUpval(0), Op::Return]
    );
    assert!(crate::dis::disassemble(&image).contains("LoadUpval 0              ; x"));
}

#[test]
fn constructions_inline_defaults_but_default_functions_exist() {
    let mut p = P::new();
    let c = p.class("Point", vec![("x", None), ("y", Some(int(7)))]);
    let f = p.func(
        "f",
        FunctionKind::Module,
        &[],
        &[],
        vec![ret(ex(ExprKind::Construct { class: c, fields: vec![Some(int(1)), None] }, Type::Any))],
    );
    let image = gen(&p);
    assert_eq!(code(&image, f), vec![Op::Int(1), Op::Int(7), Op::New(c.0, 2), Op::Return]);
    let d = image.classes[0].fields[1].default.expect("default function");
    assert_eq!(d.0 as usize, p.prog.functions.len());
    assert_eq!(image.functions[d.0 as usize].kind, ProtoKind::FieldDefault { class: c, field: 1 });
    assert_eq!(image.functions[d.0 as usize].code, vec![Op::Int(7), Op::Return]);
    assert_eq!(image.classes[0].fields[0].default, None);
}

#[test]
fn spawning_a_builtin_goes_through_a_thunk() {
    let mut p = P::new();
    let f = p.func(
        "f",
        FunctionKind::Module,
        &[],
        &[],
        vec![Stmt::Expr(ex(ExprKind::Spawn(Box::new(call_builtin(Builtin::Print, vec![str_("hi")]))), Type::Fiber))],
    );
    let image = gen(&p);
    let thunk = p.prog.functions.len() as u32;
    assert_eq!(code(&image, f), vec![Op::Closure(thunk), Op::Const(0), Op::Spawn(1), Op::Pop, Op::ReturnNil]);
    let t = &image.functions[thunk as usize];
    assert_eq!(t.name, "main.f.<spawn print>");
    assert_eq!(t.code, vec![Op::LoadLocal(0), Op::CallBuiltin(Builtin::Print.id(), 1), Op::Return]);
    assert_eq!(t.kind, ProtoKind::Lambda { parent: f, index: 0 });
}

#[test]
fn if_let_binds_without_extra_pops_and_short_circuits_branch() {
    let mut p = P::new();
    let opt = || ex(ExprKind::Nil, Type::Optional(Box::new(Type::Int)));
    let f = p.func(
        "f",
        FunctionKind::Module,
        &[],
        &[("v", false), ("w", true)],
        vec![
            Stmt::IfLet {
                local: LocalId(0),
                value: opt(),
                then: block(vec![print(local(0))]),
                else_: None,
                span: Span::default(),
            },
            Stmt::IfLet {
                local: LocalId(1),
                value: opt(),
                then: block(vec![print(local(1))]),
                else_: Some(block(vec![print(int(0))])),
                span: Span::default(),
            },
            Stmt::If {
                cond: ex(
                    ExprKind::And(
                        Box::new(bin(BinOp::LtInt, int(1), int(2))),
                        Box::new(ex(
                            ExprKind::Unary { op: UnOp::Not, expr: Box::new(ex(ExprKind::Bool(false), Type::Bool)) },
                            Type::Bool,
                        )),
                    ),
                    Type::Bool,
                ),
                then: block(vec![print(int(3))]),
                else_: None,
                span: Span::default(),
            },
        ],
    );
    let image = gen(&p);
    let c = code(&image, f);
    assert_eq!(&c[..4], &[Op::Nil, Op::StoreLocal(0), Op::LoadLocal(0), Op::JumpIfNil(3)]);
    // Cell form: Dup / JumpIfNil, the nil edge pops.
    assert_eq!(&c[7..11], &[Op::Nil, Op::Dup, Op::JumpIfNil(5), Op::NewCell(1)]);
    assert_eq!(&c[14..16], &[Op::Jump(4), Op::Pop]);
    // `1 < 2 && !false`: the `!false` part vanishes.
    let tail = &c[c.len() - 7..];
    assert_eq!(tail[..3], [Op::Int(1), Op::Int(2), Op::JumpIfNotLtInt(3)]);
}

#[test]
fn coalesce_and_values_of_and_or() {
    let mut p = P::new();
    let opt = ex(ExprKind::Nil, Type::Optional(Box::new(Type::Int)));
    let f = p.func(
        "f",
        FunctionKind::Module,
        &["a", "b"],
        &[],
        vec![
            print(ex(ExprKind::Coalesce(Box::new(opt), Box::new(int(2))), Type::Int)),
            print(ex(ExprKind::Or(Box::new(local(0)), Box::new(local(1))), Type::Bool)),
        ],
    );
    let image = gen(&p);
    let c = code(&image, f);
    assert_eq!(&c[..3], &[Op::Nil, Op::JumpIfNotNil(1), Op::Int(2)]);
    assert_eq!(&c[5..10], &[Op::LoadLocal(0), Op::JumpIfTrue(2), Op::LoadLocal(1), Op::Jump(1), Op::True]);
    assert_eq!(image.functions[f.0 as usize].max_stack, 1);
}

#[test]
fn compound_index_assignment_evaluates_complex_operands_once() {
    let mut p = P::new();
    let list = || ex(ExprKind::Local(LocalId(0)), Type::List(Box::new(Type::Int)));
    let idx_call = ex(ExprKind::CallBuiltin { builtin: Builtin::ListLen, args: vec![list()] }, Type::Int);
    let f = p.func(
        "f",
        FunctionKind::Module,
        &["xs"],
        &[],
        vec![
            Stmt::Assign {
                target: Place::Index { obj: Box::new(list()), index: Box::new(int(0)), kind: IndexKind::List },
                op: Some(BinOp::AddInt),
                value: int(1),
                span: Span::default(),
            },
            Stmt::Assign {
                target: Place::Index { obj: Box::new(list()), index: Box::new(idx_call), kind: IndexKind::List },
                op: Some(BinOp::MulInt),
                value: int(2),
                span: Span::default(),
            },
        ],
    );
    let image = gen(&p);
    let c = code(&image, f);
    assert_eq!(
        &c[..8],
        &[
            Op::LoadLocal(0),
            Op::Int(0),
            Op::LoadLocal(0),
            Op::Int(0),
            Op::ListIndex,
            Op::Int(1),
            Op::AddInt,
            Op::ListStore
        ]
    );
    // The call is made once, kept in hidden slot 1.
    let calls = c.iter().filter(|o| matches!(o, Op::CallBuiltin(..))).count();
    assert_eq!(calls, 1);
    assert!(c.contains(&Op::StoreLocal(1)) && c.contains(&Op::LoadLocal(1)));
    assert_eq!(image.functions[f.0 as usize].num_locals, 2);
}

#[test]
fn code_after_return_is_not_emitted_and_locals_have_live_ranges() {
    let mut p = P::new();
    let f =
        p.func("f", FunctionKind::Module, &["a"], &[("b", false)], vec![let_(1, int(1)), ret(local(1)), print(int(9))]);
    let image = gen(&p);
    assert_eq!(code(&image, f), vec![Op::Int(1), Op::StoreLocal(1), Op::LoadLocal(1), Op::Return]);
    let infos = &image.functions[f.0 as usize].locals;
    assert_eq!(infos.len(), 2);
    assert_eq!((infos[0].name.as_str(), infos[0].live.clone()), ("a", 0..4));
    assert_eq!((infos[1].name.as_str(), infos[1].live.clone()), ("b", 2..4));
}

#[test]
fn map_loop_iterates_snapshots() {
    let mut p = P::new();
    let m = ex(ExprKind::Map(vec![(str_("a"), int(1))]), Type::Map(Box::new(Type::Str), Box::new(Type::Int)));
    let f = p.func(
        "f",
        FunctionKind::Module,
        &[],
        &[("k", false), ("v", false)],
        vec![Stmt::ForMap {
            key: LocalId(0),
            value: Some(LocalId(1)),
            map: m,
            body: block(vec![Stmt::Continue { span: Span::default() }, Stmt::Break { span: Span::default() }]),
            span: Span::default(),
        }],
    );
    let image = gen(&p);
    let c = code(&image, f);
    assert!(c.contains(&Op::CallBuiltin(Builtin::MapKeys.id(), 1)));
    assert!(c.contains(&Op::CallBuiltin(Builtin::MapValues.id(), 1)));
    assert_eq!(image.functions[f.0 as usize].num_locals, 6);
    assert_eq!(c.iter().filter(|o| matches!(o, Op::Loop(_))).count(), 1);
}

#[test]
fn continue_in_while_is_a_back_edge() {
    let mut p = P::new();
    let f = p.func(
        "f",
        FunctionKind::Module,
        &[],
        &[],
        vec![Stmt::While {
            cond: ex(ExprKind::Bool(true), Type::Bool),
            body: block(vec![Stmt::Continue { span: Span::default() }]),
            span: Span::default(),
        }],
    );
    let image = gen(&p);
    // `while true { continue }`: one Loop to itself, nothing after (the exit is unreachable).
    assert_eq!(code(&image, f), vec![Op::Loop(-1)]);
}

#[test]
fn generation_reports_internal_limits_instead_of_panicking() {
    let mut p = P::new();
    let args: Vec<Expr> = (0..300).map(int).collect();
    p.func("f", FunctionKind::Module, &[], &[], vec![Stmt::Expr(ex(ExprKind::List(vec![]), Type::Any))]);
    let g = p.func("g", FunctionKind::Module, &[], &[], vec![]);
    p.prog.functions[g.0 as usize].body =
        block(vec![Stmt::Expr(ex(ExprKind::CallValue { callee: Box::new(int(0)), args }, Type::Any))]);
    let errs = generate(&p.prog).unwrap_err();
    assert!(errs[0].message.contains("255 arguments"), "{errs:?}");
}
