//! The example servers under load and abuse: each test starts one on 127.0.0.1 port 0, drives at
//! least 100 concurrent connections, sends malformed and truncated input, hangs up mid-request,
//! and checks every reply and that the server's open file descriptors return to what they were.

#[path = "servers/harness.rs"]
mod harness;
#[path = "common/http.rs"]
mod http;

use harness::{read_response, read_to_close, send_and_shutdown, Http, Server};
use std::io::{BufRead, BufReader, Write};
use std::thread;

const CLIENTS: usize = 100;

#[test]
fn echo_serves_many_clients_and_survives_bad_input() {
    let mut server = Server::start("echo", &["0"]);
    let base = server.fds();
    // Open every connection first so that all of them are served at the same time.
    let conns: Vec<_> = (0..CLIENTS).map(|_| server.connect()).collect();
    let handles: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            thread::spawn(move || {
                let mut r = BufReader::new(s.try_clone().expect("clone"));
                let mut w = s;
                for k in 0..20 {
                    let line = format!("client {i} line {k} é");
                    let end = if k % 2 == 0 { "\n" } else { "\r\n" };
                    w.write_all(format!("{line}{end}").as_bytes()).expect("write");
                    let mut got = String::new();
                    r.read_line(&mut got).expect("read");
                    assert_eq!(got, format!("{line}\n"));
                }
                // A last line without a newline still comes back, then the server closes.
                send_and_shutdown(&mut w, b"no newline");
                let mut rest = String::new();
                let _ = std::io::Read::read_to_string(&mut r, &mut rest);
                assert_eq!(rest, "no newline\n");
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client thread");
    }
    // Not UTF-8: the server drops that connection and goes on.
    let mut bad = server.connect();
    send_and_shutdown(&mut bad, b"ok\n\xff\xfe\n");
    assert_eq!(read_to_close(&mut bad), "ok\n");
    // Hanging up mid-line, and without a word.
    for _ in 0..20 {
        let mut s = server.connect();
        s.write_all(b"half a li").expect("write");
        drop(s);
        drop(server.connect());
    }
    assert_eq!(server.wait_fds(base), base, "descriptors leaked");
    let mut s = server.connect();
    send_and_shutdown(&mut s, b"still here\n");
    assert_eq!(read_to_close(&mut s), "still here\n");
    assert!(server.alive());
}

/// Sends raw bytes to the chat and returns the status of its answer (0: closed without one).
fn raw_status(server: &Server, bytes: &[u8]) -> u16 {
    let mut s = server.connect();
    let _ = s.write_all(bytes);
    let mut r = BufReader::new(s);
    read_response(&mut r).0
}

#[test]
fn chat_api_under_concurrent_clients() {
    let mut server = Server::start("chat", &["0", "800"]);
    let base = server.fds();
    let conns: Vec<_> = (0..CLIENTS).map(|_| server.connect()).collect();
    let handles: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            thread::spawn(move || {
                let mut c = Http::new(s);
                let room = format!("room{}", i % 5);
                let user = format!("user{i}");
                let (st, body) =
                    c.request("POST", &format!("/rooms/{room}/join"), Some(&format!("{{\"user\":\"{user}\"}}")));
                assert_eq!(st, 200, "{body}");
                assert!(body.contains(&format!("\"{user}\"")), "{body}");
                let mut ids = Vec::new();
                for k in 0..5 {
                    let text = format!("hello {k} from {user} \\\"quoted\\\"");
                    let (st, body) = c.request(
                        "POST",
                        &format!("/rooms/{room}/messages"),
                        Some(&format!("{{\"user\":\"{user}\",\"text\":\"{text}\"}}")),
                    );
                    assert_eq!(st, 201, "{body}");
                    let id: i64 = body.trim_start_matches("{\"id\":").trim_end_matches('}').parse().expect("id");
                    ids.push(id);
                }
                let since = ids[0] - 1;
                let (st, body) = c.request("GET", &format!("/rooms/{room}/messages?since={since}&limit=1000"), None);
                assert_eq!(st, 200);
                for (k, id) in ids.iter().enumerate() {
                    let want = format!("{{\"id\":{id},\"text\":\"hello {k} from {user} \\\"quoted\\\"\"");
                    assert!(body.contains(&want), "missing {want} in {body}");
                }
                // Someone who never joined cannot post.
                let (st, _) =
                    c.request("POST", &format!("/rooms/{room}/messages"), Some("{\"user\":\"ghost\",\"text\":\"x\"}"));
                assert_eq!(st, 403);
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client thread");
    }
    let mut c = Http::new(server.connect());
    let (st, body) = c.request("GET", "/rooms", None);
    assert_eq!(st, 200);
    for r in 0..5 {
        // 20 users joined each room, each posted 5 messages: 20 info + 100 user messages.
        assert!(body.contains(&format!("{{\"name\":\"room{r}\",\"users\":20,\"messages\":120}}")), "{body}");
    }
    assert_eq!(c.request("GET", "/nowhere", None).0, 404);
    assert_eq!(c.request("DELETE", "/rooms", None).0, 405);
    assert_eq!(c.request("POST", "/rooms/room0/join", Some("{not json")).0, 400);
    assert_eq!(c.request("GET", "/rooms/room0/messages?since=x", None).0, 400);
    drop(c);

    // Malformed requests get 400 and the connection closes.
    assert_eq!(raw_status(&server, b"GARBAGE\r\n\r\n"), 400);
    assert_eq!(raw_status(&server, b"GET /rooms HTTP/1.1\r\nno colon here\r\n\r\n"), 400);
    assert_eq!(raw_status(&server, b"GET /rooms HTTP/1.1\r\nContent-Length: -5\r\n\r\n"), 400);
    assert_eq!(raw_status(&server, b"GET /r\xff\xfe HTTP/1.1\r\n\r\n"), 400);
    assert_eq!(raw_status(&server, b"GET /rooms HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), 501);
    // Oversized headers get 431 (one huge header, or too many of them).
    let big = format!("GET /rooms HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(20_000));
    assert_eq!(raw_status(&server, big.as_bytes()), 431);
    let many: String = (0..400).map(|i| format!("X-H{i}: {}\r\n", "v".repeat(30))).collect();
    assert_eq!(raw_status(&server, format!("GET /rooms HTTP/1.1\r\n{many}\r\n").as_bytes()), 431);
    // Truncated requests and hang-ups mid-request: the connection just ends.
    assert_eq!(raw_status(&server, b"POST /rooms/room0/join HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"user\""), 0);
    for cut in [
        &b"GET /roo"[..],
        b"GET /rooms HTTP/1.1\r\nHost: x",
        b"POST /rooms/a/join HTTP/1.1\r\nContent-Length: 9\r\n\r\n{",
    ] {
        for _ in 0..10 {
            let mut s = server.connect();
            s.write_all(cut).expect("write");
            drop(s);
        }
    }
    // Idle connections are closed by the server (idle timeout 800 ms here).
    let idle: Vec<_> = (0..CLIENTS).map(|_| server.connect()).collect();
    for mut s in idle {
        assert_eq!(read_to_close(&mut s), "");
    }
    assert_eq!(server.wait_fds(base), base, "descriptors leaked");
    // Still serving, and HTTP/1.0 without keep-alive closes after the answer.
    let mut s = server.connect();
    s.write_all(b"GET /rooms HTTP/1.0\r\n\r\n").expect("write");
    let text = read_to_close(&mut s);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n") && text.contains("Connection: close"), "{text}");
    assert!(server.alive());
    assert_eq!(server.stderr.lock().unwrap().lines().filter(|l| l.starts_with("error")).count(), 0);
}

#[test]
fn shop_orders_from_many_clients_and_manager_prints() {
    let mut server = Server::start("shop", &["0", "100"]);
    let base = server.fds();
    let conns: Vec<_> = (0..CLIENTS).map(|_| server.connect()).collect();
    let handles: Vec<_> = conns
        .into_iter()
        .map(|s| {
            thread::spawn(move || {
                let mut r = BufReader::new(s.try_clone().expect("clone"));
                let mut w = s;
                w.write_all(b"order 1 apple paris\n").expect("write");
                let mut got = String::new();
                r.read_line(&mut got).expect("read");
                w.write_all(b"order two apple paris\nfly me to the moon\n").expect("write");
                let mut e1 = String::new();
                let mut e2 = String::new();
                r.read_line(&mut e1).expect("read");
                r.read_line(&mut e2).expect("read");
                assert_eq!(e1, "error: quantity must be a number\n");
                assert!(e2.starts_with("error: usage"), "{e2}");
                got
            })
        })
        .collect();
    let answers: Vec<String> = handles.into_iter().map(|h| h.join().expect("client")).collect();
    // Paris starts with 10 apples: exactly 10 orders succeed, whatever the interleaving.
    assert_eq!(answers.iter().filter(|a| a.starts_with("ok: 1 apple from paris")).count(), 10);
    assert_eq!(answers.iter().filter(|a| a.starts_with("refused: only 0 apple left at paris")).count(), 90);
    let mut s = server.connect();
    send_and_shutdown(&mut s, b"stock paris\n");
    assert_eq!(read_to_close(&mut s), "site paris\n  apple: 0\n  pear: 4\n\n");
    assert_eq!(server.wait_fds(base), base, "descriptors leaked");
    // The manager fiber prints every site's stock every 100 ms.
    let start = std::time::Instant::now();
    while !server.stdout.lock().unwrap().contains("site paris\n  apple: 0\n") && start.elapsed() < harness::WAIT {
        thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = server.stdout.lock().unwrap().clone();
    assert!(out.contains("site paris\n  apple: 10\n  pear: 4\n"), "{out}");
    assert!(out.contains("site paris\n  apple: 0\n  pear: 4\n"), "{out}");
    assert!(out.contains("site lyon\n  apple: 3\n  plum: 8\n"), "{out}");
    assert!(server.alive());
}

#[test]
fn stdin_read_line_parks_only_its_fiber() {
    use std::process::{Command, Stdio};
    let src = "import std.io\nimport std.time\n\
               fn ticker() {\n    for i in 0..1000 {\n        print(\"tick {i}\")\n        time.sleep(20)\n    }\n}\n\
               fn main() {\n    spawn ticker()\n    while let l = io.read_line() {\n        print(\"got {l}\")\n    }\n    print(\"eof\")\n}\n";
    let path = std::env::temp_dir().join(format!("newt_stdin_{}.newt", std::process::id()));
    std::fs::write(&path, src).expect("write program");
    let mut child = Command::new(env!("CARGO_BIN_EXE_newt"))
        .arg("run")
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start newt");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    // Bound every wait: a watchdog kills the program if it hangs (the reads below then end).
    let child = std::sync::Arc::new(std::sync::Mutex::new(child));
    let watched = child.clone();
    thread::spawn(move || {
        thread::sleep(harness::WAIT);
        let _ = watched.lock().map(|mut c| c.kill());
    });
    // Nothing on stdin yet, and the ticker keeps printing: the reader parks alone.
    for i in 0..5 {
        let mut line = String::new();
        out.read_line(&mut line).expect("read");
        assert_eq!(line, format!("tick {i}\n"));
    }
    stdin.write_all(b"hello\r\n").expect("write");
    drop(stdin);
    let mut rest = Vec::new();
    for _ in 0..1000 {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if !line.starts_with("tick") {
            rest.push(line);
        }
        if rest.len() == 2 {
            break;
        }
    }
    if let Ok(mut c) = child.lock() {
        let _ = c.kill();
        let _ = c.wait();
    }
    let _ = std::fs::remove_file(&path);
    assert_eq!(rest, vec!["got hello\n".to_string(), "eof\n".to_string()]);
}
