//! The examples the README sends a newcomer to, run as the README says: `examples/live` must
//! update itself while its ticker fiber runs (the output before and after the update, and the
//! migrated objects' state), and `examples/vector3d` must render its frames.

use std::path::Path;
use std::process::Command;

fn run_example(rel: &str, args: &[&str]) -> (String, String, Option<i32>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_newt"))
        .arg("run")
        .arg(rel)
        .args(args)
        .current_dir(root)
        .output()
        .unwrap_or_else(|e| panic!("cannot run newt: {e}"));
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

#[test]
fn live_example_updates_itself_while_running() {
    let (out, err, code) = run_example("examples/live/main.newt", &[]);
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    let lines: Vec<&str> = out.lines().collect();
    let ticks: Vec<&&str> = lines.iter().filter(|l| l.starts_with("tick ")).collect();
    assert_eq!(ticks.len(), 6, "{out}");
    // Before the update: version 1's report; after it: version 2's, with the migrated objects
    // keeping their state (apple's stock) and gaining the new field's default.
    assert_eq!(*ticks[0], "tick 0: apple=5 pear=3");
    assert!(lines.contains(&"update committed: 2 objects migrated, now version 1"), "{out}");
    assert_eq!(*ticks[5], "tick 5: [v2] apple: 5 left, rated 4.5, pear: 1 left, rated 4.5", "{out}");
    let update_at = lines.iter().position(|l| l.starts_with("-- applying")).unwrap_or(usize::MAX);
    let first_v2 = lines.iter().position(|l| l.contains("[v2]")).unwrap_or(0);
    assert!(update_at < first_v2, "the new code runs only after the update: {out}");
    assert!(lines.iter().take(update_at).all(|l| !l.contains("[v2]")), "{out}");
}

#[test]
fn vector3d_renders_frames() {
    let (out, err, code) = run_example("examples/vector3d/main.newt", &["3"]);
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.starts_with("frame 1 of stream: 2 vectors\n  (1.00, 0.00, 0.00) |####\n"), "{out}");
    assert!(out.ends_with("rendered 3 frames\n"), "{out}");
}
