//! The client side of the control port: `newt update --connect` and `newt status --connect`.

use super::protocol::report_text;
use super::{read_line, token, Line, MAX_LINE};
use serde_json::{json, Map, Value};
use std::io::{BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Exit status: cannot connect or authenticate.
pub const EXIT_CONNECT: u8 = 2;
/// Exit status: aborted, rejected or bad request.
pub const EXIT_FAILED: u8 = 1;

/// Where to connect and with which token.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub addr: String,
    pub token_file: Option<PathBuf>,
}

/// An authenticated connection.
struct Conn {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Conn {
    fn open(t: &Target) -> Result<Conn, String> {
        let path = match &t.token_file {
            Some(p) => p.clone(),
            None => token::default_path()?,
        };
        let secret = token::read(&path)?;
        let addrs = t.addr.to_socket_addrs().map_err(|e| format!("bad address '{}': {e}", t.addr))?;
        let mut last = format!("'{}' resolves to nothing", t.addr);
        for a in addrs {
            match TcpStream::connect_timeout(&a, Duration::from_secs(5)) {
                Ok(s) => {
                    let w = s.try_clone().map_err(|e| e.to_string())?;
                    let mut c = Conn { r: BufReader::new(s), w };
                    let reply = c.call(&json!({"op": "auth", "token": secret}))?;
                    if reply.get("ok").and_then(Value::as_bool) != Some(true) {
                        return Err(format!("authentication failed: {}", error_message(&reply)));
                    }
                    return Ok(c);
                }
                Err(e) => last = format!("cannot connect to {a}: {e}"),
            }
        }
        Err(last)
    }

    fn call(&mut self, v: &Value) -> Result<Value, String> {
        let mut line = v.to_string();
        line.push('\n');
        self.w.write_all(line.as_bytes()).map_err(|e| format!("cannot send: {e}"))?;
        match read_line(&mut self.r, MAX_LINE).map_err(|e| format!("cannot read the reply: {e}"))? {
            Line::Text(t) => serde_json::from_slice(&t).map_err(|e| format!("malformed reply: {e}")),
            Line::TooLong => Err("reply longer than 16 MiB".into()),
            Line::Eof => Err("the VM closed the connection".into()),
        }
    }
}

fn error_message(reply: &Value) -> String {
    let e = reply.get("error");
    let kind = e.and_then(|e| e.get("kind")).and_then(Value::as_str).unwrap_or("error");
    let msg = e.and_then(|e| e.get("message")).and_then(Value::as_str).unwrap_or("");
    format!("{kind}: {msg}")
}

/// Module name → source for the update's PATHs. A directory is searched like an import root
/// (`a/b.newt` under it is module `a.b`). A file replaces the module of the running program
/// (`running`: its module names) whose dotted name its path ends with, the longest when several
/// do: `fix/std/http.newt` is `std.http`, `v2/shop/model.newt` is `shop.model`, `v2/model.newt`
/// is `model`; else the standard-library module it ends with (`v2/std/dsu.newt`). A file that
/// matches none is a new module named by its file stem.
pub fn collect_modules(paths: &[String], running: &[String]) -> Result<Vec<(String, String)>, String> {
    let mut sources = read_sources(paths)?;
    name_files(&mut sources, running);
    Ok(sources.into_iter().map(|s| (s.module, s.text)).collect())
}

/// One module source read for an update.
struct Source {
    module: String,
    text: String,
    /// The path, when the source was given as a file (not found in a directory).
    file: Option<PathBuf>,
}

/// Reads the update's PATHs; a file is named by its stem until [`name_files`] has seen the
/// running program's modules.
fn read_sources(paths: &[String]) -> Result<Vec<Source>, String> {
    let mut out = Vec::new();
    for p in paths {
        let path = Path::new(p);
        if path.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files).map_err(|e| format!("cannot read directory '{p}': {e}"))?;
            files.sort();
            for f in files {
                let rel = f.strip_prefix(path).unwrap_or(&f).with_extension("");
                let name: Vec<String> =
                    rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
                out.push(Source { module: name.join("."), text: read(&f)?, file: None });
            }
        } else {
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            if name.is_empty() {
                return Err(format!("'{p}' is not a source file"));
            }
            out.push(Source { module: name, text: read(path)?, file: Some(path.to_path_buf()) });
        }
    }
    Ok(out)
}

/// Names each source given as a file after the running module it replaces (see
/// [`collect_modules`]).
fn name_files(sources: &mut [Source], running: &[String]) {
    for s in sources.iter_mut() {
        let named = s.file.as_deref().and_then(|f| running_module_of(f, running).or_else(|| stdlib_module_of(f)));
        if let Some(m) = named {
            s.module = m;
        }
    }
}

/// The standard-library module a file's path ends with (`v2/std/dsu.newt` is `std.dsu`), for a
/// std module the running program does not load yet (the update adds it, or its script
/// imports it).
fn stdlib_module_of(file: &Path) -> Option<String> {
    let stem = file.file_stem()?.to_string_lossy().into_owned();
    let parent = file.parent()?.file_name()?.to_string_lossy().into_owned();
    let name = format!("{parent}.{stem}");
    (parent == "std" && newt_stdlib::source(&name).is_some()).then_some(name)
}

/// The longest module of `running` whose dotted name the file's path ends with (`x/std/http.newt`
/// ends with `std.http`); only the path's last plain components count.
fn running_module_of(file: &Path, running: &[String]) -> Option<String> {
    let mut tail: Vec<String> = Vec::new();
    for c in file.with_extension("").components().rev() {
        match c {
            std::path::Component::Normal(s) => tail.push(s.to_string_lossy().into_owned()),
            _ => break,
        }
    }
    tail.reverse();
    running
        .iter()
        .filter(|m| {
            let parts: Vec<&str> = m.split('.').collect();
            parts.len() <= tail.len() && tail[tail.len() - parts.len()..].iter().zip(&parts).all(|(a, b)| a == b)
        })
        .max_by_key(|m| m.split('.').count())
        .cloned()
}

fn read(p: &Path) -> Result<String, String> {
    std::fs::read_to_string(p).map_err(|e| format!("cannot read '{}': {e}", p.display()))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "newt") {
            out.push(p);
        }
    }
    Ok(())
}

/// `newt update --connect`.
pub fn update(
    t: &Target,
    paths: &[String],
    script: Option<&str>,
    timeout_ms: Option<u64>,
    dry_run: bool,
    as_json: bool,
) -> u8 {
    let mut sources = match read_sources(paths) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("newt: {e}");
            return EXIT_FAILED;
        }
    };
    let script = match script.map(|s| read(Path::new(s))).transpose() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("newt: {e}");
            return EXIT_FAILED;
        }
    };
    let mut conn = match Conn::open(t) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("newt: {e}");
            return EXIT_CONNECT;
        }
    };
    // A file is named after the running module it replaces, so the VM's module names are needed.
    let running = match conn.call(&json!({"op": "status"})) {
        Ok(reply) => running_modules(&reply),
        Err(e) => {
            eprintln!("newt: {e}");
            return EXIT_CONNECT;
        }
    };
    name_files(&mut sources, &running);
    let map: Map<String, Value> = sources.into_iter().map(|s| (s.module, Value::String(s.text))).collect();
    let mut req = json!({"op": "update", "modules": map, "script": script, "dry_run": dry_run});
    if let Some(ms) = timeout_ms {
        req["timeout_ms"] = json!(ms);
    }
    let reply = match conn.call(&req) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("newt: {e}");
            return EXIT_CONNECT;
        }
    };
    let ok = reply.get("ok").and_then(Value::as_bool) == Some(true);
    if as_json {
        println!("{reply}");
    } else if let Some(r) = reply.get("report").or_else(|| reply.get("error").and_then(|e| e.get("report"))) {
        print!("{}", report_text(r));
    } else if !ok {
        eprintln!("newt: {}", error_message(&reply));
    }
    if ok {
        0
    } else {
        EXIT_FAILED
    }
}

/// The module names in a status reply.
fn running_modules(reply: &Value) -> Vec<String> {
    let modules = reply.get("status").and_then(|s| s.get("modules")).and_then(Value::as_array);
    modules.into_iter().flatten().filter_map(|m| m.get("name").and_then(Value::as_str).map(String::from)).collect()
}

/// `newt status --connect`.
pub fn status(t: &Target, as_json: bool) -> u8 {
    let reply = Conn::open(t).and_then(|mut c| c.call(&json!({"op": "status"})));
    let reply = match reply {
        Ok(r) => r,
        Err(e) => {
            eprintln!("newt: {e}");
            return EXIT_CONNECT;
        }
    };
    let Some(st) = reply.get("status") else {
        eprintln!("newt: {}", error_message(&reply));
        return EXIT_CONNECT;
    };
    if as_json {
        println!("{st}");
    } else {
        print!("{}", status_text(st));
    }
    0
}

fn status_text(st: &Value) -> String {
    let arr = |v: &Value, k: &str| v.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let n = |v: &Value, k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
    let mut out = format!("version {}\nmodules:\n", n(st, "version"));
    for m in arr(st, "modules") {
        out.push_str(&format!("  {} v{} {} {}\n", s(&m, "name"), n(&m, "version"), s(&m, "hash"), s(&m, "path")));
    }
    out.push_str("fibers:\n");
    for f in arr(st, "fibers") {
        let name = f.get("name").and_then(Value::as_str).map(|n| format!(" '{n}'")).unwrap_or_default();
        out.push_str(&format!("  fiber {}{name}: {}\n", n(&f, "id"), s(&f, "status")));
        for fr in arr(&f, "frames") {
            out.push_str(&format!("    at {} ({}:{})\n", s(&fr, "function"), s(&fr, "path"), n(&fr, "line")));
        }
    }
    out.push_str("history:\n");
    for r in arr(st, "history") {
        for line in report_text(&r).lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_file_is_named_after_the_running_module_its_path_ends_with() {
        let running = names(&["main", "model", "shop.model", "std.http", "std.dsu.policies"]);
        let of = |p: &str| running_module_of(Path::new(p), &running);
        assert_eq!(of("examples/chat/std_http_fix/std/http.newt").as_deref(), Some("std.http"));
        assert_eq!(of("/abs/fix/std/dsu/policies.newt").as_deref(), Some("std.dsu.policies"));
        assert_eq!(of("v2/shop/model.newt").as_deref(), Some("shop.model"));
        assert_eq!(of("v2/model.newt").as_deref(), Some("model"));
        assert_eq!(of("model.newt").as_deref(), Some("model"));
        // No running module: the caller keeps the stem (a new module).
        assert_eq!(of("v2/http.newt"), None);
        assert_eq!(of("std/json.newt"), None);
        // Only the path's last plain components count.
        assert_eq!(of("std/../http.newt"), None);
        assert_eq!(running_module_of(Path::new("std/http.newt"), &[]), None);
    }

    #[test]
    fn sources_given_as_files_or_directories() {
        let dir = std::env::temp_dir().join(format!("newt-client-sources-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let std_dir = dir.join("fix").join("std");
        std::fs::create_dir_all(&std_dir).unwrap_or_else(|e| panic!("mkdir: {e}"));
        std::fs::write(std_dir.join("http.newt"), "// fixed\n").unwrap_or_else(|e| panic!("write: {e}"));
        let file = std_dir.join("http.newt").display().to_string();
        let root = dir.join("fix").display().to_string();
        let running = names(&["main", "std.http"]);
        let got = collect_modules(std::slice::from_ref(&file), &running);
        assert_eq!(got, Ok(vec![("std.http".to_string(), "// fixed\n".to_string())]));
        // A directory is an import root, whatever runs.
        assert_eq!(collect_modules(std::slice::from_ref(&root), &[]).map(|m| m[0].0.clone()), Ok("std.http".into()));
        // A standard-library module the program does not load yet is still named so.
        assert_eq!(collect_modules(&[file], &[]).map(|m| m[0].0.clone()), Ok("std.http".into()));
        // Otherwise, without the running module, a file is named by its stem.
        std::fs::write(dir.join("fix").join("http.newt"), "// other\n").unwrap_or_else(|e| panic!("write: {e}"));
        let plain = dir.join("fix").join("http.newt").display().to_string();
        assert_eq!(collect_modules(&[plain], &[]).map(|m| m[0].0.clone()), Ok("http".into()));
        assert!(collect_modules(&[dir.join("nope.newt").display().to_string()], &running).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
