//! The messages of the control port (tools.md, "Control port") as JSON values: parsing requests,
//! building replies, and turning update reports into JSON and back into text.

use newt_vm::{Changes, Outcome, UpdateReport};
use serde_json::{json, Map, Value};
use std::time::Duration;

/// A request after the authentication line.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// `{"op": "status"}`.
    Status,
    /// `{"op": "update", ...}`.
    Update(UpdateArgs),
}

/// The fields of an update request.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateArgs {
    /// Module name → new source, in the order given.
    pub modules: Vec<(String, String)>,
    pub script: Option<String>,
    pub timeout: Duration,
    pub dry_run: bool,
}

/// Parses one request line; `Err` is the message of a `bad_request` reply.
pub fn parse_request(line: &[u8]) -> Result<Request, String> {
    let v: Value = serde_json::from_slice(line).map_err(|e| format!("not a JSON object: {e}"))?;
    let obj = v.as_object().ok_or("a request must be a JSON object")?;
    match obj.get("op").and_then(Value::as_str) {
        Some("status") => Ok(Request::Status),
        Some("update") => parse_update(obj).map(Request::Update),
        Some("auth") => Err("already authenticated".into()),
        Some(other) => Err(format!("unknown op '{other}' (expected \"status\" or \"update\")")),
        None => Err("missing \"op\" (a string)".into()),
    }
}

fn parse_update(obj: &Map<String, Value>) -> Result<UpdateArgs, String> {
    let modules = obj.get("modules").and_then(Value::as_object).ok_or("\"modules\" must be an object")?;
    if modules.is_empty() {
        return Err("\"modules\" must name at least one module".into());
    }
    let mut list = Vec::new();
    for (name, src) in modules {
        let ok_name = !name.is_empty()
            && name.split('.').all(|p| {
                !p.is_empty()
                    && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !p.starts_with(|c: char| c.is_ascii_digit())
            });
        if !ok_name {
            return Err(format!("'{name}' is not a module name"));
        }
        let src = src.as_str().ok_or_else(|| format!("the source of module '{name}' must be a string"))?;
        list.push((name.clone(), src.to_string()));
    }
    let script = match obj.get("script") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("\"script\" must be a string or null".into()),
    };
    let timeout = match obj.get("timeout_ms") {
        None | Some(Value::Null) => newt_vm::DEFAULT_TIMEOUT,
        Some(v) => Duration::from_millis(v.as_u64().ok_or("\"timeout_ms\" must be a non-negative integer")?),
    };
    let dry_run = match obj.get("dry_run") {
        None | Some(Value::Null) => false,
        Some(v) => v.as_bool().ok_or("\"dry_run\" must be a boolean")?,
    };
    Ok(UpdateArgs { modules: list, script, timeout, dry_run })
}

/// `{"ok": false, "error": {...}}`.
pub fn error(kind: &str, message: &str) -> Value {
    json!({"ok": false, "error": {"kind": kind, "message": message, "diagnostics": []}})
}

fn changes(c: &Changes) -> Value {
    json!({"added": c.added, "changed": c.changed, "removed": c.removed})
}

/// A report as JSON.
pub fn report(r: &UpdateReport, dry_run: bool) -> Value {
    json!({
        "id": r.id,
        "outcome": r.outcome.as_str(),
        "dry_run": dry_run,
        "reason": r.reason,
        "diagnostics": r.diagnostics,
        "changes": {
            "functions": changes(&r.changes.functions),
            "classes": changes(&r.changes.classes),
            "globals": changes(&r.changes.globals),
        },
        "counts": {
            "instances_migrated": r.counts.instances_migrated,
            "instances_lazy": r.counts.instances_lazy,
            "frames_remapped": r.counts.frames_remapped,
            "fibers_rebooted": r.counts.fibers_rebooted,
        },
        "timings": {
            "analyse_us": r.timings.analyse_us,
            "wait_us": r.timings.wait_us,
            "pause_us": r.timings.pause_us,
            "commit_us": r.timings.commit_us,
        },
        "version": r.version,
    })
}

/// The reply to an update: ok with the report when committed (or a dry run passed), else an
/// error of kind `rejected`/`aborted` that carries the report too.
pub fn update_reply(r: &UpdateReport, dry_run: bool) -> Value {
    if r.outcome == Outcome::Committed {
        return json!({"ok": true, "report": report(r, dry_run)});
    }
    let diagnostics: Vec<&str> = if r.diagnostics.is_empty() { Vec::new() } else { vec![r.diagnostics.as_str()] };
    json!({"ok": false, "error": {
        "kind": r.outcome.as_str(),
        "message": r.reason,
        "diagnostics": diagnostics,
        "report": report(r, dry_run),
    }})
}

/// A JSON report as the text `newt update` prints (the same shape as `UpdateReport`'s Display).
pub fn report_text(r: &Value) -> String {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let n = |v: &Value, k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
    let dry = if r.get("dry_run").and_then(Value::as_bool) == Some(true) { " (dry run)" } else { "" };
    let mut out = format!("update {}: {}{dry} (version {})\n", n(r, "id"), s(r, "outcome"), n(r, "version"));
    let reason = s(r, "reason");
    if !reason.is_empty() {
        out.push_str(&format!("  reason: {reason}\n"));
    }
    let diags = s(r, "diagnostics");
    if !diags.is_empty() {
        out.push_str(&diags);
        if !diags.ends_with('\n') {
            out.push('\n');
        }
    }
    let empty = Value::Null;
    let ch = r.get("changes").unwrap_or(&empty);
    for kind in ["functions", "classes", "globals"] {
        for what in ["added", "changed", "removed"] {
            let names: Vec<&str> = ch
                .get(kind)
                .and_then(|c| c.get(what))
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if !names.is_empty() {
                out.push_str(&format!("  {kind} {what}: {}\n", names.join(", ")));
            }
        }
    }
    let counts = r.get("counts").unwrap_or(&empty);
    out.push_str(&format!("  instances migrated: {}\n", n(counts, "instances_migrated")));
    let rebooted = n(counts, "fibers_rebooted");
    if rebooted > 0 {
        out.push_str(&format!("  fibers rebooted: {rebooted}\n"));
    }
    let remapped = n(counts, "frames_remapped");
    if remapped > 0 {
        out.push_str(&format!("  frames remapped: {remapped}\n"));
    }
    let t = r.get("timings").unwrap_or(&empty);
    out.push_str(&format!(
        "  timings (us): analyse {}, wait {}, pause {}, commit {}\n",
        n(t, "analyse_us"),
        n(t, "wait_us"),
        n(t, "pause_us"),
        n(t, "commit_us")
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        assert_eq!(parse_request(br#"{"op":"status","extra":1}"#), Ok(Request::Status));
        assert!(parse_request(b"{").is_err());
        assert!(parse_request(b"[1]").is_err());
        assert!(parse_request(br#"{"op":"update"}"#).is_err());
        assert!(parse_request(br#"{"op":"update","modules":{}}"#).is_err());
        assert!(parse_request(br#"{"op":"update","modules":{"a":1}}"#).is_err());
        assert!(parse_request(br#"{"op":"update","modules":{"a b":"x"}}"#).is_err());
        assert!(parse_request(br#"{"op":"update","modules":{"a":"x"},"timeout_ms":-1}"#).is_err());
        let r = parse_request(br#"{"op":"update","modules":{"a.b":"x"},"timeout_ms":7,"dry_run":true}"#);
        let Ok(Request::Update(u)) = r else { panic!("not an update: {r:?}") };
        assert_eq!(u.modules, vec![("a.b".to_string(), "x".to_string())]);
        assert_eq!(u.timeout, Duration::from_millis(7));
        assert!(u.dry_run && u.script.is_none());
    }

    /// `newt update` prints the counts as `UpdateReport`'s Display does: rebooted fibers only
    /// when there are some.
    #[test]
    fn report_text_counts() {
        let r = |rebooted: u64| {
            json!({"id": 2, "outcome": "committed", "version": 1,
                   "counts": {"instances_migrated": 3, "fibers_rebooted": rebooted}})
        };
        let text = report_text(&r(1));
        assert!(text.contains("  instances migrated: 3\n  fibers rebooted: 1\n"), "{text}");
        assert!(!report_text(&r(0)).contains("fibers rebooted"));
    }
}
