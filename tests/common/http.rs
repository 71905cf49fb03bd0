//! Reading one HTTP/1.1 response in the tests that talk to the example servers (shared by
//! `tests/servers.rs`, `tests/example_updates.rs` and `tests/stdlib_updates.rs`).

use std::io::BufRead;

/// One response: status, headers in the order received, and its `Content-Length` body.
#[derive(Debug, Clone, Default)]
pub struct Response {
    pub status: u16,
    /// (name, value) with the value trimmed; names as the server wrote them.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// The value of header `name` (any case), if the response has it.
    #[allow(dead_code)]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Reads one response with a `Content-Length` body; `None` when the connection ended (or
/// failed) before the whole response arrived.
pub fn read_full(r: &mut impl BufRead) -> Option<Response> {
    let mut line = String::new();
    if r.read_line(&mut line).unwrap_or(0) == 0 {
        return None;
    }
    let status = line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut headers = Vec::new();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).unwrap_or(0) == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
            headers.push((k.to_string(), v.trim().to_string()));
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).ok()?;
    Some(Response { status, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

/// Reads one response with a `Content-Length` body: (status, body); status 0 when the connection
/// ended before the whole response arrived.
#[allow(dead_code)]
pub fn read_response(r: &mut impl BufRead) -> (u16, String) {
    read_full(r).map(|x| (x.status, x.body)).unwrap_or((0, String::new()))
}
