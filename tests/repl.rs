//! The REPL driven through a pseudo-terminal, as a person would use it: a program with a ticking
//! fiber changed and `:reload`ed (function, class layout, rejected version), multi-line input,
//! history across sessions, Ctrl-C and Ctrl-D. Every wait is bounded.

use expectrl::{ControlCode, Session};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TICKER: &str = r#"import std.time

class Counter {
    n: int = 0
}

var counter: Counter = Counter {}

fn label() -> str = "tick"

fn tick() {
    counter.n += 1
    print("{label()} {counter.n}")
}

fn main() {
    while true {
        tick()
        time.sleep(200)
    }
}
"#;

/// A fresh directory for one test (removed when dropped).
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("newt-repl-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `newt ARGS` in a pseudo-terminal, in `dir`, with its history under `dir`.
fn spawn(dir: &Path, args: &[&str]) -> Session {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_newt"));
    cmd.args(args).current_dir(dir).env("HOME", dir).env("NEWT_HISTORY", dir.join("history")).env("TERM", "xterm");
    let mut s = Session::spawn(cmd).expect("spawn newt in a pty");
    s.set_expect_timeout(Some(Duration::from_secs(10)));
    s
}

fn expect(s: &mut Session, what: &str) {
    if let Err(e) = s.expect(what) {
        let rest = s.check(expectrl::Regex("(?s).+")).ok().and_then(|c| c.get(0).map(|b| b.to_vec()));
        let rest = String::from_utf8_lossy(&rest.unwrap_or_default()).into_owned();
        panic!("expected {what:?}: {e}; the terminal shows {rest:?}");
    }
}

/// Waits for the process to end (it closes the terminal).
fn expect_end(s: &mut Session) {
    if let Err(e) = s.expect(expectrl::Eof) {
        panic!("expected the REPL to end: {e}");
    }
}

/// Types `text` a key at a time, as a person does, waiting for each key's echo, then Enter; a
/// newline in `text` is an Enter inside a multi-line input. (rustyline 14 with an external printer
/// leaves keys that arrive in one read in its buffer until the next key comes, so keys are not
/// sent ahead of the editor.)
fn enter(s: &mut Session, text: &str) {
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            s.send("\r").expect("press Enter");
            std::thread::sleep(Duration::from_millis(100));
        }
        for c in line.chars() {
            s.send(c.to_string()).expect("type a key");
            // The key's echo is the last thing on the screen (a copy of the character in a redraw
            // of the line, made before the key was read, would not be).
            let echo = format!(r"\x{{{:x}}}(\r|\x1b\[[0-9;?]*[A-Za-z])*$", c as u32);
            if let Err(e) = s.expect(expectrl::Regex(echo)) {
                panic!("no echo of {c:?}: {e}");
            }
        }
    }
    s.send("\r").expect("press Enter");
}

/// Waits for a fresh prompt: the previous input has been handled and the editor waits for keys.
/// (A prompt redrawn while a multi-line input is typed is followed by that input, so only a
/// prompt at the very end of the output counts.)
fn prompt(s: &mut Session) {
    let fresh = || expectrl::Regex(r"newt> (\r|\x1b\[[0-9;?]*[A-Za-z])*$");
    s.set_expect_timeout(Some(Duration::from_millis(100)));
    let found = (0..100).any(|_| s.expect(fresh()).is_ok());
    assert!(found, "no fresh prompt within 10 s");
    // Output that arrives just after the prompt (a report sent before it, printed after it) is
    // shown above a redrawn prompt: take it too, so that typing starts from a quiet screen.
    std::thread::sleep(Duration::from_millis(60));
    let _ = s.expect(fresh());
    s.set_expect_timeout(Some(Duration::from_secs(10)));
}

fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read source");
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replace(from, to)).expect("write source");
}

#[test]
fn reload_changes_a_running_program_and_migrates_its_objects() {
    let dir = TempDir::new("reload");
    let file = dir.0.join("ticker.newt");
    std::fs::write(&file, TICKER).expect("write program");
    let mut s = spawn(&dir.0, &["repl", "ticker.newt"]);
    prompt(&mut s);
    expect(&mut s, "tick 2");
    prompt(&mut s);
    // The prompt stays live while the program's fiber ticks.
    enter(&mut s, "ticker.counter.n >= 2");
    expect(&mut s, "true : bool");
    prompt(&mut s);

    replace_in(&file, "\"tick\"", "\"TOCK\"");
    enter(&mut s, ":reload");
    expect(&mut s, "Updated ticker (1 function)");
    expect(&mut s, "TOCK ");
    prompt(&mut s);

    // A new field with a default: the live Counter is migrated and keeps its count.
    replace_in(&file, "    n: int = 0\n", "    n: int = 0\n    note: str = \"migrated\"\n");
    enter(&mut s, ":reload");
    expect(&mut s, "1 object migrated");
    prompt(&mut s);
    enter(&mut s, "ticker.counter.note");
    expect(&mut s, "\"migrated\" : str");
    prompt(&mut s);
    enter(&mut s, "ticker.counter.n > 2");
    expect(&mut s, "true : bool");
    prompt(&mut s);

    // A version that does not compile is rejected with the checker's diagnostics; the old one runs.
    replace_in(&file, "fn label() -> str = \"TOCK\"", "fn label() -> str = 42");
    enter(&mut s, ":reload");
    expect(&mut s, "Rejected update of ticker");
    expect(&mut s, "expected str, found int");
    expect(&mut s, "ticker.newt:");
    expect(&mut s, "TOCK ");
    prompt(&mut s);
    enter(&mut s, ":history");
    expect(&mut s, "rejected");
    prompt(&mut s);
    s.send(ControlCode::EndOfTransmission).expect("send Ctrl-D");
    expect_end(&mut s);
}

#[test]
fn definitions_redefine_live_and_multi_line_input_waits_for_brackets() {
    let dir = TempDir::new("defs");
    let mut s = spawn(&dir.0, &["repl"]);
    prompt(&mut s);
    // One input over four lines: Enter inside open brackets continues it.
    enter(&mut s, "fn add(a: int,\nb: int) -> int {\nreturn a + b\n}");
    prompt(&mut s);
    enter(&mut s, "add(2, 3)");
    expect(&mut s, "5 : int");
    prompt(&mut s);

    enter(&mut s, "class Point {\n x: int\n}");
    prompt(&mut s);
    enter(&mut s, "let p = Point { x: 1 }");
    prompt(&mut s);
    // Redefining the class migrates the live instance (the new field takes its default).
    enter(&mut s, "class Point {\n x: int\n y: int = 7\n}");
    expect(&mut s, "1 object migrated");
    prompt(&mut s);
    enter(&mut s, "p");
    expect(&mut s, "Point{x: 1, y: 7} : Point");
    prompt(&mut s);

    // Rebinding with another type; a definition that does not type-check changes nothing.
    enter(&mut s, "let x = 5");
    prompt(&mut s);
    enter(&mut s, "let x = \"five\"");
    prompt(&mut s);
    enter(&mut s, "x");
    expect(&mut s, "\"five\" : str");
    prompt(&mut s);
    enter(&mut s, "let x = x.len() + 1");
    prompt(&mut s);
    enter(&mut s, "let x = x * 10");
    prompt(&mut s);
    enter(&mut s, "x");
    expect(&mut s, "50 : int");
    prompt(&mut s);
    enter(&mut s, "fn add(a: int, b: int) -> int = \"no\"");
    expect(&mut s, "expected int, found str");
    prompt(&mut s);
    enter(&mut s, "add(1, 1)");
    expect(&mut s, "2 : int");
    prompt(&mut s);
    enter(&mut s, ":type add");
    expect(&mut s, "fn(int, int) -> int");
    prompt(&mut s);
    enter(&mut s, ":dis add");
    expect(&mut s, "Return");
    prompt(&mut s);
    s.send(ControlCode::EndOfTransmission).expect("send Ctrl-D");
    expect_end(&mut s);
}

#[test]
fn ctrl_c_clears_the_line_and_history_survives_the_session() {
    let dir = TempDir::new("history");
    let mut s = spawn(&dir.0, &["repl"]);
    prompt(&mut s);
    enter(&mut s, "let marker = 41");
    prompt(&mut s);
    for c in "100 + ".chars() {
        s.send(c.to_string()).expect("type a key");
        std::thread::sleep(Duration::from_millis(3));
    }
    s.send(ControlCode::EndOfText).expect("send Ctrl-C");
    std::thread::sleep(Duration::from_millis(50));
    enter(&mut s, "marker + 1");
    expect(&mut s, "42 : int");
    prompt(&mut s);
    s.send(ControlCode::EndOfTransmission).expect("send Ctrl-D");
    expect_end(&mut s);
    drop(s);

    let history = std::fs::read_to_string(dir.0.join("history")).unwrap_or_default();
    assert!(history.contains("let marker = 41"), "history: {history:?}");
    let mut s = spawn(&dir.0, &["repl"]);
    prompt(&mut s);
    // Up twice: `marker + 1`, then `let marker = 41` from the previous session.
    for key in ["\x1b[A", "\x1b[A", "\r"] {
        s.send(key).expect("send");
        std::thread::sleep(Duration::from_millis(50));
    }
    prompt(&mut s);
    enter(&mut s, "marker * 2");
    expect(&mut s, "82 : int");
    prompt(&mut s);
    enter(&mut s, ":quit");
    expect_end(&mut s);
}

#[test]
fn ctrl_c_interrupts_a_running_statement() {
    let dir = TempDir::new("interrupt");
    let mut s = spawn(&dir.0, &["repl"]);
    prompt(&mut s);
    enter(&mut s, "var n = 0");
    prompt(&mut s);
    enter(&mut s, "while true { n += 1 }");
    std::thread::sleep(Duration::from_millis(300));
    s.send(ControlCode::EndOfText).expect("send Ctrl-C");
    expect(&mut s, "error: interrupted");
    prompt(&mut s);
    enter(&mut s, "n > 0");
    expect(&mut s, "true : bool");
    prompt(&mut s);
    s.send(ControlCode::EndOfTransmission).expect("send Ctrl-D");
    expect_end(&mut s);
}

/// The commands, driven through a pipe (stdin not a terminal: no line editing, same session).
#[test]
fn commands_load_update_and_inspect() {
    let dir = TempDir::new("commands");
    std::fs::create_dir_all(dir.0.join("lib")).expect("lib dir");
    std::fs::write(
        dir.0.join("lib/stock.newt"),
        "class Item {\n    name: str\n}\nvar items: List<Item> = [Item { name: \"nut\" }]\nfn count() -> int = items.len()\n",
    )
    .expect("write module");
    std::fs::create_dir_all(dir.0.join("v2/lib")).expect("v2 dir");
    std::fs::write(
        dir.0.join("v2/lib/stock.newt"),
        "class Item {\n    name: str\n    qty: int\n}\nvar items: List<Item> = []\nfn count() -> int = items.len() * 10\n",
    )
    .expect("write v2");
    std::fs::write(dir.0.join("qty.newt"), "update lib.stock\nmigrate Item(o: old.Item) {\n    self.qty = 4\n}\n")
        .expect("write script");
    let input = ":load lib/stock.newt\nstock.count()\n:type stock.items\n:update v2 --script qty.newt\nstock.items\n\
                 stock.count()\n:dis stock.count\n:fibers\n:stack 1\n:history\n:frob\n:help\n";
    let mut child = Command::new(env!("CARGO_BIN_EXE_newt"))
        .arg("repl")
        .current_dir(&dir.0)
        .env("HOME", &dir.0)
        .env("NEWT_HISTORY", dir.0.join("history"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn newt repl");
    if let Some(mut stdin) = child.stdin.take() {
        std::io::Write::write_all(&mut stdin, input.as_bytes()).expect("write input");
    }
    let out = child.wait_with_output().expect("newt repl ends at the end of its input");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for want in [
        "loaded lib.stock (use it as stock)",
        "1 : int",
        "List<Item>",
        "Updated lib.stock (",
        "1 object migrated",
        "[Item{name: \"nut\", qty: 4}] : List<Item>",
        "10 : int",
        "fn lib.stock.count",
        "(repl main)",
        "at main (<repl main>:",
        "classes changed: lib.stock.Item",
        "unknown command ':frob'",
        ":update PATH... [--script S]",
    ] {
        assert!(text.contains(want), "{want:?} not in:\n{text}");
    }
}
