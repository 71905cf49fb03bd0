//! Program output: stdout is buffered and flushed when no fiber is runnable, at least every 50 ms
//! while fibers run, and at exit (tools.md); stderr is written at once, after flushing stdout so
//! the two interleave as the program wrote them. The writers are injectable so tests and the REPL
//! can capture output.

use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

/// How long buffered stdout may wait while fibers keep running.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(50);

/// A buffer this large is written at once, whatever the time.
const MAX_BUFFER: usize = 1 << 16;

/// The program's standard streams.
pub struct Io {
    buf: Vec<u8>,
    stdout: Box<dyn Write>,
    stderr: Box<dyn Write>,
    pub(crate) stdin: Box<dyn BufRead>,
    last_flush: Instant,
    /// True when `stdin` is the process's own: `read_line` then parks only its fiber
    /// (`crate::io::stdin`) instead of blocking the VM.
    pub(crate) process_stdin: bool,
}

impl std::fmt::Debug for Io {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Io").field("buffered", &self.buf.len()).finish()
    }
}

impl Io {
    /// Streams over the given writers and reader.
    pub fn new(stdout: Box<dyn Write>, stderr: Box<dyn Write>, stdin: Box<dyn BufRead>) -> Io {
        Io { buf: Vec::with_capacity(4096), stdout, stderr, stdin, last_flush: Instant::now(), process_stdin: false }
    }

    /// The process's own stdout, stderr and stdin.
    pub fn process() -> Io {
        let mut io = Io::new(
            Box::new(std::io::stdout()),
            Box::new(std::io::stderr()),
            Box::new(std::io::BufReader::new(std::io::stdin())),
        );
        io.process_stdin = true;
        io
    }

    /// Appends `text` and a newline to stdout.
    pub fn println(&mut self, text: &str) {
        self.buf.extend_from_slice(text.as_bytes());
        self.buf.push(b'\n');
        if self.buf.len() >= MAX_BUFFER {
            self.flush();
        }
    }

    /// Writes `text` to stderr now (stdout first).
    pub fn eprint(&mut self, text: &str) {
        self.flush();
        // A closed stderr is not the program's error; there is nowhere left to report it.
        let _ = self.stderr.write_all(text.as_bytes());
        let _ = self.stderr.flush();
    }

    /// Writes buffered stdout.
    pub fn flush(&mut self) {
        if !self.buf.is_empty() {
            // A closed pipe (e.g. `| head`) must not crash the VM; the output is lost either way.
            let _ = self.stdout.write_all(&self.buf);
            self.buf.clear();
        }
        let _ = self.stdout.flush();
        self.last_flush = Instant::now();
    }

    /// Flushes when output has waited [`FLUSH_INTERVAL`] (called between scheduler slices).
    pub fn flush_if_due(&mut self) {
        if !self.buf.is_empty() && self.last_flush.elapsed() >= FLUSH_INTERVAL {
            self.flush();
        }
    }
}

impl crate::vm::Vm {
    /// Writes the program's buffered stdout now. Embedders that print their own output between
    /// steps (the REPL's values and reports) call it first, so both appear in the order written.
    pub fn flush_output(&mut self) {
        self.io.flush();
    }
}

/// A writer that appends to a shared buffer, for capturing output in tests and embedders.
#[derive(Clone, Default, Debug)]
pub struct SharedBuf(pub std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl SharedBuf {
    /// An empty buffer.
    pub fn new() -> SharedBuf {
        SharedBuf::default()
    }

    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}

impl Write for SharedBuf {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdout_is_buffered_until_flush_and_stderr_flushes_it() {
        let out = SharedBuf::new();
        let err = SharedBuf::new();
        let mut io = Io::new(Box::new(out.clone()), Box::new(err.clone()), Box::new(std::io::empty()));
        io.println("one");
        assert_eq!(out.text(), "");
        io.eprint("oops\n");
        assert_eq!(out.text(), "one\n");
        assert_eq!(err.text(), "oops\n");
        io.println("two");
        io.flush_if_due();
        io.flush();
        assert_eq!(out.text(), "one\ntwo\n");
    }
}
