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

/// Module name → source for the update's PATHs: a file is the module named by its file stem; a
/// directory is searched like an import root (`a/b.newt` is module `a.b`).
pub fn collect_modules(paths: &[String]) -> Result<Vec<(String, String)>, String> {
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
                out.push((name.join("."), read(&f)?));
            }
        } else {
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            if name.is_empty() {
                return Err(format!("'{p}' is not a source file"));
            }
            out.push((name, read(path)?));
        }
    }
    Ok(out)
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
    let modules = match collect_modules(paths) {
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
    let map: Map<String, Value> = modules.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
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
