//! Starting an example server (`newt run examples/X/main.newt 0 ...`) for the server tests: the
//! bound address is parsed from its `listening on ADDR` line on stderr, its stdout is collected,
//! its open file descriptors can be counted, and it is killed when dropped. Every wait is bounded.

use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest any single wait in these tests may take.
pub const WAIT: Duration = Duration::from_secs(20);

/// A running example server.
pub struct Server {
    child: Child,
    pub addr: String,
    /// Everything the server printed on stdout so far.
    pub stdout: Arc<Mutex<String>>,
    pub stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `examples/<name>/main.newt` with `args` (port 0 first) and waits for its address.
    pub fn start(name: &str, args: &[&str]) -> Server {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut child = Command::new(env!("CARGO_BIN_EXE_newt"))
            .current_dir(root)
            .arg("run")
            .arg(format!("examples/{name}/main.newt"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start newt");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let out = child.stdout.take().expect("stdout");
        let err = child.stderr.take().expect("stderr");
        drain(out, stdout.clone());
        drain(err, stderr.clone());
        let start = Instant::now();
        let addr = loop {
            let text = stderr.lock().unwrap().clone();
            if let Some(line) = text.lines().find(|l| l.starts_with("listening on ")) {
                break line.trim_start_matches("listening on ").trim().to_string();
            }
            if start.elapsed() > WAIT {
                let _ = child.kill();
                panic!("{name} did not print its address; stderr: {text}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Server { child, addr, stdout, stderr }
    }

    /// The number of open file descriptors of the server process.
    pub fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id())).map(|d| d.count()).unwrap_or(0)
    }

    /// Waits (bounded) until the server has `want` descriptors open; returns the last count.
    pub fn wait_fds(&self, want: usize) -> usize {
        let start = Instant::now();
        loop {
            let n = self.fds();
            if n == want || start.elapsed() > WAIT {
                return n;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// True while the process runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// A new connection with bounded reads and writes.
    pub fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(&self.addr).expect("connect");
        s.set_read_timeout(Some(WAIT)).expect("timeout");
        s.set_write_timeout(Some(WAIT)).expect("timeout");
        s
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies a stream into a shared string on a thread until it ends.
fn drain(mut r: impl Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
            into.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
}

/// Reads until the peer closes (bounded by the socket's read timeout); the bytes as text.
pub fn read_to_close(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Sends raw bytes, then closes the writing half.
pub fn send_and_shutdown(s: &mut TcpStream, bytes: &[u8]) {
    s.write_all(bytes).expect("write");
    let _ = s.shutdown(Shutdown::Write);
}

/// A minimal HTTP/1.1 client over one keep-alive connection.
pub struct Http {
    r: BufReader<TcpStream>,
}

impl Http {
    pub fn new(s: TcpStream) -> Http {
        Http { r: BufReader::new(s) }
    }

    /// Sends a request and returns (status, body).
    pub fn request(&mut self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        let body = body.unwrap_or("");
        let req = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        self.r.get_mut().write_all(req.as_bytes()).expect("write request");
        read_response(&mut self.r)
    }
}

pub use crate::http::read_response;
