//! The checker: turns parsed modules into a resolved, typed [`hir::Program`].
//!
//! # Entry points
//! - [`check_file`]`(path, stdlib)`: the root module is the file at `path` (its name is the file
//!   stem), imports are found next to it or, for `std.*`, through `stdlib`. Returns the program, or
//!   every diagnostic with the sources needed to render them. This is what `newt check` calls.
//! - [`check_program`]`(loader, root)`: the same over any [`SourceLoader`] (tests use `MemLoader`),
//!   with `root` the dotted name of the root module.
//! - [`check`]`(loader, root)`: the underlying function; always returns the (possibly partial)
//!   program together with the diagnostics, which are sorted by file and position.
//!
//! # Phases, one file each
//! 1. [`modules`]: load the root module and, depth first, everything it imports; report unknown
//!    modules and import cycles; order modules for initialisation (imports first).
//! 2. [`decls`]: register every module's functions, classes and globals, bind imports, resolve
//!    class headers (type parameters, superclass, inheritance cycles), lay out classes (fields,
//!    vtables, override checks) and resolve function signatures.
//! 3. [`stmt`], [`expr`], [`calls`], [`lambda`]: check every body (field defaults, methods,
//!    functions, global initialisers) into HIR, with [`scope`] tracking locals and captures.
//! 4. [`hash`]: content hashes of every function, class and global.
//!
//! [`types`] holds type resolution, subtyping, substitution and inference of type arguments;
//! [`builtins`] parses the signature strings of `crate::builtins` into [`Type`]s.
//!
//! # Conventions the HIR relies on
//! - A `super.m(args)` call is `CallSuper { class: superclass, slot, args }` where `args[0]` is the
//!   receiver (`self`, as a `Local(0)` in a method or a `Capture` inside one of its lambdas),
//!   followed by the call's arguments.
//! - Calls to built-in methods are `CallBuiltin` with the receiver as `args[0]`.
//! - Field defaults are checked in a context without locals: lambdas made there are named
//!   `Class.<default f>.<lambda N>` and have themselves as `parent` (they can capture nothing).
//!
//! Errors never stop the checker: a construct that cannot be typed gets [`Type::Error`], which
//! fits everywhere, so one mistake is reported once. Expression nesting deeper than
//! [`MAX_DEPTH`] is reported as `nesting too deep` instead of overflowing the stack.

mod bodies;
mod builtins;
mod calls;
mod decls;
mod expr;
mod hash;
mod lambda;
mod modules;
mod ops;
mod running;
mod scope;
mod script;
mod script_lazy;
mod script_old;
mod script_paths;
mod script_stack;
mod stmt;
mod types;

pub use running::{RunningClass, RunningGlobal, RunningGlobalKind, RunningProgram};
pub use script::{ScriptSource, SCRIPT_MODULE};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_classes;
#[cfg(test)]
mod tests_generics;

use crate::ast;
use crate::diag::{Diagnostic, FileId, SourceMap, Span};
use crate::hir;
use crate::loader::{FsLoader, SourceLoader};
use crate::types::{ClassId, FuncId, GlobalId, Type};
use bumpalo::Bump;
use std::collections::HashMap;

/// How deeply expressions and statements may nest before the checker gives up on them (the
/// checker recurses once per level).
pub const MAX_DEPTH: u32 = 400;

/// Checks the program whose root module is the file at `path` (see the module docs).
pub fn check_file(
    path: &std::path::Path,
    stdlib: fn(&str) -> Option<&'static str>,
) -> Result<hir::Program, (Vec<Diagnostic>, SourceMap)> {
    let root = path.file_stem().map(|s| s.to_string_lossy().replace('.', "_")).unwrap_or_default();
    let loader = RootLoader { fs: FsLoader::for_root_file(path, stdlib), root: root.clone(), path };
    check_program(&loader, &root)
}

/// An [`FsLoader`] that finds the root module at the exact path given on the command line (whose
/// file name need not be a valid module name).
struct RootLoader<'p> {
    fs: FsLoader,
    root: String,
    path: &'p std::path::Path,
}

impl SourceLoader for RootLoader<'_> {
    fn load(&self, name: &str) -> Result<Option<(String, String)>, String> {
        if name != self.root {
            return self.fs.load(name);
        }
        match std::fs::read_to_string(self.path) {
            Ok(text) => Ok(Some((self.path.display().to_string(), text))),
            Err(e) => Err(format!("cannot read {}: {e}", self.path.display())),
        }
    }
}

/// Checks the program whose root module is `root` (a dotted module name) from `loader`.
pub fn check_program(loader: &dyn SourceLoader, root: &str) -> Result<hir::Program, (Vec<Diagnostic>, SourceMap)> {
    let (program, diags) = check(loader, root);
    if diags.iter().any(|d| d.severity == crate::diag::Severity::Error) {
        Err((diags, program.sources))
    } else {
        Ok(program)
    }
}

/// Checks the program whose root module is `root`, returning whatever could be built together with
/// every diagnostic (sorted by file and position). The program is only meaningful without errors.
pub fn check(loader: &dyn SourceLoader, root: &str) -> (hir::Program, Vec<Diagnostic>) {
    let arena = Bump::new();
    let mut c = Checker::new();
    c.load_program(&arena, loader, root, None);
    c.collect_declarations();
    c.check_bodies();
    c.finish()
}

/// Checks a new version of a program (root module `root`) together with its update script,
/// against `running`, the signature of the version that runs now (updates.md, "Update scripts";
/// see `script.rs`). Without a script this is [`check`]. The program's `script` describes the
/// script's parts; its diagnostics point at the script's own lines.
pub fn check_update(
    loader: &dyn SourceLoader,
    root: &str,
    script: Option<&ScriptSource>,
    running: &RunningProgram,
) -> (hir::Program, Vec<Diagnostic>) {
    let arena = Bump::new();
    let mut c = Checker::new();
    c.load_program(&arena, loader, root, script);
    if c.script.is_none() && script.is_some() {
        return c.finish();
    }
    c.pending_old = Some((&arena, running.clone()));
    c.collect_declarations();
    c.check_bodies();
    c.check_script_items();
    c.finish()
}

/// A module-level definition a name can denote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Def {
    Func(FuncId),
    Class(ClassId),
    Global(GlobalId),
    /// An imported module (index into `Checker::modules`).
    Module(usize),
}

/// One loaded module while checking.
struct Mod<'a> {
    name: String,
    path: String,
    file: FileId,
    ast: ast::Module<'a>,
    /// True when the parser reported errors: bodies are then not checked, to avoid cascades.
    parse_failed: bool,
    /// Its own functions, classes and globals.
    defs: HashMap<String, Def>,
    /// Everything visible at module level: `defs` plus imported bindings.
    scope: HashMap<String, Def>,
    /// Resolved import targets, in source order (`None` for an unknown module).
    import_targets: Vec<Option<usize>>,
    /// Whether natives (`__x`) are visible: the module's name starts with `std.`.
    is_std: bool,
}

/// A method's signature as seen from one class (type parameters of that class substituted).
#[derive(Debug, Clone)]
struct MethodSig {
    name: String,
    type_params: Vec<String>,
    /// Parameters without `self`.
    params: Vec<Type>,
    ret: Type,
    /// The class whose declaration this implementation comes from.
    declared_in: ClassId,
}

/// Checker-side facts about a class, parallel to `Program::classes`.
struct ClassInfo<'a> {
    decl: &'a ast::ClassDecl<'a>,
    module: usize,
    /// Vtable-aligned method signatures in terms of this class's type parameters.
    methods: Vec<MethodSig>,
    laid_out: bool,
}

/// How far a global's type is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GlobalState {
    /// Declared without a type and not yet inferred.
    Pending,
    /// Its initializer is being checked (a cycle if asked again).
    InProgress,
    /// The type is known; the initializer is checked or will be.
    Typed,
    /// The initializer has been checked.
    Done,
}

/// Checker-side facts about a global, parallel to `Program::globals`.
struct GlobalInfo<'a> {
    decl: &'a ast::GlobalDecl<'a>,
    module: usize,
    state: GlobalState,
}

/// The state of one check: everything loaded and built so far.
struct Checker<'a> {
    sources: SourceMap,
    diags: Vec<Diagnostic>,
    /// Modules in load order; `order` gives initialisation order.
    modules: Vec<Mod<'a>>,
    order: Vec<usize>,
    root: Option<usize>,
    prog: hir::Program,
    classes: Vec<ClassInfo<'a>>,
    globals: Vec<GlobalInfo<'a>>,
    /// Module functions and methods with their declarations and modules.
    fn_decls: HashMap<FuncId, (&'a ast::FnDecl<'a>, usize)>,
    /// The function registered for each declaration (keyed by the declaration's address).
    decl_ids: HashMap<usize, FuncId>,
    /// The class and global registered for each declaration (keyed by the declaration's address).
    class_ids: HashMap<usize, ClassId>,
    global_ids: HashMap<usize, GlobalId>,
    builtin_sigs: builtins::BuiltinSigs,
    /// Class names declared in more than one module: messages show them qualified.
    ambiguous_names: std::collections::HashSet<String>,
    /// The stack of functions being checked: lambdas push on top of their enclosing function.
    fns: Vec<scope::FnCtx>,
    depth: u32,
    too_deep_reported: bool,
    /// The update script being checked with the program, if any.
    script: Option<script::ScriptState<'a>>,
    /// The running version's `old.` view (update scripts only).
    old: Option<running::OldView>,
    /// The running version, until declarations are laid out and the view can be built.
    pending_old: Option<(&'a Bump, RunningProgram)>,
}

impl<'a> Checker<'a> {
    fn new() -> Checker<'a> {
        Checker {
            sources: SourceMap::new(),
            diags: Vec::new(),
            modules: Vec::new(),
            order: Vec::new(),
            root: None,
            prog: hir::Program::default(),
            classes: Vec::new(),
            globals: Vec::new(),
            fn_decls: HashMap::new(),
            decl_ids: HashMap::new(),
            class_ids: HashMap::new(),
            global_ids: HashMap::new(),
            builtin_sigs: builtins::BuiltinSigs::new(),
            ambiguous_names: std::collections::HashSet::new(),
            fns: Vec::new(),
            depth: 0,
            too_deep_reported: false,
            script: None,
            old: None,
            pending_old: None,
        }
    }

    /// Records an error.
    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diags.push(Diagnostic::error(span, message));
    }

    /// The source text of a span ("" when it does not fall inside the file).
    fn span_text(&self, span: Span) -> &str {
        let Some(f) = self.sources.files().get(span.file.0 as usize) else { return "" };
        f.text.get(span.start as usize..span.end as usize).unwrap_or("")
    }

    /// Builds the module list of the program, computes hashes and hands back the program with the
    /// sorted diagnostics.
    fn finish(mut self) -> (hir::Program, Vec<Diagnostic>) {
        self.compute_hashes();
        let mut modules = Vec::new();
        for &m in &self.order {
            let md = &self.modules[m];
            let mut info = hir::ModuleInfo {
                name: md.name.clone(),
                path: md.path.clone(),
                file: md.file,
                functions: Vec::new(),
                classes: Vec::new(),
                globals: Vec::new(),
                imports: md.import_targets.iter().flatten().map(|&t| self.modules[t].name.clone()).collect(),
            };
            info.imports.dedup();
            for item in md.ast.items {
                let def = match item {
                    ast::Item::Fn(f) => f.name.and_then(|n| md.defs.get(n.name)),
                    ast::Item::Class(c) => md.defs.get(c.name.name),
                    ast::Item::Global(g) => md.defs.get(g.name.name),
                    _ => None,
                };
                match def {
                    Some(Def::Func(f)) => info.functions.push(*f),
                    Some(Def::Class(c)) => info.classes.push(*c),
                    Some(Def::Global(g)) => info.globals.push(*g),
                    _ => {}
                }
            }
            modules.push(info);
        }
        self.prog.modules = modules;
        self.prog.sources = std::mem::take(&mut self.sources);
        let mut diags = std::mem::take(&mut self.diags);
        diags.sort_by_key(|d| (d.span.file, d.span.start));
        diags.dedup_by(|a, b| a.span == b.span && a.message == b.message);
        (self.prog, diags)
    }
}
