//! The control token: where it lives, creating it safely, and comparing it in constant time.

use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// `$HOME/.newt/control-token`, the default `--token-file`.
pub fn default_path() -> Result<PathBuf, String> {
    match std::env::var_os("HOME") {
        Some(home) if !home.is_empty() => Ok(PathBuf::from(home).join(".newt").join("control-token")),
        _ => Err("HOME is not set; pass --token-file".into()),
    }
}

/// The token in `path` with surrounding white space removed (the client side).
pub fn read(path: &Path) -> Result<String, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read token file '{}': {e}", path.display()))?;
    let token = text.trim().to_string();
    if token.is_empty() {
        return Err(format!("token file '{}' is empty", path.display()));
    }
    Ok(token)
}

/// The server side: reads the token, creating the file (mode 0600, random token) when missing;
/// refuses a file that group or others may read.
pub fn load_or_create(path: &Path) -> Result<String, String> {
    match std::fs::metadata(path) {
        Ok(meta) => {
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(format!(
                    "token file '{}' is accessible by group or others (mode {:o}); run chmod 600 on it",
                    path.display(),
                    meta.permissions().mode() & 0o777
                ));
            }
            read(path)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(format!("cannot read token file '{}': {e}", path.display())),
    }
}

fn create(path: &Path) -> Result<String, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| format!("cannot create '{}': {e}", dir.display()))?;
    }
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("cannot read /dev/urandom: {e}"))?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot create token file '{}': {e}", path.display()))?;
    writeln!(f, "{token}").map_err(|e| format!("cannot write token file '{}': {e}", path.display()))?;
    eprintln!("newt: created control token file {}", path.display());
    Ok(token)
}

use std::os::unix::fs::DirBuilderExt;

/// Compares two tokens in time that depends only on their lengths, not on where they differ.
pub fn matches(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    let mut diff = (a.len() != b.len()) as u8;
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison() {
        assert!(matches("abc", "abc"));
        assert!(!matches("abd", "abc"));
        assert!(!matches("ab", "abc"));
        assert!(!matches("", "abc"));
    }

    #[test]
    fn created_private_and_refused_when_public() {
        let dir = std::env::temp_dir().join(format!("newt-token-{}", std::process::id()));
        let path = dir.join("sub").join("tok");
        let t = load_or_create(&path).unwrap_or_default();
        assert_eq!(t.len(), 64);
        let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
        assert_eq!(mode, 0o600);
        assert_eq!(load_or_create(&path).ok(), Some(t));
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644));
        assert!(load_or_create(&path).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
