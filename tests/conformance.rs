//! The conformance harness: every `.newt` file under `tests/` is one test of `cargo test`
//! (language.md, "Test files"). Each file is run as `newt run FILE` from the workspace root and
//! its output is checked against the expectations written in its comments:
//!
//! - `// expect: TEXT` — the next line the program prints to stdout is exactly `TEXT`. Taken in
//!   file order, these lines are the whole of stdout: nothing more, nothing less.
//! - `// expect error: TEXT` — compiling fails (exit status 65) with an error on this line whose
//!   message contains `TEXT`. Every error the compiler reports must be expected on its line, and
//!   every expected error must be reported; one line may hold several (`// expect error: A
//!   // expect error: B`). Errors are read from stderr in rustc's layout
//!   (`error: MESSAGE` then ` --> PATH:LINE:COL`). Expectations are also read from the local
//!   modules the test imports (`import a.b` → `a/b.newt` next to the test, followed transitively),
//!   so an error reported inside a helper module is expected in that module.
//! - `// expect runtime error: TEXT` — the program stops with status 70 and a line of stderr
//!   starts with `error: ` and contains `TEXT`; stdout is exactly the `expect:` lines before it
//!   (there may be none after it).
//! - `// expect stderr: TEXT` — some line of stderr contains `TEXT` (for stack traces and for the
//!   errors of fibers other than main's, which do not stop the program).
//! - `// expect exit: N` — the program exits with status `N` instead of 0.
//! - `// args: a b c` — words passed to the program after the file name (`std.process.args()`).
//! - `// stdin: TEXT` — a line (`TEXT` and a newline) given to the program on stdin; several
//!   such lines are given in file order. Without any, stdin is empty.
//! - Otherwise the program must exit with status 0.
//!
//! Files under a directory named `lib` are helper modules imported by the tests next to it, not
//! tests themselves. Each test is named by its path under `tests/` (`lang/int/div_zero.newt`),
//! so `cargo test --test conformance -- int/` runs one feature. A program that runs longer than
//! 10 seconds (`NEWT_TEST_TIMEOUT_SECS` overrides this) is killed and fails.
//!
//! Every file that runs a program is also run under GC stress (`NEWT_STRESS_GC=1`: a collection
//! at every allocation), as the test `stress-gc/<path>`; `cargo test --test conformance --
//! stress-gc/` runs only those.

use libtest_mimic::{Arguments, Failed, Trial};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Exit status of a compile error (tools.md).
const STATUS_COMPILE: i32 = 65;
/// Exit status of a runtime error in main's fiber (tools.md).
const STATUS_RUNTIME: i32 = 70;
/// Default time a test program may run before it is killed.
const DEFAULT_TIMEOUT_SECS: u64 = 10;

fn main() {
    let args = Arguments::from_args();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect_tests(&root.join("tests"), &mut files);
    files.sort();
    let mut trials = Vec::new();
    for path in files {
        let rel = path.strip_prefix(&root).unwrap_or(&path).to_path_buf();
        let name = rel.strip_prefix("tests").unwrap_or(&rel).to_string_lossy().replace('\\', "/");
        // Every program that runs is run a second time with a collection at every allocation
        // (`NEWT_STRESS_GC=1`, the run-time form of the `stress-gc` feature); files that only
        // expect compile errors never reach the VM, so they have no stress run.
        let runs = std::fs::read_to_string(&path).map(|s| !s.contains("// expect error:")).unwrap_or(true);
        if runs {
            let (root, rel) = (root.clone(), rel.clone());
            trials.push(Trial::test(format!("stress-gc/{name}"), move || run_test(&root, &rel, true)));
        }
        let root = root.clone();
        trials.push(Trial::test(name, move || run_test(&root, &rel, false)));
    }
    libtest_mimic::run(&args, trials).exit();
}

/// Every `.newt` file under `dir`, skipping helper-module directories named `lib`.
fn collect_tests(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "lib") {
                collect_tests(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "newt") {
            out.push(path);
        }
    }
}

/// What one test file says its program must do.
#[derive(Default)]
struct Expectations {
    /// `(line, text)` of each `// expect:` in file order.
    stdout: Vec<(usize, String)>,
    /// `(line, text)` of the `// expect runtime error:`, with the number of `expect:` lines before it.
    runtime_error: Option<(usize, String, usize)>,
    /// Texts that some line of stderr must contain.
    stderr: Vec<String>,
    /// Expected exit status when no error is expected.
    exit: i32,
    /// Program arguments.
    args: Vec<String>,
    /// Text given on stdin.
    stdin: String,
}

/// The `// expect error:` lines of one file: line → texts.
type ErrorExpectations = BTreeMap<usize, Vec<String>>;

/// Returns the text after `marker` on `line`, without the one space that follows the colon.
fn directive<'l>(line: &'l str, marker: &str) -> Option<&'l str> {
    let at = line.find(marker)?;
    let rest = &line[at + marker.len()..];
    Some(rest.strip_prefix(' ').unwrap_or(rest).trim_end_matches('\r'))
}

fn parse_expectations(source: &str) -> Result<Expectations, String> {
    let mut exp = Expectations::default();
    for (i, line) in source.lines().enumerate() {
        let line_no = i + 1;
        if let Some(text) = directive(line, "// expect runtime error:") {
            if exp.runtime_error.is_some() {
                return Err(format!("line {line_no}: only one `expect runtime error` per file"));
            }
            exp.runtime_error = Some((line_no, text.to_string(), exp.stdout.len()));
        } else if let Some(text) = directive(line, "// expect stderr:") {
            exp.stderr.push(text.to_string());
        } else if let Some(text) = directive(line, "// expect exit:") {
            exp.exit = text.trim().parse().map_err(|_| format!("line {line_no}: bad exit status {text:?}"))?;
        } else if let Some(text) = directive(line, "// expect:") {
            if exp.runtime_error.is_some() {
                return Err(format!("line {line_no}: `expect:` after `expect runtime error:` can never be printed"));
            }
            exp.stdout.push((line_no, text.to_string()));
        } else if let Some(text) = directive(line, "// args:") {
            exp.args.extend(text.split_whitespace().map(str::to_string));
        } else if let Some(text) = directive(line, "// stdin:") {
            exp.stdin.push_str(text);
            exp.stdin.push('\n');
        }
    }
    Ok(exp)
}

fn parse_error_expectations(source: &str) -> ErrorExpectations {
    let mut out = ErrorExpectations::new();
    const MARKER: &str = "// expect error:";
    for (i, line) in source.lines().enumerate() {
        // A line may expect several errors: `// expect error: A // expect error: B`.
        let mut rest = line;
        while let Some(at) = rest.find(MARKER) {
            let after = &rest[at + MARKER.len()..];
            let end = after.find(MARKER).unwrap_or(after.len());
            let text = after[..end].trim_end_matches('\r');
            let text = text.strip_prefix(' ').unwrap_or(text);
            let text = if end < after.len() { text.trim_end() } else { text };
            out.entry(i + 1).or_default().push(text.to_string());
            rest = &after[end..];
        }
    }
    out
}

/// The local modules `source` imports, as files under `import_root` that exist.
fn local_imports(source: &str, import_root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for line in source.lines() {
        let Some(rest) = line.trim_start().strip_prefix("import ") else { continue };
        let path_text: String =
            rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.').collect();
        let segments: Vec<&str> = path_text.split('.').filter(|s| !s.is_empty()).collect();
        // `import a.b.{x}` names module `a.b`; `import a.b` and `import a.b as c` name `a.b`.
        for n in (1..=segments.len()).rev() {
            let mut file = import_root.to_path_buf();
            for s in &segments[..n] {
                file.push(s);
            }
            file.set_extension("newt");
            if file.is_file() {
                out.push(file);
                break;
            }
        }
    }
    out
}

/// Error expectations of the test file and of every local module it imports (transitively),
/// keyed by canonical path.
fn gather_error_expectations(test: &Path, source: &str) -> BTreeMap<PathBuf, ErrorExpectations> {
    let import_root = test.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut out = BTreeMap::new();
    let mut seen = BTreeSet::new();
    let mut queue = vec![(test.to_path_buf(), source.to_string())];
    while let Some((file, text)) = queue.pop() {
        let key = canonical(&file);
        if !seen.insert(key.clone()) {
            continue;
        }
        for import in local_imports(&text, &import_root) {
            if let Ok(t) = std::fs::read_to_string(&import) {
                queue.push((import, t));
            }
        }
        out.insert(key, parse_error_expectations(&text));
    }
    out
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// One `error:` diagnostic read back from stderr.
struct Reported {
    message: String,
    /// `(path as printed, line)`, or `None` when no `-->` line followed.
    location: Option<(String, usize)>,
}

/// Reads rustc-layout diagnostics: `error: MESSAGE` followed by `  --> PATH:LINE:COL`.
fn parse_reported_errors(stderr: &str) -> Vec<Reported> {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(message) = line.strip_prefix("error: ") else { continue };
        let location = lines.get(i + 1).and_then(|next| {
            let loc = next.trim_start().strip_prefix("--> ")?;
            let mut parts = loc.trim_end().rsplitn(3, ':');
            let _col = parts.next()?;
            let line_no: usize = parts.next()?.parse().ok()?;
            Some((parts.next()?.to_string(), line_no))
        });
        out.push(Reported { message: message.to_string(), location });
    }
    out
}

/// What running the program produced.
struct Outcome {
    status: Option<i32>,
    stdout: String,
    stderr: String,
    timed_out: bool,
}

fn timeout() -> Duration {
    let secs =
        std::env::var("NEWT_TEST_TIMEOUT_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_TIMEOUT_SECS);
    Duration::from_secs(secs)
}

/// Runs `newt run FILE ARGS...` from `root`, killing it after the timeout.
fn run_program(root: &Path, file: &Path, exp: &Expectations, stress: bool) -> Result<Outcome, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_newt"))
        .env("NEWT_STRESS_GC", if stress { "1" } else { "0" })
        .arg("run")
        .arg(file)
        .args(&exp.args)
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start newt: {e}"))?;
    let stdin = child.stdin.take();
    let input = exp.stdin.clone();
    let writer = thread::spawn(move || {
        if let Some(mut s) = stdin {
            // The program may exit without reading its input; a broken pipe is not a failure.
            let _ = s.write_all(input.as_bytes());
        }
    });
    let stdout = reader(child.stdout.take());
    let stderr = reader(child.stderr.take());
    let (status, timed_out) = wait_bounded(&mut child, timeout())?;
    let _ = writer.join();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok(Outcome { status: status.and_then(|s| s.code()), stdout, stderr, timed_out })
}

fn reader<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Waits for `child` at most `limit`; kills it when the time is up.
fn wait_bounded(child: &mut Child, limit: Duration) -> Result<(Option<ExitStatus>, bool), String> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok((Some(status), false)),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                // After a kill the process is reaped promptly; bound this wait too.
                let reap_deadline = Instant::now() + Duration::from_secs(5);
                while Instant::now() < reap_deadline {
                    if let Ok(Some(_)) = child.try_wait() {
                        break;
                    }
                    thread::sleep(Duration::from_millis(10));
                }
                return Ok((None, true));
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("cannot wait for newt: {e}")),
        }
    }
}

fn run_test(root: &Path, rel: &Path, stress: bool) -> Result<(), Failed> {
    let full = root.join(rel);
    let source = std::fs::read_to_string(&full).map_err(|e| format!("cannot read {}: {e}", rel.display()))?;
    let exp = parse_expectations(&source).map_err(|e| format!("{}: {e}", rel.display()))?;
    let errors = gather_error_expectations(&full, &source);
    let expects_compile_error = errors.values().any(|e| !e.is_empty());
    if expects_compile_error && exp.runtime_error.is_some() {
        return Err(format!("{}: a file cannot expect both compile and runtime errors", rel.display()).into());
    }
    let out = run_program(root, rel, &exp, stress)?;
    let mut problems = Vec::new();
    if out.timed_out {
        problems.push(format!("timed out after {} s (killed)", timeout().as_secs()));
    } else if expects_compile_error {
        check_compile_errors(root, &out, &errors, &mut problems);
    } else {
        check_run(&out, &exp, &mut problems);
    }
    for text in &exp.stderr {
        if !out.stderr.lines().any(|l| l.contains(text.as_str())) {
            problems.push(format!("stderr has no line containing {text:?}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(report(&problems, &exp, &out).into())
    }
}

fn check_compile_errors(
    root: &Path,
    out: &Outcome,
    expected: &BTreeMap<PathBuf, ErrorExpectations>,
    problems: &mut Vec<String>,
) {
    if out.status != Some(STATUS_COMPILE) {
        problems.push(format!("expected compile errors (exit status {STATUS_COMPILE}), got {}", status_text(out)));
    }
    let reported = parse_reported_errors(&out.stderr);
    // (file, line) → messages reported there.
    let mut at: BTreeMap<(PathBuf, usize), Vec<&str>> = BTreeMap::new();
    for r in &reported {
        let Some((path, line)) = &r.location else {
            problems.push(format!("error without a location: {:?}", r.message));
            continue;
        };
        let file = canonical(&root.join(path));
        let wanted = expected.get(&file).and_then(|m| m.get(line));
        match wanted {
            Some(texts) if texts.iter().any(|t| r.message.contains(t.as_str())) => {}
            Some(texts) => problems.push(format!(
                "{path}:{line}: reported {:?}, but this line expects an error containing {}",
                r.message,
                texts.iter().map(|t| format!("{t:?}")).collect::<Vec<_>>().join(" or ")
            )),
            None => problems.push(format!("{path}:{line}: unexpected error {:?}", r.message)),
        }
        at.entry((file, *line)).or_default().push(&r.message);
    }
    for (file, lines) in expected {
        for (line, texts) in lines {
            let got = at.get(&(file.clone(), *line));
            for t in texts {
                if !got.is_some_and(|msgs| msgs.iter().any(|m| m.contains(t.as_str()))) {
                    problems.push(format!(
                        "{}:{line}: expected an error containing {t:?}, none reported on this line",
                        file.strip_prefix(canonical(root)).unwrap_or(file).display()
                    ));
                }
            }
        }
    }
}

fn check_run(out: &Outcome, exp: &Expectations, problems: &mut Vec<String>) {
    let wanted: Vec<&(usize, String)> = match &exp.runtime_error {
        Some((_, _, before)) => exp.stdout[..*before].iter().collect(),
        None => exp.stdout.iter().collect(),
    };
    match &exp.runtime_error {
        Some((line, text, _)) => {
            if out.status != Some(STATUS_RUNTIME) {
                problems.push(format!(
                    "expected a runtime error (exit status {STATUS_RUNTIME}) containing {text:?} (line {line}), got {}",
                    status_text(out)
                ));
            }
            if !out.stderr.lines().any(|l| l.strip_prefix("error: ").is_some_and(|m| m.contains(text.as_str()))) {
                problems.push(format!("stderr has no `error: ` line containing {text:?} (expected at line {line})"));
            }
        }
        None => {
            if out.status != Some(exp.exit) {
                problems.push(format!("expected exit status {}, got {}", exp.exit, status_text(out)));
            }
        }
    }
    let actual: Vec<&str> = out.stdout.lines().collect();
    let n = wanted.len().max(actual.len());
    for i in 0..n {
        match (wanted.get(i), actual.get(i)) {
            (Some((_, w)), Some(a)) if w == a => {}
            (Some((line, w)), Some(a)) => {
                problems.push(format!("stdout line {}: expected {w:?} (line {line}), got {a:?}", i + 1));
                break;
            }
            (Some((line, w)), None) => {
                problems.push(format!("stdout ended after {} lines; expected {w:?} (line {line}) next", actual.len()));
                break;
            }
            (None, Some(a)) => {
                problems.push(format!("stdout line {}: unexpected extra output {a:?}", i + 1));
                break;
            }
            (None, None) => break,
        }
    }
}

fn status_text(out: &Outcome) -> String {
    match out.status {
        Some(code) => format!("exit status {code}"),
        None => "no exit status (killed by a signal)".to_string(),
    }
}

fn report(problems: &[String], exp: &Expectations, out: &Outcome) -> String {
    let mut s = String::new();
    for p in problems {
        s.push_str(p);
        s.push('\n');
    }
    s.push_str("--- expected stdout ---\n");
    for (_, line) in &exp.stdout {
        s.push_str(line);
        s.push('\n');
    }
    s.push_str("--- actual stdout ---\n");
    s.push_str(&out.stdout);
    s.push_str("--- stderr ---\n");
    s.push_str(&out.stderr);
    s.push_str(&format!("--- {} ---\n", status_text(out)));
    s
}
