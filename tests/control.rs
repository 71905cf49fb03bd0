//! The control port end to end: `newt run --control` on a program with a ticking fiber, spoken to
//! over raw TCP (authentication, malformed and over-long lines, status, updates) and through
//! `newt update` / `newt status` (exit statuses), plus the token file rules.

#[path = "common/controlled.rs"]
mod controlled;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

const MAIN: &str = "import std.time\nimport lib\n\nfn ticker() {\n    while true {\n        print(\"tick {lib.value()}\")\n        time.sleep(20)\n    }\n}\n\nfn main() {\n    let t = spawn ticker()\n    t.join()\n}\n";
const LIB_V1: &str = "fn value() -> int {\n    return 1\n}\n";
const LIB_V2: &str = "fn value() -> int {\n    return 2\n}\n";
const LIB_V3: &str = "fn value() -> int {\n    return 3\n}\n";
const LIB_BAD: &str = "fn value() -> int {\n    return \"three\"\n}\n";

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("newt-control-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir: {e}"));
        Scratch(dir)
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("mkdir: {e}"));
        }
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("write: {e}"));
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `newt run --control`, killed when dropped.
struct Served {
    child: Child,
    addr: String,
    stdout: Receiver<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Scratch, token_file: &Path) -> Served {
    let (mut child, stdout, stderr) = controlled::spawn(&dir.0, token_file, "main.newt", &[]);
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    let addr = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match stderr.recv_timeout(left) {
            Ok(l) => match l.strip_prefix("newt: control port listening on ") {
                Some(a) => break a.to_string(),
                None => seen.push(l),
            },
            Err(_) => {
                let _ = child.kill();
                panic!("no control address on stderr: {seen:?}")
            }
        }
    };
    Served { child, addr, stdout }
}

impl Served {
    /// Waits until the program prints `line`.
    fn expect_output(&self, line: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.stdout.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(l) if l == line => return,
                Ok(_) => {}
                Err(_) => panic!("the program never printed '{line}'"),
            }
        }
    }

    fn connect(&self) -> Client {
        let s = TcpStream::connect(&self.addr).unwrap_or_else(|e| panic!("connect: {e}"));
        let _ = s.set_read_timeout(Some(WAIT));
        let w = s.try_clone().unwrap_or_else(|e| panic!("clone: {e}"));
        Client { r: BufReader::new(s), w }
    }

    fn newt(&self, args: &[&str], dir: &Scratch, token: &Path) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_newt"));
        cmd.arg(args[0]).args(["--connect", &self.addr, "--token-file"]).arg(token).args(&args[1..]);
        cmd.current_dir(&dir.0).output().unwrap_or_else(|e| panic!("cannot run newt: {e}"))
    }
}

struct Client {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Client {
    fn send_raw(&mut self, bytes: &[u8]) {
        let _ = self.w.write_all(bytes);
    }
    /// The next reply line as text ("" when the connection closed).
    fn reply(&mut self) -> String {
        let mut line = String::new();
        let _ = self.r.read_line(&mut line);
        line
    }
    fn call(&mut self, line: &str) -> String {
        self.send_raw(format!("{line}\n").as_bytes());
        self.reply()
    }
    fn closed(&mut self) -> bool {
        self.reply().is_empty()
    }
}

fn setup(name: &str) -> (Scratch, PathBuf) {
    let dir = Scratch::new(name);
    dir.write("main.newt", MAIN);
    dir.write("lib.newt", LIB_V1);
    let token = dir.write("tok", "  secret-token \n");
    let _ = std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600));
    (dir, token)
}

const AUTH: &str = r#"{"op": "auth", "token": "secret-token"}"#;

fn update_line(src: &str, extra: &str) -> String {
    let src = src.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    format!(r#"{{"op": "update", "modules": {{"lib": "{src}"}}{extra}}}"#)
}

#[test]
fn control_port_session() {
    let (dir, token) = setup("session");
    let vm = serve(&dir, &token);
    vm.expect_output("tick 1");

    // Authentication failures close the connection.
    for first in [r#"{"op": "auth", "token": "wrong"}"#, r#"{"op": "auth"}"#, r#"{"op": "status"}"#, "not json"] {
        let mut c = vm.connect();
        let r = c.call(first);
        assert!(r.contains(r#""ok":false"#) && r.contains(r#""kind":"auth""#), "{first}: {r}");
        assert!(c.closed(), "{first}: connection left open");
    }

    let mut c = vm.connect();
    assert_eq!(c.call(AUTH).trim(), r#"{"ok":true}"#);
    // Malformed requests get bad_request and the connection stays open.
    for bad in ["{", "[1,2]", r#"{"op": "frob"}"#, r#"{"op": "update"}"#, r#"{"op": "update", "modules": {}}"#] {
        let r = c.call(bad);
        assert!(r.contains(r#""kind":"bad_request""#), "{bad}: {r}");
    }
    let st = c.call(r#"{"op": "status"}"#);
    assert!(st.contains(r#""ok":true"#) && st.contains(r#""version":0"#), "{st}");
    assert!(st.contains(r#""name":"lib""#) && st.contains("ticker"), "{st}");

    // A dry run changes nothing; a real update changes the program's output.
    let r = c.call(&update_line(LIB_V2, r#", "dry_run": true"#));
    assert!(r.contains(r#""ok":true"#) && r.contains(r#""dry_run":true"#) && r.contains("lib.value"), "{r}");
    vm.expect_output("tick 1");
    let r = c.call(&update_line(LIB_V2, ""));
    assert!(r.contains(r#""ok":true"#) && r.contains(r#""outcome":"committed""#), "{r}");
    vm.expect_output("tick 2");

    // A rejected update leaves the old behaviour running.
    let r = c.call(&update_line(LIB_BAD, ""));
    assert!(r.contains(r#""kind":"rejected""#), "{r}");
    let r = c.call(&update_line(LIB_V3, r#", "script": "this is ( not a script""#));
    assert!(r.contains(r#""kind":"rejected""#), "{r}");
    vm.expect_output("tick 2");
    let st = c.call(r#"{"op": "status"}"#);
    assert!(st.contains(r#""version":1"#) && st.contains(r#""outcome":"rejected""#), "{st}");

    // `newt update` and `newt status`.
    dir.write("v3/lib.newt", LIB_V3);
    dir.write("bad/lib.newt", LIB_BAD);
    let o = vm.newt(&["update", "v3"], &dir, &token);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("committed"), "{o:?}");
    vm.expect_output("tick 3");
    let o = vm.newt(&["update", "bad/lib.newt"], &dir, &token);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("rejected"), "{o:?}");
    let o = vm.newt(&["update", "--dry-run", "--json", "v3/lib.newt"], &dir, &token);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let o = vm.newt(&["status"], &dir, &token);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("version 2") && text.contains("lib v2") && text.contains("at "), "{text}");
    let wrong = dir.write("wrong", "nope");
    let o = vm.newt(&["status"], &dir, &wrong);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let o = vm.newt(&["update", "v3"], &dir, &wrong);
    assert_eq!(o.status.code(), Some(2), "{o:?}");

    // A line over 16 MiB gets bad_request and the connection closes.
    let mut big = vec![b'x'; 16 * 1024 * 1024 + 10];
    big.push(b'\n');
    c.send_raw(&big);
    let r = c.reply();
    assert!(r.contains(r#""kind":"bad_request""#), "{r}");
    assert!(c.closed());
    // The VM still serves others.
    let mut c2 = vm.connect();
    assert_eq!(c2.call(AUTH).trim(), r#"{"ok":true}"#);
    assert!(c2.call(r#"{"op": "status"}"#).contains(r#""ok":true"#));
}

#[test]
fn cannot_connect_is_exit_2() {
    let (dir, token) = setup("noconnect");
    // Bind and drop a port so nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port());
    let addr = format!("127.0.0.1:{}", port.unwrap_or(1));
    let o = Command::new(env!("CARGO_BIN_EXE_newt"))
        .args(["status", "--connect", &addr, "--token-file"])
        .arg(&token)
        .current_dir(&dir.0)
        .output()
        .unwrap_or_else(|e| panic!("cannot run newt: {e}"));
    assert_eq!(o.status.code(), Some(2), "{o:?}");
}

#[test]
fn token_file_rules() {
    let (dir, token) = setup("token");
    // An existing token readable by others is refused.
    let _ = std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644));
    let run = |tok: &Path, addr: &str| {
        Command::new(env!("CARGO_BIN_EXE_newt"))
            .args(["run", "--control", addr, "--token-file"])
            .arg(tok)
            .arg("main.newt")
            .current_dir(&dir.0)
            .output()
            .unwrap_or_else(|e| panic!("cannot run newt: {e}"))
    };
    let o = run(&token, "127.0.0.1:0");
    assert_eq!(o.status.code(), Some(64), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("group or others"), "{o:?}");
    // A non-loopback address needs --control-public.
    let _ = std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600));
    let o = run(&token, "0.0.0.0:0");
    assert_eq!(o.status.code(), Some(64), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("loopback"), "{o:?}");
    // A missing token file is created, private.
    let fresh = dir.0.join("new").join("tok");
    let vm = serve(&dir, &fresh);
    vm.expect_output("tick 1");
    let mode = std::fs::metadata(&fresh).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
    assert_eq!(mode, 0o600);
    let o = vm.newt(&["status", "--json"], &dir, &fresh);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
}

#[test]
fn diff_between_two_trees() {
    let dir = Scratch::new("diff");
    let main = "import shop\n\nfn main() {\n    print(shop.total())\n}\n";
    dir.write("a/main.newt", main);
    dir.write("b/main.newt", main);
    dir.write(
        "a/shop.newt",
        "class Product {\n    name: str\n    stock: int = 0\n}\n\nclass Gone {\n    x: int = 0\n}\n\nfn total() -> int {\n    return 1\n}\n\nfn same() -> int {\n    return 5\n}\n",
    );
    dir.write(
        "b/shop.newt",
        "class Product {\n    name: str\n    stock: int = 0\n    rating: int\n}\n\nfn total() -> int {\n    return 2\n}\n\nfn same() -> int {\n    return 5\n}\n\nfn extra() {\n}\n",
    );
    let newt = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_newt"))
            .args(args)
            .current_dir(&dir.0)
            .output()
            .unwrap_or_else(|e| panic!("cannot run newt: {e}"))
    };
    let o = newt(&["diff", "a", "b", "--script-out", "s.newt"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("functions added: shop.extra"), "{text}");
    assert!(text.contains("functions changed: shop.total\n"), "{text}");
    assert!(text.contains("classes changed: shop.Product") && text.contains("classes removed: shop.Gone"), "{text}");
    let script = std::fs::read_to_string(dir.0.join("s.newt")).unwrap_or_default();
    assert!(script.starts_with("// Skeleton") && script.contains("update shop\n"), "{script}");
    assert!(script.contains("migrate Product(o: old.Product) {\n    self.rating = TODO"), "{script}");
    assert!(script.contains("old.Gone"), "{script}");
    let o = newt(&["diff", "a", "a", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(r#""changed":[]"#) && text.contains(r#""script":null"#), "{text}");
    let o = newt(&["diff", "a", "missing"]);
    assert_eq!(o.status.code(), Some(64), "{o:?}");
}
