//! Running an example under `newt run --control` for tests/example_updates.rs: its control and
//! program addresses parsed from stderr, its stdout read line by line with bounded waits,
//! `newt update` against its control port, a scratch directory with a private control token and
//! broken copies of the examples' update scripts. The process is killed when dropped.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The longest any single wait may take.
pub const WAIT: Duration = Duration::from_secs(30);

/// A scratch directory (control token, broken update scripts), removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("newt-example-updates-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir: {e}"));
        let token = dir.join("token");
        std::fs::write(&token, "example-updates-token\n").unwrap_or_else(|e| panic!("write: {e}"));
        let _ = std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600));
        Scratch(dir)
    }

    pub fn token(&self) -> PathBuf {
        self.0.join("token")
    }

    /// Writes a copy of `script` (a path from the workspace root) with each (from, to) replacement
    /// applied, and returns the copy's path.
    pub fn broken_script(&self, script: &str, edits: &[(&str, &str)]) -> PathBuf {
        let p = self.0.join("broken.newt");
        std::fs::write(&p, edited(script, edits)).unwrap_or_else(|e| panic!("write: {e}"));
        p
    }

    /// Like `broken_script` for a source file of a new version: the copy keeps the file's name
    /// (in a directory of its own), so that it is still the module of that name.
    pub fn broken_source(&self, source: &str, edits: &[(&str, &str)]) -> PathBuf {
        let name = Path::new(source).file_name().unwrap_or_else(|| panic!("{source} has no file name"));
        let dir = self.0.join("broken-sources");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir: {e}"));
        let p = dir.join(name);
        std::fs::write(&p, edited(source, edits)).unwrap_or_else(|e| panic!("write: {e}"));
        p
    }
}

/// The text of `file` (a path from the workspace root) with each (from, to) replacement applied;
/// each `from` must occur in it.
fn edited(file: &str, edits: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(root().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    for (from, to) in edits {
        assert!(text.contains(from), "{file} no longer contains {from:?}");
        text = text.replace(from, to);
    }
    text
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The workspace root, where the examples are.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// An example running under `newt run --control`, killed when dropped.
pub struct Running {
    child: Child,
    /// The control port's address.
    pub control: String,
    /// The program's own address ("listening on ADDR"), for the servers.
    pub addr: String,
    stdout: Receiver<String>,
    /// Every stdout line consumed so far (for failure messages).
    seen: Vec<String>,
    /// Everything the program printed on stderr after its addresses.
    stderr: Arc<Mutex<String>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Starts `examples/<main>` with `args`; waits for the control address and, when `server`,
    /// for the program's own "listening on" line.
    pub fn start(main: &str, args: &[&str], token: &Path, server: bool) -> Running {
        let (mut child, stdout, stderr) = crate::controlled::spawn(root(), token, &format!("examples/{main}"), args);
        let deadline = Instant::now() + WAIT;
        let (mut control, mut addr) = (String::new(), String::new());
        let mut other = Vec::new();
        while control.is_empty() || (server && addr.is_empty()) {
            match stderr.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(l) => {
                    if let Some(a) = l.strip_prefix("newt: control port listening on ") {
                        control = a.to_string();
                    } else if let Some(a) = l.strip_prefix("listening on ") {
                        addr = a.to_string();
                    } else {
                        other.push(l);
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!("{main} did not print its addresses; stderr: {other:?}");
                }
            }
        }
        let log = Arc::new(Mutex::new(String::new()));
        let into = log.clone();
        thread::spawn(move || {
            while let Ok(l) = stderr.recv() {
                if let Ok(mut s) = into.lock() {
                    s.push_str(&l);
                    s.push('\n');
                }
            }
        });
        Running { child, control, addr, stdout, seen: Vec::new(), stderr: log }
    }

    /// What the program printed on stderr so far.
    pub fn errors(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The next line the program prints.
    pub fn next_line(&mut self, deadline: Instant) -> String {
        match self.stdout.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(l) => {
                self.seen.push(l.clone());
                l
            }
            Err(_) => panic!(
                "no more output; last lines: {:?}\nstderr: {}",
                self.seen.iter().rev().take(20).collect::<Vec<_>>(),
                self.errors()
            ),
        }
    }

    /// Consumes what the program has printed so far, so that the next lines come after now.
    pub fn drain(&mut self) {
        while let Ok(l) = self.stdout.try_recv() {
            self.seen.push(l);
        }
    }

    /// Skips output until a line satisfying `want`, and returns it.
    pub fn wait_line(&mut self, what: &str, want: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let l = self.next_line(deadline);
            if want(&l) {
                return l;
            }
            assert!(Instant::now() < deadline, "never printed {what}");
        }
    }

    /// Runs `newt update --connect` with `script` and the new sources `paths` (relative to the
    /// workspace root); the exit status and stdout.
    pub fn update(&self, token: &Path, script: &Path, paths: &[&str]) -> (Option<i32>, String) {
        let mut args = vec![std::ffi::OsString::from("--script"), script.into()];
        args.extend(paths.iter().map(std::ffi::OsString::from));
        self.update_args(token, &args)
    }

    /// Runs `newt update --connect ... --token-file TOKEN ARGS...` (from the workspace root);
    /// the exit status and the output.
    pub fn update_args(&self, token: &Path, args: &[std::ffi::OsString]) -> (Option<i32>, String) {
        let o = Command::new(env!("CARGO_BIN_EXE_newt"))
            .args(["update", "--connect", &self.control, "--token-file"])
            .arg(token)
            .args(args)
            .current_dir(root())
            .output()
            .unwrap_or_else(|e| panic!("cannot run newt update: {e}"));
        let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        (o.status.code(), text)
    }

    /// Waits (bounded) for the program to exit; its status.
    pub fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Ok(Some(st)) = self.child.try_wait() {
                return st.code();
            }
            thread::sleep(Duration::from_millis(20));
        }
        None
    }
}
