//! What the control port (`newt run --control`, served by the `newt` binary) needs from the VM
//! beyond the update entry points: the running program's module sources (for status hashes) and
//! a way to install an extra event source, so a control request can wake the scheduler while
//! every fiber sleeps.

use crate::sched::EventSource;
use crate::update::state::ModuleSource;
use crate::vm::Vm;

impl Vm {
    /// Every module of the running program as its current version was compiled from.
    pub fn dsu_modules(&self) -> &[ModuleSource] {
        &self.dsu.sources
    }

    /// Installs an embedder's extra event source: the scheduler polls it when no fiber is
    /// runnable (and counts its waiters, so while it reports any the program never deadlocks).
    pub fn set_event_source(&mut self, source: Box<dyn EventSource>) {
        self.sched.events = source;
    }
}
