//! Output that does not garble the line being edited. Everything the REPL shows — the program's
//! stdout and stderr, values, reports — goes as whole lines through one channel to one printer
//! thread, which hands them to rustyline's external printer (printed above the prompt while the user
//! types, directly while no prompt is shown). One channel keeps everything in the order it was
//! written, and the VM thread never blocks on the terminal.

use rustyline::ExternalPrinter;
use std::io::Write;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;

/// What the printer thread is sent.
pub enum Msg {
    /// Text made of whole lines.
    Text(String),
    /// Answer when everything sent before has been printed.
    Sync(Sender<()>),
}

/// The sending end: cheap to clone, one per writer.
pub type Out = Sender<Msg>;

/// Sends `text` to be printed.
pub fn send(out: &Out, text: String) {
    // The printer thread only ends once every sender is gone; nothing to do if it has.
    let _ = out.send(Msg::Text(text));
}

/// Waits (at most a second) until everything sent so far is on the screen. The REPL does this
/// before it prompts again, so that its answer is not printed while the new prompt is drawn.
pub fn sync(out: &Out) {
    let (tx, rx) = channel();
    if out.send(Msg::Sync(tx)).is_ok() {
        let _ = rx.recv_timeout(std::time::Duration::from_secs(1));
    }
}

/// Starts the printer thread. With `printer` `None` (stdin or stdout is not a terminal) lines go
/// straight to stdout.
pub fn start(printer: Option<Box<dyn ExternalPrinter + Send>>) -> (Out, JoinHandle<()>) {
    let (tx, rx) = channel::<Msg>();
    let handle = std::thread::spawn(move || print_loop(rx, printer));
    (tx, handle)
}

fn print_loop(rx: Receiver<Msg>, mut printer: Option<Box<dyn ExternalPrinter + Send>>) {
    while let Ok(first) = rx.recv() {
        // Batch what is already queued: one redraw of the prompt for a burst of lines.
        let mut text = String::new();
        let mut syncs = Vec::new();
        for msg in std::iter::once(first).chain(std::iter::from_fn(|| rx.try_recv().ok())) {
            match msg {
                Msg::Text(t) => text.push_str(&t),
                Msg::Sync(done) => syncs.push(done),
            }
        }
        if !text.is_empty() {
            show(&mut printer, text);
        }
        for done in syncs {
            let _ = done.send(());
        }
    }
}

/// Prints above the prompt through the external printer, or straight to stdout without one.
fn show(printer: &mut Option<Box<dyn ExternalPrinter + Send>>, text: String) {
    let sent = match printer.as_mut() {
        Some(p) => p.print(text.clone()).is_ok(),
        None => false,
    };
    if !sent {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
}

/// A `Write` for the VM's stdout or stderr that sends each complete line to the printer thread
/// (a partial line waits for its newline, or for a flush).
pub struct LineWriter {
    out: Out,
    buf: Vec<u8>,
}

impl LineWriter {
    /// A writer sending to `out`.
    pub fn new(out: Out) -> LineWriter {
        LineWriter { out, buf: Vec::new() }
    }

    fn send_complete_lines(&mut self) {
        if let Some(end) = self.buf.iter().rposition(|b| *b == b'\n') {
            let rest = self.buf.split_off(end + 1);
            let lines = std::mem::replace(&mut self.buf, rest);
            send(&self.out, String::from_utf8_lossy(&lines).into_owned());
        }
    }
}

impl Write for LineWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        self.send_complete_lines();
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            self.buf.push(b'\n');
            self.send_complete_lines();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_lines_are_sent() {
        let (tx, rx) = channel();
        let text = || match rx.try_recv() {
            Ok(Msg::Text(t)) => Some(t),
            _ => None,
        };
        let mut w = LineWriter::new(tx);
        let _ = w.write(b"one\ntw");
        assert_eq!(text(), Some("one\n".to_string()));
        assert_eq!(text(), None);
        let _ = w.write(b"o\nthree\n");
        assert_eq!(text(), Some("two\nthree\n".to_string()));
        let _ = w.write(b"partial");
        let _ = w.flush();
        assert_eq!(text(), Some("partial\n".to_string()));
    }
}
