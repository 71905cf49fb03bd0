//! The control port of tools.md: a TCP protocol of one JSON object per line through which
//! `newt update` and `newt status` reach a VM started with `newt run --control`.
//!
//! Design: the VM runs on the main thread as usual; a listener thread accepts connections and
//! gives each one a thread. A connection thread authenticates, parses lines and sends each valid
//! request over a channel to the VM thread, then waits for the reply. The VM thread drains that
//! channel between scheduler steps (always a safe place to call `Vm::update`), so requests are
//! handled one at a time — updates are serialised — and the VM never blocks on a client. While
//! every fiber sleeps, the scheduler waits in an event source ([`server::Doorbell`]) that a
//! connection thread rings, so a request is answered at once. A client that disconnects after
//! sending an update only loses the reply: the VM thread finishes the update regardless.

pub mod client;
pub mod protocol;
pub mod server;
pub mod token;

use std::io::BufRead;

/// The longest line either side may send, newline included.
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// One line read from a peer.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A complete line, without its newline.
    Text(Vec<u8>),
    /// The line exceeded [`MAX_LINE`]; the rest of the stream is not trustworthy.
    TooLong,
    /// The peer closed the connection.
    Eof,
}

/// Reads one line of at most `max` bytes (newline included) without ever buffering more.
pub fn read_line<R: BufRead>(r: &mut R, max: usize) -> std::io::Result<Line> {
    let mut buf = Vec::new();
    let n = std::io::Read::take(&mut *r, max as u64).read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(Line::Eof);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        return Ok(Line::Text(buf));
    }
    if n >= max {
        return Ok(Line::TooLong);
    }
    // The peer closed the connection after a last line without a newline.
    Ok(Line::Text(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_bounded() {
        let mut r = std::io::Cursor::new(b"abc\nxyz".to_vec());
        assert_eq!(read_line(&mut r, 10).ok(), Some(Line::Text(b"abc".to_vec())));
        assert_eq!(read_line(&mut r, 10).ok(), Some(Line::Text(b"xyz".to_vec())));
        assert_eq!(read_line(&mut r, 10).ok(), Some(Line::Eof));
        let mut r = std::io::Cursor::new(b"abcdefgh\n".to_vec());
        assert_eq!(read_line(&mut r, 8).ok(), Some(Line::TooLong));
        let mut r = std::io::Cursor::new(b"abcdefg\n".to_vec());
        assert_eq!(read_line(&mut r, 8).ok(), Some(Line::Text(b"abcdefg".to_vec())));
    }
}
