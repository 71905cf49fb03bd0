//! Reading one HTTP/1.1 response in the tests that talk to the example servers (shared by
//! `tests/servers.rs` and `tests/example_updates.rs`).

use std::io::BufRead;

/// Reads one response with a `Content-Length` body: (status, body); status 0 when the connection
/// ended before the whole response arrived.
pub fn read_response(r: &mut impl BufRead) -> (u16, String) {
    let mut line = String::new();
    if r.read_line(&mut line).unwrap_or(0) == 0 {
        return (0, String::new());
    }
    let status = line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).unwrap_or(0) == 0 {
            return (0, String::new());
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; len];
    if r.read_exact(&mut body).is_err() {
        return (0, String::new());
    }
    (status, String::from_utf8_lossy(&body).into_owned())
}
