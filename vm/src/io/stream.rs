//! One socket of the event loop and the non-blocking attempts of each operation on it.
//!
//! Every attempt either finishes ([`Attempt::Done`]) or reports that the socket has nothing more
//! for now ([`Attempt::Block`]). An attempt only blocks after the OS said `WouldBlock`, which is
//! what edge-triggered readiness (mio, epoll `EPOLLET`) requires: the next readiness event is then
//! guaranteed to come, and the parked fiber's operation is attempted again.

use crate::fiber::FiberId;
use crate::heap::Handle;
use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

/// Bytes read from the OS per `read` call.
const CHUNK: usize = 16 * 1024;

/// What a parked fiber is waiting to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Accept,
    Connect,
    ReadLine { max: usize },
    Read { max: usize },
    Write,
}

/// How an operation ended. `Fail` carries the message the fiber can ask for; the value the
/// native returns on failure depends on the operation (see [`Op::failure`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Done {
    Int(i64),
    Str(String),
    /// End of stream (`read_line`/`read`), or "no result".
    Nil,
    Bool(bool),
    Fail(String),
}

/// The outcome of one non-blocking attempt.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Attempt {
    Done(Done),
    /// The OS has nothing more now; park until the socket is ready again.
    Block,
}

/// A fiber parked on a socket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Waiter {
    pub fiber: FiberId,
    pub op: Op,
    pub deadline: Option<Instant>,
}

/// What kind of socket a resource is.
#[derive(Debug)]
pub(crate) enum Kind {
    Listener(mio::net::TcpListener),
    Stream(mio::net::TcpStream),
}

/// A socket with its buffers and the fibers parked on it.
#[derive(Debug)]
pub(crate) struct Resource {
    pub kind: Kind,
    /// Bytes read but not yet returned: `rbuf[rpos..]`.
    rbuf: Vec<u8>,
    rpos: usize,
    eof: bool,
    /// The bytes of the write in progress: `wbuf[wpos..]` are still to be sent.
    wbuf: Vec<u8>,
    wpos: usize,
    /// The fiber reading or accepting (one at a time).
    pub reader: Option<Waiter>,
    /// The fiber writing or connecting (one at a time).
    pub writer: Option<Waiter>,
    /// How long a read may wait for data (`Conn.set_timeout`).
    pub timeout: Option<Duration>,
    /// The Newt object that owns this socket (weak: the collector closes the socket when it dies).
    pub holder: Option<Handle>,
    /// The fiber that used the socket last (when it dies, a collection may find the socket lost).
    pub owner: Option<FiberId>,
}

impl Resource {
    /// A resource for a socket.
    pub fn new(kind: Kind) -> Resource {
        Resource {
            kind,
            rbuf: Vec::new(),
            rpos: 0,
            eof: false,
            wbuf: Vec::new(),
            wpos: 0,
            reader: None,
            writer: None,
            timeout: None,
            holder: None,
            owner: None,
        }
    }

    /// Buffered, unread input.
    fn pending(&self) -> &[u8] {
        self.rbuf.get(self.rpos..).unwrap_or(&[])
    }

    /// Marks `n` buffered bytes as consumed, compacting the buffer when it is all consumed.
    fn consume(&mut self, n: usize) {
        self.rpos = (self.rpos + n).min(self.rbuf.len());
        if self.rpos == self.rbuf.len() {
            self.rbuf.clear();
            self.rpos = 0;
        } else if self.rpos > CHUNK {
            self.rbuf.drain(..self.rpos);
            self.rpos = 0;
        }
    }

    /// Reads once from the OS into the buffer. `Ok(true)`: progress (data or end of stream).
    fn fill(&mut self) -> Result<bool, String> {
        let Kind::Stream(s) = &mut self.kind else { return Err("not a connection".into()) };
        let mut chunk = [0u8; CHUNK];
        loop {
            match s.read(&mut chunk) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(true);
                }
                Ok(n) => {
                    self.rbuf.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
                    return Ok(true);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    /// `read_line`: a line without `\n`/`\r\n`; the last line even without a newline; nil at end
    /// of stream. A line longer than `max` bytes fails (it would otherwise grow without bound).
    pub fn read_line(&mut self, max: usize) -> Attempt {
        loop {
            let pending = self.pending();
            if let Some(i) = pending.iter().position(|b| *b == b'\n') {
                let mut line = pending.get(..i).unwrap_or(&[]);
                if line.last() == Some(&b'\r') {
                    line = line.get(..line.len() - 1).unwrap_or(&[]);
                }
                let text = std::str::from_utf8(line).map(str::to_string);
                self.consume(i + 1);
                return Attempt::Done(match text {
                    Ok(s) => Done::Str(s),
                    Err(_) => Done::Fail("invalid UTF-8".into()),
                });
            }
            if pending.len() > max {
                return Attempt::Done(Done::Fail(format!("line too long (more than {max} bytes)")));
            }
            if self.eof {
                if pending.is_empty() {
                    return Attempt::Done(Done::Nil);
                }
                let text = std::str::from_utf8(pending).map(str::to_string);
                let n = pending.len();
                self.consume(n);
                return Attempt::Done(match text {
                    Ok(s) => Done::Str(s),
                    Err(_) => Done::Fail("invalid UTF-8".into()),
                });
            }
            match self.fill() {
                Ok(true) => continue,
                Ok(false) => return Attempt::Block,
                Err(e) => return Attempt::Done(Done::Fail(e)),
            }
        }
    }

    /// `read(max)`: up to `max` bytes (at least one whole character), never splitting a UTF-8
    /// character; nil at end of stream.
    pub fn read(&mut self, max: usize) -> Attempt {
        let max = max.max(1);
        loop {
            let pending = self.pending();
            if !pending.is_empty() {
                let n = pending.len().min(max);
                match std::str::from_utf8(pending.get(..n).unwrap_or(&[])) {
                    Ok(s) => {
                        let s = s.to_string();
                        self.consume(n);
                        return Attempt::Done(Done::Str(s));
                    }
                    Err(e) if e.valid_up_to() > 0 => {
                        let ok = e.valid_up_to();
                        let s = String::from_utf8_lossy(pending.get(..ok).unwrap_or(&[])).into_owned();
                        self.consume(ok);
                        return Attempt::Done(Done::Str(s));
                    }
                    Err(e) if e.error_len().is_some() => {
                        return Attempt::Done(Done::Fail("invalid UTF-8".into()));
                    }
                    Err(_) => {
                        // The first character is cut by `max` or by the data so far: take it whole
                        // when it is all here.
                        let whole = pending.len().min(4);
                        if let Err(e) = std::str::from_utf8(pending.get(..whole).unwrap_or(&[])) {
                            if e.valid_up_to() > 0 {
                                let ok = e.valid_up_to();
                                let s = String::from_utf8_lossy(pending.get(..ok).unwrap_or(&[])).into_owned();
                                self.consume(ok);
                                return Attempt::Done(Done::Str(s));
                            }
                            if e.error_len().is_some() || self.eof {
                                return Attempt::Done(Done::Fail("invalid UTF-8".into()));
                            }
                        } else {
                            let s = String::from_utf8_lossy(pending.get(..whole).unwrap_or(&[])).into_owned();
                            self.consume(whole);
                            return Attempt::Done(Done::Str(s));
                        }
                    }
                }
            } else if self.eof {
                return Attempt::Done(Done::Nil);
            }
            match self.fill() {
                Ok(true) => continue,
                Ok(false) => return Attempt::Block,
                Err(e) => return Attempt::Done(Done::Fail(e)),
            }
        }
    }

    /// Starts a write of `data` (the rest is sent by [`Resource::write_more`]).
    pub fn write(&mut self, data: &[u8]) -> Attempt {
        self.wbuf.clear();
        self.wbuf.extend_from_slice(data);
        self.wpos = 0;
        self.write_more()
    }

    /// Sends what is left of the write in progress.
    pub fn write_more(&mut self) -> Attempt {
        let Kind::Stream(s) = &mut self.kind else { return Attempt::Done(Done::Fail("not a connection".into())) };
        while self.wpos < self.wbuf.len() {
            match s.write(self.wbuf.get(self.wpos..).unwrap_or(&[])) {
                Ok(0) => return Attempt::Done(Done::Fail("connection closed while writing".into())),
                Ok(n) => self.wpos += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Attempt::Block,
                Err(e) => {
                    self.wbuf.clear();
                    self.wpos = 0;
                    return Attempt::Done(Done::Fail(e.to_string()));
                }
            }
        }
        self.wbuf = Vec::new();
        self.wpos = 0;
        Attempt::Done(Done::Bool(true))
    }

    /// Whether a non-blocking connect has finished.
    pub fn connect_done(&mut self) -> Attempt {
        let Kind::Stream(s) = &mut self.kind else { return Attempt::Done(Done::Fail("not a connection".into())) };
        match s.take_error() {
            Ok(Some(e)) | Err(e) => return Attempt::Done(Done::Fail(e.to_string())),
            Ok(None) => {}
        }
        match s.peer_addr() {
            Ok(_) => Attempt::Done(Done::Nil),
            Err(e) if e.kind() == ErrorKind::NotConnected || e.kind() == ErrorKind::WouldBlock => Attempt::Block,
            Err(e) => Attempt::Done(Done::Fail(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::time::Instant;

    /// A resource reading a loopback connection whose other end got `data` and was closed.
    fn fed(data: &[u8]) -> Resource {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let mut client = std::net::TcpStream::connect(l.local_addr().expect("addr")).expect("connect");
        let (server, _) = l.accept().expect("accept");
        server.set_nonblocking(true).expect("nonblocking");
        client.write_all(data).expect("write");
        drop(client);
        Resource::new(Kind::Stream(mio::net::TcpStream::from_std(server)))
    }

    /// Retries an attempt until it finishes (the data is on its way over loopback), bounded.
    fn done(r: &mut Resource, mut f: impl FnMut(&mut Resource) -> Attempt) -> Done {
        let start = Instant::now();
        loop {
            match f(r) {
                Attempt::Done(d) => return d,
                Attempt::Block => {
                    assert!(start.elapsed() < Duration::from_secs(10), "never finished");
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }

    fn s(x: &str) -> Done {
        Done::Str(x.to_string())
    }

    #[test]
    fn read_line_strips_newlines_and_returns_the_last_line() {
        let mut r = fed(b"one\ntwo\r\n\nlast");
        for want in [s("one"), s("two"), s(""), s("last"), Done::Nil, Done::Nil] {
            assert_eq!(done(&mut r, |r| r.read_line(100)), want);
        }
    }

    #[test]
    fn read_line_rejects_bad_text_and_long_lines() {
        let mut r = fed(b"ok\n\xff\xfe\n");
        assert_eq!(done(&mut r, |r| r.read_line(100)), s("ok"));
        assert_eq!(done(&mut r, |r| r.read_line(100)), Done::Fail("invalid UTF-8".into()));
        let mut r = fed(&[b'a'; 50]);
        assert_eq!(done(&mut r, |r| r.read_line(10)), Done::Fail("line too long (more than 10 bytes)".into()));
    }

    #[test]
    fn read_never_splits_a_character() {
        let mut r = fed("aé€😀".as_bytes());
        assert_eq!(done(&mut r, |r| r.read(2)), s("a"));
        assert_eq!(done(&mut r, |r| r.read(1)), s("é"));
        assert_eq!(done(&mut r, |r| r.read(100)), s("€😀"));
        assert_eq!(done(&mut r, |r| r.read(100)), Done::Nil);
        let mut r = fed(b"\xe2\x82");
        assert_eq!(done(&mut r, |r| r.read(100)), Done::Fail("invalid UTF-8".into()));
    }
}
