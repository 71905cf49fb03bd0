//! The short form of an update report that the REPL and `newt run --watch` show (updates.md,
//! "Triggers and reports"): one line for a commit, the reason and the `newt check` diagnostics for a
//! rejection or an abort.

use newt_vm::{Changes, Outcome, UpdateReport};

/// True for names the REPL generates for itself (`repl.__eval_3`), which reports leave out.
pub fn is_internal(name: &str) -> bool {
    name.split('.').any(|seg| seg.starts_with("__"))
}

fn count(c: &Changes) -> usize {
    c.added.iter().chain(&c.changed).chain(&c.removed).filter(|n| !is_internal(n)).count()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `1204` as `1,204`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// Milliseconds with one decimal (`0.8 ms`).
pub fn millis(us: u64) -> String {
    format!("{:.1} ms", us as f64 / 1000.0)
}

/// The short report: `Updated shop (3 functions, 1 class; 1,204 objects migrated) in 0.8 ms`, or
/// `Rejected update of shop: ...` followed by the diagnostics, ending with a newline.
pub fn short(what: &str, r: &UpdateReport) -> String {
    match r.outcome {
        Outcome::Committed => {
            let mut parts = Vec::new();
            let f = count(&r.changes.functions);
            let c = count(&r.changes.classes);
            let g = count(&r.changes.globals);
            if f > 0 {
                parts.push(plural(f, "function", "functions"));
            }
            if c > 0 {
                parts.push(plural(c, "class", "classes"));
            }
            if g > 0 {
                parts.push(plural(g, "global", "globals"));
            }
            let mut inside = if parts.is_empty() { "no changes".to_string() } else { parts.join(", ") };
            let migrated = r.counts.instances_migrated + r.counts.instances_lazy;
            if migrated > 0 {
                let noun = if migrated == 1 { "object" } else { "objects" };
                inside.push_str(&format!("; {} {noun} migrated", thousands(migrated)));
            }
            let t = &r.timings;
            let total = t.analyse_us + t.wait_us + t.pause_us;
            format!("Updated {what} ({inside}) in {} (pause {})\n", millis(total), millis(t.pause_us))
        }
        Outcome::Rejected | Outcome::Aborted => {
            let word = if r.outcome == Outcome::Rejected { "Rejected" } else { "Aborted" };
            let mut s = format!("{word} update of {what}: {}; the old version keeps running\n", r.reason);
            if !r.diagnostics.is_empty() {
                s.push_str(&r.diagnostics);
                if !s.ends_with('\n') {
                    s.push('\n');
                }
            }
            s
        }
    }
}

/// The full report (`:history`), with internal names left out.
pub fn long(r: &UpdateReport) -> String {
    let mut r = r.clone();
    for c in [&mut r.changes.functions, &mut r.changes.classes, &mut r.changes.globals] {
        for list in [&mut c.added, &mut c.changed, &mut c.removed] {
            list.retain(|n| !is_internal(n));
        }
    }
    format!("{r}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use newt_vm::{ChangeSet, Counts, Timings};

    fn report(outcome: Outcome) -> UpdateReport {
        let mut changes = ChangeSet::default();
        changes.functions.changed = vec!["shop.a".into(), "shop.b".into(), "repl.__eval_1".into()];
        changes.functions.added = vec!["shop.c".into()];
        changes.classes.changed = vec!["shop.Product".into()];
        UpdateReport {
            id: 1,
            outcome,
            reason: if outcome == Outcome::Committed { String::new() } else { "no".into() },
            diagnostics: String::new(),
            changes,
            counts: Counts { instances_migrated: 1204, ..Counts::default() },
            timings: Timings { analyse_us: 500, wait_us: 0, pause_us: 300, commit_us: 10 },
            version: 1,
        }
    }

    #[test]
    fn short_reports() {
        assert_eq!(
            short("shop", &report(Outcome::Committed)),
            "Updated shop (3 functions, 1 class; 1,204 objects migrated) in 0.8 ms (pause 0.3 ms)\n"
        );
        assert_eq!(
            short("shop", &report(Outcome::Rejected)),
            "Rejected update of shop: no; the old version keeps running\n"
        );
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert!(!long(&report(Outcome::Committed)).contains("__eval"));
    }
}
