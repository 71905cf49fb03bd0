//! Every program of the conformance suite that checks without errors must give HIR without a
//! trace of `Type::Error` (the checker uses it only after reporting an error), with every
//! `main` found, and with captured locals and lambda captures that agree.

use newt_compiler::check::check_file;
use newt_compiler::hir::{Capture, FunctionKind, Program};
use newt_compiler::types::Type;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

fn newt_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "lib") {
                newt_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "newt") {
            out.push(p);
        }
    }
}

fn contains_error(t: &Type) -> bool {
    match t {
        Type::Error => true,
        Type::List(e) | Type::Optional(e) | Type::Chan(e) => contains_error(e),
        Type::Map(k, v) => contains_error(k) || contains_error(v),
        Type::Fn(ps, r) => ps.iter().any(contains_error) || contains_error(r),
        Type::Class(_, a) => a.iter().any(contains_error),
        _ => false,
    }
}

/// Problems found in a program that checked cleanly.
fn audit(p: &Program) -> Vec<String> {
    let mut bad = Vec::new();
    for f in &p.functions {
        for l in &f.locals {
            if contains_error(&l.ty) {
                bad.push(format!("{}: local {} has an error type", f.name, l.name));
            }
        }
        if f.params.iter().any(contains_error) || contains_error(&f.ret) {
            bad.push(format!("{}: signature has an error type", f.name));
        }
        if let FunctionKind::Lambda { parent, .. } = f.kind {
            let Some(parent) = p.functions.get(parent.0 as usize) else {
                bad.push(format!("{}: bad parent", f.name));
                continue;
            };
            for c in &f.captures {
                match c {
                    Capture::Local(l) => match parent.locals.get(l.0 as usize) {
                        Some(local) if local.captured => {}
                        _ => bad.push(format!("{}: captures a local its parent does not keep in a cell", f.name)),
                    },
                    Capture::Capture(i) => {
                        if *i as usize >= parent.captures.len() {
                            bad.push(format!("{}: captures a missing capture of its parent", f.name));
                        }
                    }
                }
            }
        }
    }
    for g in &p.globals {
        if contains_error(&g.ty) {
            bad.push(format!("{}: global has an error type", g.name));
        }
    }
    bad
}

/// The standard library read from `stdlib/std/` (the compiler crate does not depend on the
/// stdlib crate, which embeds the same files).
fn disk_stdlib(name: &str) -> Option<&'static str> {
    static CACHE: OnceLock<Mutex<HashMap<String, &'static str>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = cache.lock().ok()?;
    if let Some(s) = map.get(name) {
        return Some(s);
    }
    let file = name.strip_prefix("std.")?.replace('.', "/");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib/std").join(format!("{file}.newt"));
    let text: &'static str = Box::leak(std::fs::read_to_string(path).ok()?.into_boxed_str());
    map.insert(name.to_string(), text);
    Some(text)
}

#[test]
fn clean_programs_of_the_suite_have_sound_hir() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/lang");
    let mut files = Vec::new();
    newt_files(&root, &mut files);
    // More programs (e.g. a fuzzer's) can be audited the same way.
    if let Some(extra) = std::env::var_os("NEWT_AUDIT_DIR") {
        newt_files(Path::new(&extra), &mut files);
    }
    let mut problems = Vec::new();
    let mut clean = 0;
    for f in &files {
        if let Ok(p) = check_file(f, disk_stdlib) {
            clean += 1;
            if p.main.is_none() {
                problems.push(format!("{}: no main", f.display()));
            }
            problems.extend(audit(&p).into_iter().map(|m| format!("{}: {m}", f.display())));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    if root.is_dir() {
        assert!(clean > 0, "no clean program found under {}", root.display());
    }
}
