//! Step 1, the part that does not need the running VM: overlaying the new modules on the running
//! sources, type-checking the whole new program together with the update script (against the
//! running version's typed signature, so that `old.` is checked too) and compiling it. It works on
//! an [`AnalysisBase`] copied out of the VM, so it can run on another thread while the program
//! goes on (`Vm::update_compiling_aside`): compiling is most of an update's analysis time, and the
//! VM thread then stops only for the mapping onto the running program and the pause.

use super::analyse::{Rejection, UpdateRequest};
use super::state::{from_source_map, ModuleSource};
use crate::vm::Vm;
use newt_compiler::bytecode::Image;
use newt_compiler::check::{RunningProgram, ScriptSource, SCRIPT_MODULE};
use newt_compiler::diag::{render_all, Severity};
use newt_compiler::loader::MemLoader;

/// What compiling an update needs of the running program, copied out of it.
#[derive(Debug, Clone)]
pub struct AnalysisBase {
    sources: Vec<ModuleSource>,
    root: String,
    running: RunningProgram,
}

/// A compiled new version, ready to be mapped onto the running program. With a script, the
/// image's script section says what to run.
#[derive(Debug)]
pub struct Prepared {
    pub(crate) image: Image,
    /// The new version's sources (the script's module left out).
    pub(crate) sources: Vec<ModuleSource>,
}

impl AnalysisBase {
    /// The running program's sources, root module and typed signature, as of now.
    pub fn of(vm: &Vm) -> AnalysisBase {
        AnalysisBase {
            sources: vm.dsu.sources.clone(),
            root: vm.tables.root_module.clone(),
            running: super::running::running_program(vm),
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
        let modules: Vec<(String, String, String)> =
            sources.iter().map(|s| (s.module.clone(), s.path.clone(), s.text.clone())).collect();
        let script = req.script.as_ref().map(|s| ScriptSource { path: s.path.clone(), text: s.text.clone() });
        let loader = MemLoader { modules, stdlib: Some(newt_stdlib::source) };
        let (program, diags) = newt_compiler::check::check_update(&loader, root, script.as_ref(), &self.running);
        if diags.iter().any(|d| d.severity == Severity::Error) {
            return Err(compile_error(&diags, &program.sources, script.is_some()));
        }
        let image = newt_compiler::codegen::generate(&program)
            .map_err(|diags| compile_error(&diags, &program.sources, script.is_some()))?;
        let mut sources = from_source_map(&image.sources);
        sources.retain(|s| s.module != SCRIPT_MODULE);
        Ok(Prepared { image, sources })
    }
}

/// A rejection for compile errors: the reason names the first error with its `path:line:col`
/// (a program that updates itself sees only the reason), the diagnostics render them all.
fn compile_error(diags: &[newt_compiler::Diagnostic], map: &newt_compiler::SourceMap, scripted: bool) -> Rejection {
    let errors: Vec<&newt_compiler::Diagnostic> = diags.iter().filter(|d| d.severity == Severity::Error).collect();
    let n = errors.len();
    let what = if scripted { "the new version or its update script" } else { "the new version" };
    let first = errors
        .first()
        .map(|d| {
            let at = if (d.span.file.0 as usize) < map.files().len() { map.location(d.span) } else { String::new() };
            format!(": {at}: {}", d.message)
        })
        .unwrap_or_default();
    let more =
        if n > 1 { format!(" (and {} more error{})", n - 1, if n == 2 { "" } else { "s" }) } else { String::new() };
    Rejection { reason: format!("{what} does not compile{first}{more}"), diagnostics: render_all(diags, map) }
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
