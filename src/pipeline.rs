//! Source file to checked program to bytecode image: the front-end pipeline shared by every
//! command, with diagnostics rendered the one way `newt check` prints them.

use newt_compiler::bytecode::Image;
use newt_compiler::diag::{render_all, Diagnostic, SourceMap};
use newt_compiler::hir::Program;
use std::path::Path;

/// Why a file could not be compiled: the rendered diagnostics, ready for stderr.
pub struct CompileFailure {
    pub rendered: String,
}

impl CompileFailure {
    fn from_diags(diags: &[Diagnostic], sources: &SourceMap) -> CompileFailure {
        CompileFailure { rendered: render_all(diags, sources) }
    }
}

/// Loads, parses and type-checks `path` and everything it imports.
pub fn check(path: &Path) -> Result<Program, CompileFailure> {
    newt_compiler::check::check_file(path, newt_stdlib::source)
        .map_err(|(diags, sources)| CompileFailure::from_diags(&diags, &sources))
}

/// Checks and compiles `path` to a bytecode image.
pub fn compile(path: &Path) -> Result<Image, CompileFailure> {
    let program = check(path)?;
    newt_compiler::codegen::generate(&program).map_err(|diags| CompileFailure::from_diags(&diags, &program.sources))
}
