//! Phase 2: declarations. Registers every module's functions, classes and globals (ids and
//! qualified names), binds imports, resolves class headers (superclass, inheritance cycles), lays
//! out classes (inherited fields first; vtable with inherited entries first and overrides replacing
//! them in place; override signatures checked) and resolves function signatures and declared
//! global types. Bodies come later (`bodies.rs`), when every signature is known.

use super::types::{same, subst};
use super::{Checker, ClassInfo, Def, GlobalInfo, GlobalState, MethodSig};
use crate::ast;
use crate::diag::Span;
use crate::hir::{self, FunctionKind};
use crate::types::{ClassId, FuncId, GlobalId, Type};

impl<'a> Checker<'a> {
    /// Runs the whole declaration phase.
    pub(super) fn collect_declarations(&mut self) {
        for i in 0..self.order.len() {
            let m = self.order[i];
            self.register_module(m);
        }
        let mut seen = std::collections::HashSet::new();
        for c in &self.prog.classes {
            if !seen.insert(c.short_name.clone()) {
                self.ambiguous_names.insert(c.short_name.clone());
            }
        }
        for m in 0..self.modules.len() {
            self.bind_imports(m);
        }
        self.bind_script_scope();
        self.resolve_superclasses();
        self.layout_classes();
        if let Some((arena, running)) = self.pending_old.take() {
            let m = self.script.as_ref().map_or(0, |s| s.module);
            self.register_old_view(arena, running, m);
            self.collect_script_renames();
        }
        for i in 0..self.order.len() {
            let m = self.order[i];
            self.resolve_signatures(m);
        }
        self.find_main();
    }

    /// A placeholder function, filled in when its signature and body are checked.
    pub(super) fn new_function(&mut self, name: String, module: usize, kind: FunctionKind, span: Span) -> FuncId {
        let id = FuncId(self.prog.functions.len() as u32);
        self.prog.functions.push(hir::Function {
            name,
            module: self.modules[module].name.clone(),
            kind,
            type_params: Vec::new(),
            arity: 0,
            params: Vec::new(),
            ret: Type::Void,
            locals: Vec::new(),
            captures: Vec::new(),
            body: hir::Block::default(),
            span,
            hash: 0,
        });
        id
    }

    /// Binds a module-level name, reporting a duplicate at `span`.
    fn define(&mut self, m: usize, name: &str, def: Def, span: Span) {
        if self.modules[m].scope.contains_key(name) {
            self.error(span, format!("duplicate definition of '{name}'"));
            return;
        }
        self.modules[m].scope.insert(name.to_string(), def);
        if !matches!(def, Def::Module(_)) {
            self.modules[m].defs.insert(name.to_string(), def);
        }
    }

    fn register_module(&mut self, m: usize) {
        let items: &'a [ast::Item<'a>] = self.modules[m].ast.items;
        let modname = self.modules[m].name.clone();
        for item in items {
            match item {
                ast::Item::Fn(f) => {
                    let Some(name) = f.name else { continue };
                    let fid = self.new_function(format!("{modname}.{}", name.name), m, FunctionKind::Module, f.span);
                    if f.has_self {
                        self.error(name.span, "'self' outside of a method");
                    }
                    self.fn_decls.insert(fid, (f, m));
                    self.decl_ids.insert(*f as *const ast::FnDecl<'a> as usize, fid);
                    self.define(m, name.name, Def::Func(fid), name.span);
                }
                ast::Item::Class(c) => {
                    let id = ClassId(self.prog.classes.len() as u32);
                    let type_params = self.type_param_names(c.type_params);
                    self.prog.classes.push(hir::Class {
                        name: format!("{modname}.{}", c.name.name),
                        short_name: c.name.name.to_string(),
                        module: modname.clone(),
                        type_params,
                        superclass: None,
                        superclass_type: None,
                        fields: Vec::new(),
                        methods: Vec::new(),
                        span: c.span,
                        hash: 0,
                        old: None,
                    });
                    self.class_ids.insert(*c as *const ast::ClassDecl<'a> as usize, id);
                    self.classes.push(ClassInfo { decl: c, module: m, methods: Vec::new(), laid_out: false });
                    self.define(m, c.name.name, Def::Class(id), c.name.span);
                }
                ast::Item::Global(g) => {
                    let gid = GlobalId(self.prog.globals.len() as u32);
                    let init = self.new_function(
                        format!("{modname}.{}.<init>", g.name.name),
                        m,
                        FunctionKind::GlobalInit { global: gid },
                        g.span,
                    );
                    self.prog.globals.push(hir::Global {
                        name: format!("{modname}.{}", g.name.name),
                        module: modname.clone(),
                        is_const: g.is_const,
                        ty: Type::Error,
                        init,
                        span: g.span,
                        hash: 0,
                    });
                    self.globals.push(GlobalInfo { decl: g, module: m, state: GlobalState::Pending });
                    self.global_ids.insert(*g as *const ast::GlobalDecl<'a> as usize, gid);
                    self.define(m, g.name.name, Def::Global(gid), g.name.span);
                }
                ast::Item::Migrate(d) => self.not_a_declaration(d.span),
                ast::Item::MigrateVar(d) => self.not_a_declaration(d.span),
                ast::Item::Validate(ast::ValidateDecl::Named { span, .. })
                | ast::Item::Validate(ast::ValidateDecl::Each { span, .. }) => self.not_a_declaration(*span),
                ast::Item::Remap(d) => self.not_a_declaration(d.span),
                ast::Item::Reboot(d) => self.not_a_declaration(d.span),
            }
        }
    }

    fn not_a_declaration(&mut self, span: Span) {
        self.error(span, "expected a declaration (fn, class, var, const, import)");
    }

    /// The names of written type parameters, reporting duplicates.
    pub(super) fn type_param_names(&mut self, tps: &[ast::Ident<'_>]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for tp in tps {
            if out.iter().any(|n| n == tp.name) {
                self.error(tp.span, format!("duplicate definition of '{}'", tp.name));
            }
            out.push(tp.name.to_string());
        }
        out
    }

    fn bind_imports(&mut self, m: usize) {
        let imports: &'a [ast::Import<'a>] = self.modules[m].ast.imports;
        let targets = self.modules[m].import_targets.clone();
        for (imp, target) in imports.iter().zip(targets) {
            let Some(t) = target else { continue };
            match imp.kind {
                ast::ImportKind::Module { alias } => {
                    let (name, span) = match alias {
                        Some(a) => (a.name, a.span),
                        None => match imp.path.segments.last() {
                            Some(s) => (s.name, imp.path.span),
                            None => continue,
                        },
                    };
                    self.define(m, name, Def::Module(t), span);
                }
                ast::ImportKind::Names(names) => {
                    for n in names {
                        match self.modules[t].defs.get(n.name).copied() {
                            Some(def) => {
                                if self.modules[m].scope.contains_key(n.name) {
                                    self.error(n.span, format!("duplicate definition of '{}'", n.name));
                                } else {
                                    self.modules[m].scope.insert(n.name.to_string(), def);
                                }
                            }
                            None => {
                                let mname = self.modules[t].name.clone();
                                self.error(n.span, format!("module '{mname}' has no '{}'", n.name));
                            }
                        }
                    }
                }
            }
        }
    }

    /// Resolves every `extends` and breaks inheritance cycles (reported once per cycle).
    fn resolve_superclasses(&mut self) {
        for c in 0..self.classes.len() {
            let decl = self.classes[c].decl;
            let Some(ext) = decl.extends else { continue };
            let m = self.classes[c].module;
            let tps = self.prog.classes[c].type_params.clone();
            match self.resolve_type(ext, m, &tps) {
                t @ Type::Class(s, _) => {
                    self.prog.classes[c].superclass = Some(s);
                    self.prog.classes[c].superclass_type = Some(t);
                }
                Type::Error => {}
                other => {
                    let shown = self.show(&other);
                    self.error(ext.span, format!("cannot extend {shown}"));
                }
            }
        }
        for c in 0..self.classes.len() {
            let mut cur = self.prog.classes[c].superclass;
            let mut steps = 0;
            while let Some(s) = cur {
                if s.0 as usize == c {
                    let name = self.prog.classes[c].short_name.clone();
                    let span = self.classes[c].decl.extends.map(|e| e.span).unwrap_or(self.classes[c].decl.name.span);
                    self.error(span, format!("class {name} inherits from itself"));
                    self.prog.classes[c].superclass = None;
                    self.prog.classes[c].superclass_type = None;
                    break;
                }
                steps += 1;
                if steps > self.classes.len() {
                    break;
                }
                cur = self.prog.classes[s.0 as usize].superclass;
            }
        }
    }

    /// Lays out every class, each after its superclass (iteratively: inheritance chains may be
    /// long, and cycles are already broken).
    fn layout_classes(&mut self) {
        for c in 0..self.classes.len() {
            let mut chain = Vec::new();
            let mut cur = Some(ClassId(c as u32));
            while let Some(x) = cur {
                if self.classes[x.0 as usize].laid_out || chain.len() > self.classes.len() {
                    break;
                }
                chain.push(x);
                cur = self.prog.classes[x.0 as usize].superclass;
            }
            for x in chain.into_iter().rev() {
                self.layout_class(x);
            }
        }
    }

    /// Lays out class `c` once its superclass is laid out: fields, vtable and method signatures.
    fn layout_class(&mut self, c: ClassId) {
        let ci = c.0 as usize;
        if self.classes[ci].laid_out {
            return;
        }
        let mut fields: Vec<hir::Field> = Vec::new();
        let mut vtable: Vec<hir::Method> = Vec::new();
        let mut sigs: Vec<MethodSig> = Vec::new();
        if let (Some(s), Some(Type::Class(_, sargs))) =
            (self.prog.classes[ci].superclass, self.prog.classes[ci].superclass_type.clone())
        {
            let sup = &self.prog.classes[s.0 as usize];
            let stps = sup.type_params.clone();
            for f in &sup.fields {
                let mut f = f.clone();
                f.ty = subst(&f.ty, &stps, &sargs);
                f.default = None;
                fields.push(f);
            }
            vtable = sup.methods.clone();
            for sig in &self.classes[s.0 as usize].methods {
                let mut sig = sig.clone();
                sig.params = sig.params.iter().map(|p| subst(p, &stps, &sargs)).collect();
                sig.ret = subst(&sig.ret, &stps, &sargs);
                sigs.push(sig);
            }
        }
        let decl = self.classes[ci].decl;
        let m = self.classes[ci].module;
        let tps = self.prog.classes[ci].type_params.clone();
        let inherited_fields = fields.len();
        for fd in decl.fields {
            if let Some(prev) = fields.iter().position(|f| f.name == fd.name.name) {
                if prev < inherited_fields {
                    let owner = fields[prev].declared_in;
                    let owner = self.prog.classes[owner.0 as usize].short_name.clone();
                    self.error(fd.name.span, format!("field '{}' is already declared in {owner}", fd.name.name));
                } else {
                    self.error(fd.name.span, format!("duplicate definition of '{}'", fd.name.name));
                }
                continue;
            }
            let ty = self.resolve_type(fd.ty, m, &tps);
            fields.push(hir::Field {
                name: fd.name.name.to_string(),
                ty,
                default: None,
                declared_in: c,
                span: fd.span,
            });
        }
        let self_ty = Type::Class(c, tps.iter().map(|t| Type::Param(t.clone())).collect());
        let qual = self.prog.classes[ci].name.clone();
        let inherited_methods = vtable.len();
        for md in decl.methods {
            let Some(name) = md.name else { continue };
            if !md.has_self {
                self.error(name.span, format!("method '{}' must take 'self' as its first parameter", name.name));
            }
            let own_tps = self.type_param_names(md.type_params);
            let mut all_tps = tps.clone();
            all_tps.extend(own_tps.iter().cloned());
            let (params, ret) = self.resolve_fn_sig(md, m, &all_tps);
            let fid = self.new_function(format!("{qual}.{}", name.name), m, FunctionKind::Method { class: c }, md.span);
            {
                let f = &mut self.prog.functions[fid.0 as usize];
                f.type_params = own_tps.clone();
                f.arity = params.len() as u32 + 1;
                f.params = std::iter::once(self_ty.clone()).chain(params.iter().cloned()).collect();
                f.ret = ret.clone();
            }
            self.fn_decls.insert(fid, (md, m));
            self.decl_ids.insert(md as *const ast::FnDecl<'a> as usize, fid);
            if fields.iter().any(|f| f.name == name.name) {
                self.error(name.span, format!("duplicate definition of '{}'", name.name));
                continue;
            }
            let sig = MethodSig { name: name.name.to_string(), type_params: own_tps, params, ret, declared_in: c };
            match vtable.iter().position(|e| e.name == name.name) {
                Some(slot) if slot >= inherited_methods => {
                    self.error(name.span, format!("duplicate definition of '{}'", name.name));
                }
                Some(slot) => {
                    let old = &sigs[slot];
                    if !self.same_signature(old, &sig) {
                        let owner = self.prog.classes[old.declared_in.0 as usize].short_name.clone();
                        self.error(
                            name.span,
                            format!(
                                "method '{}' overrides {owner}.{} with a different signature",
                                name.name, name.name
                            ),
                        );
                    }
                    vtable[slot] = hir::Method { name: sig.name.clone(), func: fid };
                    sigs[slot] = sig;
                }
                None => {
                    vtable.push(hir::Method { name: sig.name.clone(), func: fid });
                    sigs.push(sig);
                }
            }
        }
        self.prog.classes[ci].fields = fields;
        self.prog.classes[ci].methods = vtable;
        self.classes[ci].methods = sigs;
        self.classes[ci].laid_out = true;
    }

    /// Whether an override keeps the overridden method's signature (type parameters renamed).
    fn same_signature(&self, old: &MethodSig, new: &MethodSig) -> bool {
        if old.type_params.len() != new.type_params.len() || old.params.len() != new.params.len() {
            return false;
        }
        let renamed: Vec<Type> = new.type_params.iter().map(|t| Type::Param(t.clone())).collect();
        let fix = |t: &Type| subst(t, &old.type_params, &renamed);
        old.params.iter().zip(&new.params).all(|(a, b)| same(&fix(a), b)) && same(&fix(&old.ret), &new.ret)
    }

    /// Parameter types (without `self`) and result of a declaration, reporting duplicate parameters.
    pub(super) fn resolve_fn_sig(&mut self, f: &ast::FnDecl<'_>, m: usize, tps: &[String]) -> (Vec<Type>, Type) {
        let mut params = Vec::with_capacity(f.params.len());
        for (i, p) in f.params.iter().enumerate() {
            if f.params[..i].iter().any(|q| q.name.name == p.name.name) {
                self.error(p.name.span, format!("duplicate parameter '{}'", p.name.name));
            }
            params.push(self.resolve_type(p.ty, m, tps));
        }
        let ret = match f.ret {
            Some(r) => self.resolve_type(r, m, tps),
            None => Type::Void,
        };
        (params, ret)
    }

    /// Signatures of module functions and declared types of globals.
    fn resolve_signatures(&mut self, m: usize) {
        let items: &'a [ast::Item<'a>] = self.modules[m].ast.items;
        for item in items {
            match item {
                ast::Item::Fn(f) => {
                    let Some(fid) = self.decl_id(f) else { continue };
                    let tps = self.type_param_names(f.type_params);
                    let (params, ret) = self.resolve_fn_sig(f, m, &tps);
                    let func = &mut self.prog.functions[fid.0 as usize];
                    func.type_params = tps;
                    func.arity = params.len() as u32;
                    func.params = params;
                    func.ret = ret;
                }
                ast::Item::Global(g) => {
                    let Some(gid) = self.module_global_id(g) else { continue };
                    if let Some(t) = g.ty {
                        let ty = self.resolve_type(t, m, &[]);
                        self.prog.globals[gid.0 as usize].ty = ty.clone();
                        self.prog.functions[self.prog.globals[gid.0 as usize].init.0 as usize].ret = ty;
                        self.globals[gid.0 as usize].state = GlobalState::Typed;
                    }
                }
                _ => {}
            }
        }
    }

    /// The id registered for a function or method declaration (by identity of the declaration).
    pub(super) fn decl_id(&self, f: &'a ast::FnDecl<'a>) -> Option<FuncId> {
        self.decl_ids.get(&(f as *const ast::FnDecl<'a> as usize)).copied()
    }

    /// The id registered for class declaration `c` (by identity of the declaration).
    pub(super) fn class_id(&self, c: &'a ast::ClassDecl<'a>) -> Option<ClassId> {
        self.class_ids.get(&(c as *const ast::ClassDecl<'a> as usize)).copied()
    }

    /// The id registered for global declaration `g` (by identity of the declaration).
    pub(super) fn module_global_id(&self, g: &'a ast::GlobalDecl<'a>) -> Option<GlobalId> {
        self.global_ids.get(&(g as *const ast::GlobalDecl<'a> as usize)).copied()
    }

    fn find_main(&mut self) {
        let Some(root) = self.root else { return };
        if self.modules[root].parse_failed {
            return;
        }
        match self.modules[root].defs.get("main").copied() {
            Some(Def::Func(f)) => {
                let func = &self.prog.functions[f.0 as usize];
                let ok = func.params.is_empty() && func.ret == Type::Void && func.type_params.is_empty();
                if !ok {
                    let span = self.fn_decls.get(&f).and_then(|(d, _)| d.name).map(|n| n.span).unwrap_or(func.span);
                    self.error(span, "'main' must take no parameters and return nothing");
                }
                self.prog.main = Some(f);
            }
            _ => {
                let file = self.modules[root].file;
                self.error(Span::new(file, 0, 0), "no 'main' function in the root module");
            }
        }
    }
}
