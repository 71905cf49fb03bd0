//! Step 1, the part that does not need the running VM: overlaying the new modules on the running
//! sources, desugaring the update script, type-checking the whole new program and compiling it.
//! It works on an [`AnalysisBase`] copied out of the VM, so it can run on another thread while the
//! program goes on (`Vm::update_compiling_aside`): compiling is most of an update's analysis time,
//! and the VM thread then stops only for the mapping onto the running program and the pause.

use super::analyse::{Rejection, UpdateRequest};
use super::script::{Desugared, RunningView};
use super::state::{from_source_map, ModuleSource};
use crate::vm::Vm;
use newt_compiler::bytecode::Image;
use newt_compiler::diag::render_all;
use newt_compiler::loader::MemLoader;

/// What compiling an update needs of the running program, copied out of it.
#[derive(Debug, Clone)]
pub struct AnalysisBase {
    sources: Vec<ModuleSource>,
    root: String,
    running: RunningView,
}

/// A compiled new version, ready to be mapped onto the running program.
#[derive(Debug)]
pub struct Prepared {
    pub(crate) image: Image,
    /// The new version's sources (the script's module left out).
    pub(crate) sources: Vec<ModuleSource>,
    pub(crate) script: Option<Desugared>,
}

impl AnalysisBase {
    /// The running program's sources, root module and layouts, as of now.
    pub fn of(vm: &Vm) -> AnalysisBase {
        AnalysisBase {
            sources: vm.dsu.sources.clone(),
            root: vm.tables.root_module.clone(),
            running: RunningView::of(vm),
        }
    }

    /// Compiles `req` against this base (see the module docs). Errors are the rejections with
    /// `newt check`'s diagnostics.
    pub fn prepare(&self, req: &UpdateRequest) -> Result<Prepared, Rejection> {
        if req.modules.is_empty() {
            return Err(Rejection::new("the update names no module"));
        }
        let root = &self.root;
        let mut sources = self.sources.clone();
        for m in &req.modules {
            match sources.iter_mut().find(|s| s.module == m.module) {
                Some(s) => {
                    s.text = m.text.clone();
                    if !m.path.is_empty() {
                        s.path = m.path.clone();
                    }
                }
                None => sources.push(m.clone()),
            }
        }
        let mut modules: Vec<(String, String, String)> =
            sources.iter().map(|s| (s.module.clone(), s.path.clone(), s.text.clone())).collect();
        // A script is compiled as one more module that imports the target (and the root, so that
        // the whole program is still checked); it becomes the root of this check.
        let script = match &req.script {
            Some(src) => {
                let find = |m: &str| sources.iter().find(|s| s.module == m).map(|s| s.text.clone());
                let mut d = super::script::desugar(&self.running, &src.path, &src.text, &find)?;
                if d.target != *root {
                    d.text = format!("import {root} as upd_root\n{}", d.text);
                }
                // The root of a check needs a `main`; this one is never called.
                d.text.push_str("fn main() {}\n");
                // Diagnostics show the generated code (see `script`), so say so in the path.
                let path = format!("{} (as compiled)", src.path);
                modules.push((super::script::SCRIPT_MODULE.into(), path, d.text.clone()));
                Some(d)
            }
            None => None,
        };
        let check_root = if script.is_some() { super::script::SCRIPT_MODULE } else { root.as_str() };
        let loader = MemLoader { modules, stdlib: Some(newt_stdlib::source) };
        let program = newt_compiler::check::check_program(&loader, check_root).map_err(|(diags, map)| {
            let mut r = compile_error(&diags, &map);
            if script.is_some() {
                r.reason = r.reason.replacen("the new version", "the new version or its update script", 1);
            }
            r
        })?;
        let image =
            newt_compiler::codegen::generate(&program).map_err(|diags| compile_error(&diags, &program.sources))?;
        let mut sources = from_source_map(&image.sources);
        sources.retain(|s| s.module != super::script::SCRIPT_MODULE);
        Ok(Prepared { image, sources, script })
    }
}

fn compile_error(diags: &[newt_compiler::Diagnostic], map: &newt_compiler::SourceMap) -> Rejection {
    let n = diags.iter().filter(|d| d.severity == newt_compiler::diag::Severity::Error).count();
    Rejection {
        reason: format!("the new version does not compile ({n} error{})", if n == 1 { "" } else { "s" }),
        diagnostics: render_all(diags, map),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The base and the prepared update cross threads (`Vm::update_compiling_aside`).
    #[test]
    fn base_and_prepared_are_send() {
        fn send<T: Send>() {}
        send::<AnalysisBase>();
        send::<Prepared>();
        send::<Rejection>();
    }
}
