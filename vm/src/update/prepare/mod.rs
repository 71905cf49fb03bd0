//! Step 1, the part that does not need the running VM: overlaying the new modules on the running
//! sources, type-checking the whole new program together with the update script (against the
//! running version's typed signature, so that `old.` is checked too) and compiling it. It works on
//! an [`AnalysisBase`] copied out of the VM, so it can run on another thread while the program
//! goes on (`Vm::update_compiling_aside`): compiling is most of an update's analysis time, and the
//! VM thread then stops only for the mapping onto the running program and the pause.

pub(crate) mod running;

use crate::update::analyse::{Rejection, UpdateRequest};
use crate::update::state::{from_source_map, ModuleSource};
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
    /// Development mode: remap every changed function on a stack that can be.
    pub(crate) develop: bool,
}

impl AnalysisBase {
    /// The running program's sources, root module and typed signature, as of now.
    pub fn of(vm: &Vm) -> AnalysisBase {
        AnalysisBase {
            sources: vm.dsu.sources.clone(),
            root: vm.tables.root_module.clone(),
            running: crate::update::prepare::running::running_program(vm),
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
        let (mut program, diags) = newt_compiler::check::check_update(&loader, root, script.as_ref(), &self.running);
        program.remap_all = req.develop;
        if diags.iter().any(|d| d.severity == Severity::Error) {
            return Err(compile_error(&diags, &program.sources, script.is_some()));
        }
        let image = newt_compiler::codegen::generate(&program)
            .map_err(|diags| compile_error(&diags, &program.sources, script.is_some()))?;
        let mut sources = from_source_map(&image.sources);
        sources.retain(|s| s.module != SCRIPT_MODULE);
        // A new module that nothing imports is not compiled at all, and is left out silently (a
        // directory of new sources may hold other files, e.g. the update script). When that
        // leaves nothing to update, committing would change nothing while the report says
        // "committed" (e.g. a file meant to replace `std.http` sent as module `http`): say so.
        let dropped: Vec<&str> = req
            .modules
            .iter()
            .filter(|m| {
                !self.sources.iter().any(|s| s.module == m.module) && !sources.iter().any(|s| s.module == m.module)
            })
            .map(|m| m.module.as_str())
            .collect();
        let changes = req.modules.iter().any(|m| self.sources.iter().any(|s| s.module == m.module && s.text != m.text));
        if !dropped.is_empty() && !changes && req.script.is_none() {
            return Err(Rejection::new(format!(
                "the update changes nothing: module{} '{}' {} new and no module of the program imports {} (to \
                 replace a running module, send it under that module's name, e.g. a file whose path ends in \
                 std/http.newt for std.http)",
                if dropped.len() == 1 { "" } else { "s" },
                dropped.join("', '"),
                if dropped.len() == 1 { "is" } else { "are" },
                if dropped.len() == 1 { "it" } else { "them" },
            )));
        }
        Ok(Prepared { image, sources, develop: req.develop })
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

    fn vm_of(src: &str) -> Vm {
        let modules = vec![("app".to_string(), "app.newt".to_string(), src.to_string())];
        let loader = MemLoader { modules, stdlib: Some(newt_stdlib::source) };
        let program = newt_compiler::check::check_program(&loader, "app").unwrap_or_else(|(d, _)| panic!("{d:?}"));
        let image = newt_compiler::codegen::generate(&program).unwrap_or_else(|d| panic!("{d:?}"));
        Vm::new(image, Vec::new())
    }

    /// A new module that nothing imports is never compiled: an update made only of such modules
    /// would change nothing, so it is refused with the reason; next to a real change such
    /// modules are left out as before (a directory of sources may hold the update script).
    #[test]
    fn an_update_of_only_unimported_new_modules_is_refused() {
        let vm = vm_of("import std.math\nfn main() { print(math.abs(-1.0)) }\n");
        let base = AnalysisBase::of(&vm);
        let math = newt_stdlib::source("std.math").unwrap_or_default().to_string() + "\nfn answer() -> int = 42\n";
        // A replacement of std.math sent under its file stem.
        let r = base.prepare(&UpdateRequest::module("math", &math));
        let reason = r.as_ref().err().map(|e| e.reason.clone()).unwrap_or_default();
        assert!(reason.starts_with("the update changes nothing: module 'math' is new"), "{r:?}");
        let r = base.prepare(&UpdateRequest::module("math", &math).with("more", "fn f() {}\n"));
        let reason = r.as_ref().err().map(|e| e.reason.clone()).unwrap_or_default();
        assert!(reason.starts_with("the update changes nothing: modules 'math', 'more' are new"), "{r:?}");
        // Under its own name it is compiled.
        let p = base.prepare(&UpdateRequest::module("std.math", &math)).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(p.sources.iter().any(|s| s.module == "std.math" && s.text == math));
        // Next to a changed module, an extra one is left out.
        let app = "import std.math\nfn main() { print(math.abs(-2.0)) }\n";
        let p = base.prepare(&UpdateRequest::module("app", app).with("notes", "fn f() {}\n"));
        let p = p.unwrap_or_else(|e| panic!("{e:?}"));
        assert!(!p.sources.iter().any(|s| s.module == "notes"));
    }

    /// The base and the prepared update cross threads (`Vm::update_compiling_aside`).
    #[test]
    fn base_and_prepared_are_send() {
        fn send<T: Send>() {}
        send::<AnalysisBase>();
        send::<Prepared>();
        send::<Rejection>();
    }
}
