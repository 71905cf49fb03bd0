//! The event source the VM's scheduler waits on while every fiber is parked, rung by the threads
//! that hand it work: the control port's connections, the REPL's input thread, the watch-mode
//! debouncer, and the thread compiling an update aside.

use newt_vm::sched::EventSource;
use newt_vm::{FiberId, Value};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Wakes the VM thread's event loop when something for it arrives. As an event source it always
/// counts one waiter: a program that is served (control port, REPL, watch mode) may still be
/// updated or called, so it is never declared deadlocked while it waits.
#[derive(Clone, Default)]
pub struct Doorbell(Arc<(Mutex<bool>, Condvar)>);

impl Doorbell {
    /// Wakes the waiting VM thread (or makes its next wait return at once).
    pub fn ring(&self) {
        let (lock, cv) = &*self.0;
        if let Ok(mut rung) = lock.lock() {
            *rung = true;
            cv.notify_all();
        }
    }
}

impl EventSource for Doorbell {
    fn waiting(&self) -> usize {
        1
    }

    fn poll(&mut self, timeout: Option<Duration>, _ready: &mut Vec<(FiberId, Value)>) {
        let (lock, cv) = &*self.0;
        let Ok(guard) = lock.lock() else { return };
        let waited = match timeout {
            Some(t) => cv.wait_timeout_while(guard, t, |rung| !*rung).ok().map(|(g, _)| g),
            None => cv.wait_while(guard, |rung| !*rung).ok(),
        };
        if let Some(mut rung) = waited {
            *rung = false;
        }
    }
}
