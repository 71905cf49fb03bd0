//! Starting `newt run --control` in the tests that drive a program through its control port
//! (shared by `tests/control.rs` and `tests/example_updates.rs`): the child with its stdout and
//! stderr delivered line by line over channels, so every wait can be bounded.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};

/// Lines read from `r` on a thread of their own.
pub fn lines(r: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Runs `newt run --control 127.0.0.1:0 --token-file TOKEN PROGRAM ARGS...` in `dir`; returns
/// the child, its stdout lines and its stderr lines.
pub fn spawn(dir: &Path, token: &Path, program: &str, args: &[&str]) -> (Child, Receiver<String>, Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_newt"))
        .args(["run", "--control", "127.0.0.1:0", "--token-file"])
        .arg(token)
        .arg(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run newt: {e}"));
    let stdout = lines(child.stdout.take().unwrap_or_else(|| panic!("no stdout")));
    let stderr = lines(child.stderr.take().unwrap_or_else(|| panic!("no stderr")));
    (child, stdout, stderr)
}
