//! Update-script scenarios, one folder each under `vm/tests/script_scenarios/` (issue: update
//! scripts as part of the language). A folder holds a running version, a new version, a script
//! and what must happen:
//!
//! - `*.newt` at the top: version 1, one file per module (`app.newt` is module `app`,
//!   `shop.model.newt` is `shop.model`). Module `app` gets `import std.time` and a `main` that
//!   calls `setup()` then sleeps forever appended, so it must define `fn setup()` and
//!   `fn probe() -> str` (a description of the state the scenario cares about).
//! - `v2/*.newt`: the modules the update replaces or adds (same naming; `app` gets the same
//!   `main`).
//! - `update.newt`: the update script, if any.
//! - `expect`: `key: value` lines — `before:` (probe before), `outcome:` (`committed`,
//!   `rejected`, `aborted`), `after:` (probe after a commit), `reason:` (a substring of the
//!   report's reason, repeatable), `diagnostic:` (a substring of the rendered diagnostics,
//!   repeatable), `migrated:` (instances migrated), `no diagnostic:` (a substring that must not
//!   appear), `pending:` (the scenario needs a capability that is not built yet, named there: it
//!   is ignored, so `cargo test -- --ignored` shows what is missing).
//!
//! - `after2:` (optional): the probe after the second, script-less update, when the program
//!   moved on in between (default: the same as `after:`).
//! - `v3/*.newt`, `update3.newt` (optional): a third version applied after version 2 committed,
//!   with `outcome3:`, `after3:` and `reason3:` in `expect`.
//!
//! The diagnostics of every rejected scenario are also an `insta` snapshot
//! (`vm/tests/snapshots/script_scenarios__NAME.snap`).
//!
//! Every scenario that does not commit must leave the program exactly as it was: the digest of
//! every global and class, and the probe, are compared before and after. A committed scenario's
//! probe is also taken again after a second, script-less update to version 2 (the script leaves
//! nothing behind that breaks the next update).

use libtest_mimic::{Arguments, Failed, Trial};
use newt_compiler::bytecode::Image;
use newt_compiler::loader::MemLoader;
use newt_vm::{Io, Outcome, SharedBuf, Status, UpdateRequest, Vm, VmOptions};
use std::path::{Path, PathBuf};

const MAIN: &str = "
fn main() {
    setup()
    while true {
        time.sleep(2)
    }
}
";

fn main() {
    let args = Arguments::from_args();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/script_scenarios");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    dirs.sort();
    let trials = dirs
        .into_iter()
        .map(|d| {
            let name = d.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            // `pending: WHY` marks a scenario of a capability not built yet (it is listed, and
            // ignored, with its reason in the expect file).
            let pending = expectations(&d).map(|e| e.iter().any(|(k, _)| k == "pending")).unwrap_or(false);
            Trial::test(name, move || run(&d)).with_ignored_flag(pending)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

/// The modules of one version: (module name, text), `app` with the shared `main`.
fn modules(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "newt")).collect())
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "update.newt"))
        .map(|p| {
            let name = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            let text = if name == "app" { format!("import std.time\n{text}\n{MAIN}") } else { text };
            (name, text)
        })
        .collect()
}

/// An update to `mods` with `script`, waiting at most 2 s for its safe point.
fn request(mods: &[(String, String)], script: Option<String>) -> UpdateRequest {
    let mut req = UpdateRequest {
        modules: Vec::new(),
        timeout: std::time::Duration::from_secs(2),
        dry_run: false,
        script: None,
        develop: false,
    };
    for (name, text) in mods {
        req = req.with(name, text);
    }
    match script {
        Some(s) => req.script(&s),
        None => req,
    }
}

fn compile(mods: &[(String, String)]) -> Result<Image, String> {
    let loader = MemLoader {
        modules: mods.iter().map(|(n, t)| (n.clone(), format!("{}.newt", n.replace('.', "/")), t.clone())).collect(),
        stdlib: Some(newt_stdlib::source),
    };
    let program = newt_compiler::check::check_program(&loader, "app")
        .map_err(|(d, s)| newt_compiler::diag::render_all(&d, &s))?;
    newt_compiler::codegen::generate(&program).map_err(|d| newt_compiler::diag::render_all(&d, &program.sources))
}

/// Runs the VM until every fiber is parked or done.
fn settle(vm: &mut Vm) -> Result<(), String> {
    for _ in 0..100_000 {
        vm.step();
        let all_parked = vm
            .fiber_ids()
            .iter()
            .all(|&id| matches!(vm.fiber(id).map(|f| f.status), Some(Status::Parked(_) | Status::Done { .. })));
        if all_parked {
            return Ok(());
        }
    }
    Err("the program never settled".into())
}

fn probe(vm: &mut Vm) -> String {
    let t = vm.tables();
    let Some(slot) = t.global_info.iter().rposition(|g| g.slot.name == "app.probe") else {
        return "error: no app.probe".into();
    };
    let f = t.globals[slot];
    match vm.invoke(f, &[]) {
        Ok(v) => vm.display(v),
        Err(e) => format!("error: {}", e.error.msg),
    }
}

/// Every global's name and shown value, the class layouts and the version.
fn digest(vm: &Vm) -> String {
    let t = vm.tables();
    let mut d = format!("version {}\n", vm.dsu_version());
    for (i, g) in t.global_info.iter().enumerate() {
        d.push_str(&format!("{} = {}\n", g.slot.name, vm.display(t.globals[i])));
    }
    for c in &t.classes {
        let fields: Vec<String> = c.fields.iter().map(|f| format!("{}: {}", f.name, f.ty)).collect();
        d.push_str(&format!("class {} {{ {} }} vtable {:?}\n", c.name, fields.join(", "), c.vtable));
    }
    d
}

/// The `expect` file as (key, value) pairs in order.
fn expectations(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(dir.join("expect")).map_err(|e| format!("no expect file: {e}"))?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(": ").map(|(k, v)| (k.trim().to_string(), v.to_string())))
        .collect())
}

fn run(dir: &Path) -> Result<(), Failed> {
    let expect = expectations(dir)?;
    let get = |k: &str| expect.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
    let all = |k: &str| expect.iter().filter(|(x, _)| x == k).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let v1 = modules(dir);
    let v2 = modules(&dir.join("v2"));
    let out = SharedBuf::new();
    let io = Io::new(Box::new(out.clone()), Box::new(SharedBuf::new()), Box::new(std::io::Cursor::new(Vec::new())));
    let mut vm = Vm::with_options(compile(&v1)?, vec![], VmOptions { io });
    settle(&mut vm)?;
    let before = probe(&mut vm);
    if let Some(b) = get("before") {
        if before != b {
            return Err(format!("before: expected {b:?}, probe gave {before:?}").into());
        }
    }
    let digest_before = digest(&vm);
    let req = request(&v2, std::fs::read_to_string(dir.join("update.newt")).ok());
    let report = vm.update(req);
    let shown = format!("{report}\n{}", report.diagnostics);
    let outcome = match report.outcome {
        Outcome::Committed => "committed",
        Outcome::Rejected => "rejected",
        Outcome::Aborted => "aborted",
    };
    let want = get("outcome").unwrap_or_else(|| "committed".into());
    if outcome != want {
        return Err(format!("outcome: expected {want}, got {outcome}:\n{shown}").into());
    }
    for r in all("reason") {
        if !report.reason.contains(&r) {
            return Err(format!("reason should contain {r:?}:\n{shown}").into());
        }
    }
    for d in all("diagnostic") {
        if !report.diagnostics.contains(&d) {
            return Err(format!("diagnostics should contain {d:?}:\n{shown}").into());
        }
    }
    for d in all("no diagnostic") {
        if shown.contains(&d) {
            return Err(format!("the report must not mention {d:?}:\n{shown}").into());
        }
    }
    // The rendered diagnostics of every rejected script are snapshots: their wording, positions
    // and source lines are reviewed like code (vm/tests/snapshots/).
    if outcome == "rejected" && !report.diagnostics.is_empty() {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let settings = insta::Settings::clone_current();
        settings.bind(|| insta::assert_snapshot!(name, report.diagnostics.clone()));
    }
    if let Some(n) = get("migrated") {
        if report.counts.instances_migrated.to_string() != n {
            return Err(format!("migrated: expected {n}, got {}:\n{shown}", report.counts.instances_migrated).into());
        }
    }
    settle(&mut vm)?;
    let after = probe(&mut vm);
    if outcome != "committed" {
        if after != before {
            return Err(format!("the probe changed after a failed update: {before:?} -> {after:?}").into());
        }
        if digest(&vm) != digest_before {
            return Err(
                format!("the state changed after a failed update:\n{}\n---\n{}", digest_before, digest(&vm)).into()
            );
        }
        return Ok(());
    }
    if let Some(a) = get("after") {
        if after != a {
            return Err(format!("after: expected {a:?}, probe gave {after:?}\n{shown}").into());
        }
    }
    // The script leaves nothing behind that stands in the way of the next update.
    let r2 = vm.update(request(&v2, None));
    if r2.outcome != Outcome::Committed {
        return Err(format!("a second, script-less update of version 2 failed:\n{r2}\n{}", r2.diagnostics).into());
    }
    settle(&mut vm)?;
    let again = probe(&mut vm);
    let want_again = get("after2").unwrap_or_else(|| after.clone());
    if again != want_again {
        return Err(format!("after the second update the probe gave {again:?}, expected {want_again:?}").into());
    }
    // An optional third version with its own script (`v3/`, `update3.newt`, `outcome3:`,
    // `after3:`, `reason3:`), applied to the committed version 2.
    if dir.join("v3").is_dir() {
        let req = request(&modules(&dir.join("v3")), std::fs::read_to_string(dir.join("update3.newt")).ok());
        let before3 = digest(&vm);
        let r3 = vm.update(req);
        let shown = format!("{r3}\n{}", r3.diagnostics);
        let want = get("outcome3").unwrap_or_else(|| "committed".into());
        let got = match r3.outcome {
            Outcome::Committed => "committed",
            Outcome::Rejected => "rejected",
            Outcome::Aborted => "aborted",
        };
        if got != want {
            return Err(format!("third update: expected {want}, got {got}:\n{shown}").into());
        }
        for r in all("reason3") {
            if !r3.reason.contains(&r) {
                return Err(format!("third update's reason should contain {r:?}:\n{shown}").into());
            }
        }
        settle(&mut vm)?;
        let after3 = probe(&mut vm);
        if got != "committed" && (after3 != after || digest(&vm) != before3) {
            return Err(format!("a failed third update changed the program: {after:?} -> {after3:?}").into());
        }
        if let Some(a) = get("after3") {
            if after3 != a {
                return Err(format!("after3: expected {a:?}, probe gave {after3:?}\n{shown}").into());
            }
        }
    }
    Ok(())
}
