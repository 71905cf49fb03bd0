//! A small assembler for hand-written bytecode images, and a runner that captures output, shared
//! by the VM's integration tests (they run before the compiler can produce images, and test
//! situations the compiler would never emit).

#![allow(dead_code)]

use newt_compiler::bytecode::{
    CaptureSrc, ClassProto, Constant, FieldProto, FuncProto, GlobalKind, GlobalSlot, Image, LocalInfo, ModuleProto, Op,
    ProtoKind,
};
use newt_compiler::types::{ClassId, FuncId};
use newt_vm::{Io, RunOutcome, SharedBuf, Vm, VmOptions};

/// Builds an image with one module `t` (file `t.newt`).
pub struct Asm {
    pub image: Image,
}

fn proto(name: &str, kind: ProtoKind, arity: u8, num_locals: u16) -> FuncProto {
    FuncProto {
        name: format!("t.{name}"),
        module: "t".into(),
        kind,
        arity,
        num_locals,
        max_stack: 0,
        code: vec![Op::ReturnNil],
        lines: vec![1],
        consts: vec![],
        captures: vec![],
        locals: vec![],
        calls: vec![],
        hidden_base: num_locals,
        local_inits: vec![],
        path: "t.newt".into(),
        hash: 0,
    }
}

impl Default for Asm {
    fn default() -> Self {
        Asm::new()
    }
}

impl Asm {
    pub fn new() -> Asm {
        let mut image = Image::default();
        image.modules.push(ModuleProto {
            name: "t".into(),
            path: "t.newt".into(),
            init_order: vec![],
            slots: vec![],
            classes: vec![],
        });
        Asm { image }
    }

    fn push_fn(&mut self, p: FuncProto) -> FuncId {
        self.image.functions.push(p);
        FuncId(self.image.functions.len() as u32 - 1)
    }

    /// A module function with a global slot: (id, slot).
    pub fn func(&mut self, name: &str, arity: u8, num_locals: u16) -> (FuncId, u32) {
        let id = self.push_fn(proto(name, ProtoKind::Module, arity, num_locals));
        let slot = self.image.globals.len() as u32;
        self.image.globals.push(GlobalSlot {
            name: format!("t.{name}"),
            module: "t".into(),
            kind: GlobalKind::Function(id),
            ty: String::new(),
            static_ty: newt_compiler::types::Type::Error,
        });
        self.image.modules[0].slots.push(slot);
        (id, slot)
    }

    /// `main` (no parameters).
    pub fn main(&mut self, num_locals: u16) -> FuncId {
        let (id, slot) = self.func("main", 0, num_locals);
        self.image.main = Some(slot);
        id
    }

    /// A method of `class` (arity includes self).
    pub fn method(&mut self, class: ClassId, name: &str, arity: u8, num_locals: u16) -> FuncId {
        let cname = self.image.classes[class.0 as usize].short_name.clone();
        self.push_fn(proto(&format!("{cname}.{name}"), ProtoKind::Method { class }, arity, num_locals))
    }

    /// A lambda made inside `parent`.
    pub fn lambda(&mut self, parent: FuncId, arity: u8, num_locals: u16, captures: Vec<CaptureSrc>) -> FuncId {
        let index = self.image.functions.iter().filter(|f| matches!(f.kind, ProtoKind::Lambda { .. })).count() as u32;
        let pname = self.image.functions[parent.0 as usize].name.trim_start_matches("t.").to_string();
        let mut p = proto(&format!("{pname}.<lambda {index}>"), ProtoKind::Lambda { parent, index }, arity, num_locals);
        p.captures = captures;
        self.push_fn(p)
    }

    /// A `var` whose initialiser runs `code` (which must return the value); returns its slot.
    pub fn var(&mut self, name: &str, code: Vec<Op>) -> u32 {
        let slot = self.image.globals.len() as u32;
        let init = self.push_fn(proto(&format!("{name}.<init>"), ProtoKind::GlobalInit { slot }, 0, 0));
        self.code(init, code);
        self.image.globals.push(GlobalSlot {
            name: format!("t.{name}"),
            module: "t".into(),
            kind: GlobalKind::Var { init },
            ty: "int".into(),
            static_ty: newt_compiler::types::Type::Int,
        });
        self.image.modules[0].slots.push(slot);
        self.image.modules[0].init_order.push(slot);
        slot
    }

    /// Sets a function's code; line `i + 1` for instruction `i`.
    pub fn code(&mut self, f: FuncId, code: Vec<Op>) {
        let p = &mut self.image.functions[f.0 as usize];
        p.lines = (1..=code.len() as u32).collect();
        p.code = code;
    }

    /// Sets a function's line table.
    pub fn lines(&mut self, f: FuncId, lines: Vec<u32>) {
        self.image.functions[f.0 as usize].lines = lines;
    }

    /// Adds a constant to a function's pool; returns its index.
    pub fn konst(&mut self, f: FuncId, c: Constant) -> u32 {
        let p = &mut self.image.functions[f.0 as usize];
        p.consts.push(c);
        p.consts.len() as u32 - 1
    }

    /// Adds a string constant.
    pub fn str(&mut self, f: FuncId, s: &str) -> u32 {
        self.konst(f, Constant::Str(s.into()))
    }

    /// Declares a local's name for frames() (live over the whole function).
    pub fn local(&mut self, f: FuncId, name: &str, slot: u16, cell: bool) {
        let p = &mut self.image.functions[f.0 as usize];
        p.locals.push(LocalInfo { name: name.into(), slot, cell, live: 0..u32::MAX, ty: "any".into() });
    }

    /// A class with the given fields (the full layout, inherited ones first).
    pub fn class(&mut self, name: &str, fields: &[&str], superclass: Option<ClassId>) -> ClassId {
        self.image.classes.push(ClassProto {
            name: format!("t.{name}"),
            short_name: name.into(),
            module: "t".into(),
            superclass,
            fields: fields
                .iter()
                .map(|f| FieldProto {
                    name: f.to_string(),
                    ty: "int".into(),
                    static_ty: newt_compiler::types::Type::Int,
                    default: None,
                })
                .collect(),
            vtable: vec![],
            type_params: vec![],
            method_types: vec![],
            hash: 0,
        });
        let id = ClassId(self.image.classes.len() as u32 - 1);
        self.image.modules[0].classes.push(id);
        id
    }

    /// Sets a class's vtable.
    pub fn vtable(&mut self, class: ClassId, entries: Vec<(&str, FuncId)>) {
        self.image.classes[class.0 as usize].vtable = entries.into_iter().map(|(n, f)| (n.to_string(), f)).collect();
    }

    pub fn build(self) -> Image {
        self.image
    }
}

/// What a run printed.
pub struct Ran {
    pub outcome: RunOutcome,
    pub out: String,
    pub err: String,
}

/// A VM over `image` whose output goes to the returned buffers.
pub fn vm_with_output(image: Image, stdin: &str) -> (Vm, SharedBuf, SharedBuf) {
    let out = SharedBuf::new();
    let err = SharedBuf::new();
    let io = Io::new(
        Box::new(out.clone()),
        Box::new(err.clone()),
        Box::new(std::io::Cursor::new(stdin.as_bytes().to_vec())),
    );
    let vm = Vm::with_options(image, vec!["a1".into(), "a2".into()], VmOptions { io });
    (vm, out, err)
}

/// Runs `image` to the end, capturing output.
pub fn run(image: Image) -> Ran {
    let (mut vm, out, err) = vm_with_output(image, "");
    let outcome = vm.run();
    Ran { outcome, out: out.text(), err: err.text() }
}

/// Compiles Newt source as the root module `t` (file `t.newt`), with the standard library.
pub fn compile(src: &str) -> Image {
    let loader = newt_compiler::loader::MemLoader {
        modules: vec![("t".into(), "t.newt".into(), src.into())],
        stdlib: Some(newt_stdlib::source),
    };
    let program = match newt_compiler::check::check_program(&loader, "t") {
        Ok(p) => p,
        Err((diags, sources)) => panic!("{}", newt_compiler::diag::render_all(&diags, &sources)),
    };
    match newt_compiler::codegen::generate(&program) {
        Ok(image) => image,
        Err(diags) => panic!("{}", newt_compiler::diag::render_all(&diags, &program.sources)),
    }
}

/// Compiles and runs Newt source, capturing output.
pub fn run_src(src: &str) -> Ran {
    run(compile(src))
}

/// `CallBuiltin` of a built-in by enum.
pub fn bi(b: newt_compiler::builtins::Builtin) -> Op {
    Op::CallBuiltin(b.id(), b.arity() as u8)
}
