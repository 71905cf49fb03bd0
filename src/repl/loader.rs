//! Where the REPL's programs get their sources: the generated modules from memory, the running
//! program's modules as the VM has them, then files under the root directory and the standard
//! library. Also the mapping from a file to its module name, and what changed on disk since the
//! VM loaded it (`:reload`, `newt run --watch`).

use newt_compiler::loader::{FsLoader, SourceLoader};
use newt_vm::Vm;
use std::path::{Path, PathBuf};

/// A layered loader: `overlay` first, then `running` (the VM's modules), then the file system.
pub struct Layered<'a> {
    /// (module, path, text) that take precedence (new versions, generated modules).
    pub overlay: Vec<(String, String, String)>,
    /// (module, path, text) of the running program.
    pub running: Vec<(String, String, String)>,
    /// Extra files: a module name bound to an exact path (a program file whose name is not a plain
    /// module name).
    pub files: Vec<(String, PathBuf)>,
    pub fs: &'a FsLoader,
}

impl SourceLoader for Layered<'_> {
    fn load(&self, name: &str) -> Result<Option<(String, String)>, String> {
        for (m, p, t) in self.overlay.iter().chain(&self.running) {
            if m == name {
                return Ok(Some((p.clone(), t.clone())));
            }
        }
        if let Some((_, path)) = self.files.iter().find(|(m, _)| m == name) {
            return std::fs::read_to_string(path)
                .map(|t| Some((path.display().to_string(), t)))
                .map_err(|e| format!("cannot read {}: {e}", path.display()));
        }
        self.fs.load(name)
    }
}

/// The running program's modules as (module, path, text).
pub fn running(vm: &Vm) -> Vec<(String, String, String)> {
    vm.dsu_modules().iter().map(|m| (m.module.clone(), m.path.clone(), m.text.clone())).collect()
}

/// True for a module of the standard library (`std`, `std.json`).
pub fn is_std(module: &str) -> bool {
    module == "std" || module.starts_with("std.")
}

/// True for an identifier that can name a module (not a keyword).
pub fn is_ident(s: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "as", "break", "class", "const", "continue", "else", "extends", "false", "fn", "for", "if", "import", "in",
        "is", "let", "migrate", "module", "nil", "old", "remap", "reboot", "return", "self", "spawn", "super", "true",
        "update", "validate", "var", "while", "lazy", "each",
    ];
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&s)
}

/// The module name of `file` under `root_dir` (`root/a/b.newt` is `a.b`), or why it has none.
pub fn module_name(root_dir: &Path, file: &Path) -> Result<String, String> {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (root, f) = (abs(root_dir), abs(file));
    let rel = f
        .strip_prefix(&root)
        .map_err(|_| format!("'{}' is not under the program's directory '{}'", file.display(), root_dir.display()))?;
    if rel.extension().is_none_or(|e| e != "newt") {
        return Err(format!("'{}' is not a .newt file", file.display()));
    }
    let segs: Vec<String> =
        rel.with_extension("").components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if segs.is_empty() || !segs.iter().all(|s| is_ident(s)) {
        return Err(format!("'{}' does not name a module (a/b.newt is module a.b)", file.display()));
    }
    Ok(segs.join("."))
}

/// A module whose file differs from the source the VM runs: (module, path, new text).
pub type Changed = (String, String, String);

/// Every module of the running program loaded from a file whose contents now differ.
pub fn changed_on_disk(vm: &Vm) -> Vec<Changed> {
    let mut out = Vec::new();
    for m in vm.dsu_modules() {
        let path = Path::new(&m.path);
        if m.path.starts_with('<') || !path.is_file() {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(path) {
            if text != m.text {
                out.push((m.module.clone(), m.path.clone(), text));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_from_paths() {
        let dir = std::env::temp_dir().join(format!("newt-repl-loader-{}", std::process::id()));
        let sub = dir.join("shop");
        let _ = std::fs::create_dir_all(&sub);
        let _ = std::fs::write(sub.join("model.newt"), "");
        let _ = std::fs::write(dir.join("bad-name.newt"), "");
        assert_eq!(module_name(&dir, &sub.join("model.newt")), Ok("shop.model".to_string()));
        assert!(module_name(&dir, &dir.join("bad-name.newt")).is_err());
        assert!(module_name(&sub, &dir.join("bad-name.newt")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
        assert!(is_ident("shop_2") && !is_ident("2shop") && !is_ident("class") && !is_ident(""));
    }
}
