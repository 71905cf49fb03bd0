//! Channels (`Chan<T>`): a bounded buffer plus the queues of fibers parked on it.
//!
//! The decisions live here, free of the scheduler: each operation says what happened and whom to
//! wake; `crate::builtins::conc` parks and wakes fibers accordingly. Semantics (language.md):
//! `send` parks while the buffer is full (capacity 0: until a receiver takes the value) and is a
//! runtime error on a closed channel; `recv` returns nil once the channel is closed and empty;
//! `close` wakes every parked receiver with nil, and every parked sender with the
//! `send on closed channel` error (as Go does).

use crate::fiber::FiberId;
use crate::value::Value;
use std::collections::VecDeque;

/// A channel's state.
#[derive(Debug, Default)]
pub struct Chan {
    pub capacity: usize,
    pub buffer: VecDeque<Value>,
    pub closed: bool,
    /// Parked senders, each with the value it is sending, oldest first.
    pub senders: VecDeque<(FiberId, Value)>,
    /// Parked receivers, oldest first.
    pub receivers: VecDeque<FiberId>,
}

/// What `send` did.
#[derive(Debug, PartialEq)]
pub enum SendOutcome {
    /// The channel is closed: a runtime error for the sender.
    Closed,
    /// A parked receiver takes the value: wake it with the value.
    Handoff(FiberId),
    /// The value went into the buffer.
    Buffered,
    /// The sender was queued with its value and must park.
    Park,
}

/// What `recv` did.
#[derive(Debug, PartialEq)]
pub enum RecvOutcome {
    /// A value was received; the sender named (if any) was unparked and must be woken with nil.
    Value(Value, Option<FiberId>),
    /// Closed and empty: the receiver gets nil.
    Closed,
    /// The receiver was queued and must park.
    Park,
}

impl Chan {
    /// A channel holding up to `capacity` values (0: rendezvous).
    pub fn new(capacity: usize) -> Chan {
        Chan { capacity, ..Chan::default() }
    }

    /// Values buffered.
    pub fn len(&self) -> usize {
        self.buffer.len()
    }

    /// True when nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.buffer.is_empty()
    }

    /// `send(v)` by fiber `me`.
    pub fn send(&mut self, me: FiberId, v: Value) -> SendOutcome {
        if self.closed {
            return SendOutcome::Closed;
        }
        if let Some(r) = self.receivers.pop_front() {
            return SendOutcome::Handoff(r);
        }
        if self.buffer.len() < self.capacity {
            self.buffer.push_back(v);
            return SendOutcome::Buffered;
        }
        self.senders.push_back((me, v));
        SendOutcome::Park
    }

    /// `recv()` by fiber `me`.
    pub fn recv(&mut self, me: FiberId) -> RecvOutcome {
        if let Some(v) = self.buffer.pop_front() {
            let woken = self.senders.pop_front().map(|(s, sv)| {
                self.buffer.push_back(sv);
                s
            });
            return RecvOutcome::Value(v, woken);
        }
        if let Some((s, sv)) = self.senders.pop_front() {
            return RecvOutcome::Value(sv, Some(s));
        }
        if self.closed {
            return RecvOutcome::Closed;
        }
        self.receivers.push_back(me);
        RecvOutcome::Park
    }

    /// `close()`: returns the parked receivers (to wake with nil) and parked senders (to wake with
    /// the closed-channel error). Closing twice is allowed and wakes nobody the second time.
    pub fn close(&mut self) -> (Vec<FiberId>, Vec<FiberId>) {
        self.closed = true;
        let receivers = self.receivers.drain(..).collect();
        let senders = self.senders.drain(..).map(|(s, _)| s).collect();
        (receivers, senders)
    }

    /// Removes a fiber from the wait queues (when its stack is discarded, e.g. by a reboot).
    pub fn forget(&mut self, fiber: FiberId) {
        self.receivers.retain(|f| *f != fiber);
        self.senders.retain(|(f, _)| *f != fiber);
    }

    /// Every value the channel holds (buffered and parked senders' values), for the collector.
    pub fn for_each_value(&self, mut f: impl FnMut(&Value)) {
        self.buffer.iter().for_each(&mut f);
        self.senders.iter().for_each(|(_, v)| f(v));
    }

    /// As [`Chan::for_each_value`], mutable (forwarding fix-up).
    pub fn for_each_value_mut(&mut self, mut f: impl FnMut(&mut Value)) {
        self.buffer.iter_mut().for_each(&mut f);
        self.senders.iter_mut().for_each(|(_, v)| f(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: FiberId = FiberId(1);
    const B: FiberId = FiberId(2);

    #[test]
    fn buffered_send_then_recv() {
        let mut c = Chan::new(1);
        assert_eq!(c.send(A, Value::Int(1)), SendOutcome::Buffered);
        assert_eq!(c.send(A, Value::Int(2)), SendOutcome::Park);
        assert_eq!(c.recv(B), RecvOutcome::Value(Value::Int(1), Some(A)));
        assert_eq!(c.recv(B), RecvOutcome::Value(Value::Int(2), None));
        assert_eq!(c.recv(B), RecvOutcome::Park);
    }

    #[test]
    fn rendezvous_hands_off() {
        let mut c = Chan::new(0);
        assert_eq!(c.recv(B), RecvOutcome::Park);
        assert_eq!(c.send(A, Value::Int(5)), SendOutcome::Handoff(B));
        assert_eq!(c.send(A, Value::Int(6)), SendOutcome::Park);
        assert_eq!(c.recv(B), RecvOutcome::Value(Value::Int(6), Some(A)));
    }

    #[test]
    fn close_drains_then_gives_nil_and_refuses_sends() {
        let mut c = Chan::new(2);
        c.send(A, Value::Int(1));
        let (r, s) = c.close();
        assert!(r.is_empty() && s.is_empty());
        assert_eq!(c.recv(B), RecvOutcome::Value(Value::Int(1), None));
        assert_eq!(c.recv(B), RecvOutcome::Closed);
        assert_eq!(c.send(A, Value::Int(3)), SendOutcome::Closed);
    }

    #[test]
    fn close_wakes_parked_fibers() {
        let mut c = Chan::new(0);
        c.recv(B);
        let (r, _) = c.close();
        assert_eq!(r, vec![B]);
        let mut c = Chan::new(0);
        c.send(A, Value::Nil);
        let (_, s) = c.close();
        assert_eq!(s, vec![A]);
    }
}
