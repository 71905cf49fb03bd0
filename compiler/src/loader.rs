//! Finding module sources by dotted name: `a.b` is `a/b.newt` under the root file's directory,
//! else (for `std.*`) the standard library embedded in the binary.

use std::path::{Path, PathBuf};

/// Where the checker gets a module's source text from.
pub trait SourceLoader {
    /// The display path and text of module `name` (`shop.model`, `std.json`), or `None` when no
    /// such module exists. An unreadable file is reported as `Err` with the OS's message.
    fn load(&self, name: &str) -> Result<Option<(String, String)>, String>;
}

/// Loads user modules from a directory and `std.*` modules from the embedded standard library
/// (or from `stdlib/` on disk when `NEWT_STDLIB` points there, so the library can be edited live).
#[derive(Debug, Clone)]
pub struct FsLoader {
    /// The directory of the root file.
    pub root_dir: PathBuf,
    /// Looks up an embedded std module's source by dotted name.
    pub stdlib: fn(&str) -> Option<&'static str>,
}

impl FsLoader {
    /// A loader rooted at the directory containing `root_file`.
    pub fn for_root_file(root_file: &Path, stdlib: fn(&str) -> Option<&'static str>) -> FsLoader {
        let root_dir = root_file.parent().map(Path::to_path_buf).unwrap_or_default();
        FsLoader { root_dir, stdlib }
    }
}

impl SourceLoader for FsLoader {
    fn load(&self, name: &str) -> Result<Option<(String, String)>, String> {
        let rel: PathBuf = name.split('.').collect::<PathBuf>().with_extension("newt");
        let path = self.root_dir.join(&rel);
        if path.is_file() {
            return std::fs::read_to_string(&path)
                .map(|t| Some((path.display().to_string(), t)))
                .map_err(|e| format!("cannot read {}: {e}", path.display()));
        }
        if name.starts_with("std.") || name == "std" {
            if let Some(text) = (self.stdlib)(name) {
                return Ok(Some((format!("<stdlib>/{}", rel.display()), text.to_string())));
            }
        }
        Ok(None)
    }
}

/// A loader over in-memory sources (tests, the REPL, update requests).
#[derive(Debug, Clone, Default)]
pub struct MemLoader {
    /// (module name, path, text)
    pub modules: Vec<(String, String, String)>,
    /// Fallback for `std.*`.
    pub stdlib: Option<fn(&str) -> Option<&'static str>>,
}

impl SourceLoader for MemLoader {
    fn load(&self, name: &str) -> Result<Option<(String, String)>, String> {
        if let Some((_, p, t)) = self.modules.iter().find(|(n, _, _)| n == name) {
            return Ok(Some((p.clone(), t.clone())));
        }
        if let Some(std) = self.stdlib {
            if let Some(text) = std(name) {
                return Ok(Some((format!("<stdlib>/{}.newt", name.replace('.', "/")), text.to_string())));
            }
        }
        Ok(None)
    }
}
