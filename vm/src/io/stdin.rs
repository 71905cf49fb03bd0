//! Non-blocking `std.io.read_line` for the process's own stdin.
//!
//! Stdin may be a terminal, a pipe or a regular file (which epoll refuses), and making fd 0
//! non-blocking would change it for every process sharing it. So a helper thread does the blocking
//! read, one line per request, hands the line back over a channel and wakes the event loop with a
//! `mio::Waker`; the fiber that asked is parked with `Wait::Io(STDIN_TOKEN)` meanwhile, and every
//! other fiber keeps running. The thread reads only when a fiber asks, so no input is taken that
//! the program did not request. Injected stdin streams (tests, embedders) are read directly.

use crate::error::{Ctl, RtError};
use crate::fiber::{FiberId, Status, Wait};
use crate::value::Value;
use crate::vm::Vm;
use std::io::BufRead;
use std::sync::mpsc::{channel, Receiver, Sender, TryRecvError};
use std::sync::Arc;

/// The readiness token of the stdin waker (socket ids start at 1).
pub(crate) const STDIN_TOKEN: u64 = 0;

/// One line as the thread read it: bytes without the newline, `None` at end of input, or the OS's
/// message.
type LineResult = Result<Option<Vec<u8>>, String>;

/// The helper thread's ends of the channels and the fiber waiting for its answer.
pub(crate) struct StdinPump {
    requests: Sender<()>,
    lines: Receiver<LineResult>,
    /// The fiber parked until the requested line arrives.
    pub(crate) waiter: Option<FiberId>,
}

impl StdinPump {
    /// Starts the reading thread, waking the event loop through `waker` after each line.
    fn start(waker: Arc<mio::Waker>) -> StdinPump {
        let (req_tx, req_rx) = channel::<()>();
        let (line_tx, line_rx) = channel::<LineResult>();
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            while req_rx.recv().is_ok() {
                let mut buf = Vec::new();
                let result = match stdin.lock().read_until(b'\n', &mut buf) {
                    Ok(0) => Ok(None),
                    Ok(_) => Ok(Some(strip_newline(buf))),
                    Err(e) => Err(e.to_string()),
                };
                if line_tx.send(result).is_err() {
                    break;
                }
                let _ = waker.wake();
            }
        });
        StdinPump { requests: req_tx, lines: line_rx, waiter: None }
    }
}

/// A line without its `\n` or `\r\n`.
fn strip_newline(mut buf: Vec<u8>) -> Vec<u8> {
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
    buf
}

impl Vm {
    /// The value (or error) of a line the thread read.
    fn stdin_value(&mut self, r: LineResult) -> Result<Value, RtError> {
        match r {
            Ok(None) => Ok(Value::Nil),
            Ok(Some(bytes)) => match String::from_utf8(bytes) {
                Ok(s) => Ok(self.new_str(&s)),
                Err(_) => Err(RtError::new("invalid UTF-8")),
            },
            Err(e) => Err(RtError::new(format!("cannot read stdin: {e}"))),
        }
    }

    /// `std.io.read_line()` on the process's stdin: asks the thread for a line and parks.
    pub(crate) fn stdin_read_line(&mut self) -> Result<Value, Ctl> {
        if self.sched.net.stdin.is_none() {
            let waker = self.sched.net.waker().map_err(|e| RtError::new(format!("cannot read stdin: {e}")))?;
            self.sched.net.stdin = Some(StdinPump::start(waker));
        }
        let me = self.current_fiber();
        let busy = self.sched.net.stdin.as_ref().is_some_and(|p| p.waiter.is_some());
        if busy {
            return Err(RtError::new("another fiber is already reading stdin").into());
        }
        let ctl = self.park(Wait::Io(STDIN_TOKEN));
        if ctl != Ctl::Park {
            return Err(ctl);
        }
        if let Some(p) = &mut self.sched.net.stdin {
            if p.requests.send(()).is_err() {
                self.parking = None;
                return Err(RtError::new("cannot read stdin: the reader stopped").into());
            }
            p.waiter = Some(me);
            self.sched.net.parked += 1;
        }
        Err(Ctl::Park)
    }

    /// After a poll: hands a line the thread read to the fiber waiting for it.
    pub(crate) fn stdin_ready(&mut self) {
        let Some(p) = &mut self.sched.net.stdin else { return };
        let Some(fiber) = p.waiter else { return };
        let result = match p.lines.try_recv() {
            Ok(r) => r,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => Err("the reader stopped".into()),
        };
        p.waiter = None;
        self.sched.net.parked -= 1.min(self.sched.net.parked);
        if self.fiber_status(fiber) != Some(Status::Parked(Wait::Io(STDIN_TOKEN))) {
            return;
        }
        match self.stdin_value(result) {
            Ok(v) => self.wake(fiber, v),
            Err(e) => self.wake_with_error(fiber, e),
        }
    }
}
