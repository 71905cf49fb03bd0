//! Phase 1: loading modules. The root module is loaded first, then, depth first, every module it
//! imports. Unknown modules and import cycles are reported at the import; the initialisation order
//! (every module after the modules it imports) is the post-order of that walk.

use super::{Checker, Mod};
use crate::ast;
use crate::diag::Span;
use crate::loader::SourceLoader;
use bumpalo::Bump;
use std::collections::HashMap;

/// Where a module is in the depth-first walk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    OnStack,
    Done,
}

/// The walk's state: modules by name (`None` when the loader has no such module).
struct Loading<'l> {
    loader: &'l dyn SourceLoader,
    by_name: HashMap<String, Option<usize>>,
    visit: HashMap<usize, Visit>,
    stack: Vec<usize>,
}

impl<'a> Checker<'a> {
    /// Loads the root module `root` and everything it imports into `self.modules`.
    /// With an update script, the script is parsed and added as one more module after the
    /// program (its imports are loaded the same way), and its target module is resolved.
    pub(super) fn load_program(
        &mut self,
        arena: &'a Bump,
        loader: &dyn SourceLoader,
        root: &str,
        script: Option<&super::ScriptSource>,
    ) {
        let mut st = Loading { loader, by_name: HashMap::new(), visit: HashMap::new(), stack: Vec::new() };
        self.load_root(arena, &mut st, root);
        let Some(src) = script else { return };
        let Some(idx) = self.add_script_module(arena, src) else { return };
        st.by_name.insert(super::SCRIPT_MODULE.to_string(), Some(idx));
        self.visit_module(arena, &mut st, idx);
        let target_name = self.script.as_ref().map(|s| s.target_name.clone()).unwrap_or_default();
        let target = match self.load_one(arena, &mut st, &target_name) {
            Ok(Some(t)) => {
                if !st.visit.contains_key(&t) {
                    self.visit_module(arena, &mut st, t);
                }
                Some(t)
            }
            _ => None,
        };
        if let Some(s) = self.script.as_mut() {
            s.target = target;
        }
    }

    fn load_root(&mut self, arena: &'a Bump, st: &mut Loading<'_>, root: &str) {
        match self.load_one(arena, st, root) {
            Ok(Some(idx)) => {
                self.root = Some(idx);
                self.check_module_line(idx, true);
                self.visit_module(arena, st, idx);
            }
            Ok(None) => {
                let file = self.sources.add(root, root, "");
                self.error(Span::new(file, 0, 0), format!("unknown module '{root}'"));
            }
            Err(msg) => {
                let file = self.sources.add(root, root, "");
                self.error(Span::new(file, 0, 0), msg);
            }
        }
    }

    /// Loads and parses one module by name (once); `Ok(None)` when it does not exist.
    fn load_one(&mut self, arena: &'a Bump, st: &mut Loading<'_>, name: &str) -> Result<Option<usize>, String> {
        if let Some(&known) = st.by_name.get(name) {
            return Ok(known);
        }
        let loaded = st.loader.load(name)?;
        let Some((path, text)) = loaded else {
            st.by_name.insert(name.to_string(), None);
            return Ok(None);
        };
        let file = self.sources.add(path.clone(), name, text.as_str());
        let text: &'a str = arena.alloc_str(&text);
        let (module, diags) = crate::parse::parse_module(arena, file, text);
        let parse_failed = diags.iter().any(|d| d.severity == crate::diag::Severity::Error);
        self.diags.extend(diags);
        let idx = self.modules.len();
        self.modules.push(Mod {
            name: name.to_string(),
            path,
            file,
            ast: module,
            parse_failed,
            defs: HashMap::new(),
            scope: HashMap::new(),
            import_targets: Vec::new(),
            is_std: name.starts_with("std.") || name == "std",
        });
        st.by_name.insert(name.to_string(), Some(idx));
        Ok(Some(idx))
    }

    /// Depth-first walk over the imports of module `idx`; appends it to `self.order` after them.
    fn visit_module(&mut self, arena: &'a Bump, st: &mut Loading<'_>, idx: usize) {
        st.visit.insert(idx, Visit::OnStack);
        st.stack.push(idx);
        let imports: &'a [ast::Import<'a>] = self.modules[idx].ast.imports;
        let mut targets = Vec::with_capacity(imports.len());
        for imp in imports {
            let name = path_name(&imp.path);
            let target = match self.load_one(arena, st, &name) {
                Ok(Some(t)) => Some(t),
                Ok(None) => {
                    self.error(imp.path.span, format!("unknown module '{name}'"));
                    None
                }
                Err(msg) => {
                    self.error(imp.path.span, msg);
                    None
                }
            };
            targets.push(target);
            let Some(t) = target else { continue };
            match st.visit.get(&t) {
                None => {
                    self.check_module_line(t, false);
                    self.visit_module(arena, st, t);
                }
                Some(Visit::OnStack) => {
                    let from = st.stack.iter().position(|&m| m == t).unwrap_or(0);
                    let mut chain: Vec<&str> =
                        st.stack[from..].iter().map(|&m| self.modules[m].name.as_str()).collect();
                    chain.push(self.modules[t].name.as_str());
                    let msg = format!("import cycle: {}", chain.join(" -> "));
                    self.error(imp.span, msg);
                }
                Some(Visit::Done) => {}
            }
        }
        self.modules[idx].import_targets = targets;
        st.stack.pop();
        st.visit.insert(idx, Visit::Done);
        self.order.push(idx);
    }

    /// Checks the optional `module a.b` line against the module's name (for the root module, whose
    /// name comes from its file name alone, only the last segment has to match and the written name
    /// is adopted).
    fn check_module_line(&mut self, idx: usize, is_root: bool) {
        let Some(p) = self.modules[idx].ast.name else { return };
        let written = path_name(&p);
        let actual = self.modules[idx].name.clone();
        if written == actual {
            return;
        }
        if is_root && written.rsplit('.').next() == Some(actual.as_str()) {
            self.modules[idx].is_std = written.starts_with("std.");
            self.modules[idx].name = written;
            return;
        }
        self.error(p.span, format!("module name '{written}' does not match the file's path '{actual}'"));
    }
}

/// The dotted text of a path: `a.b.c`.
pub(super) fn path_name(p: &ast::Path<'_>) -> String {
    let mut s = String::new();
    for (i, seg) in p.segments.iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        s.push_str(seg.name);
    }
    s
}
