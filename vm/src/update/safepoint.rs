//! Step 2: is this a safe point? An update may commit only when no fiber has a frame of an
//! affected function (one whose code changed, or that the update removes). Parked fibers (sleep,
//! channels, join, I/O) are at an update point by construction: their frames are data in their
//! records, so they count like any other fiber — parked in an unaffected frame, they never delay
//! an update.
//!
//! Waiting is done by re-checking between scheduler turns (see `commit.rs`); the event-driven
//! version of updates.md (return barriers on the oldest affected frame, fibers held at the entry
//! of affected functions) is not implemented yet.

use crate::fiber::{FiberId, Frame, Status};
use crate::vm::Vm;
use std::collections::HashSet;

/// A fiber whose stack holds an affected function, and the oldest such frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub fiber: FiberId,
    pub fiber_name: Option<String>,
    /// Qualified function name.
    pub function: String,
    pub line: u32,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<fiber {}>", self.fiber.0)?;
        if let Some(n) = &self.fiber_name {
            write!(f, " ({n})")?;
        }
        write!(f, " in {} (line {})", self.function, self.line)
    }
}

/// Every fiber that holds the update back (empty at a safe point). The running fiber (when the
/// update is requested from inside the program) is checked through the VM's live frames.
pub(crate) fn holders(vm: &Vm, affected: &HashSet<u32>) -> Vec<Holder> {
    let mut out = Vec::new();
    if affected.is_empty() {
        return out;
    }
    for id in vm.fiber_ids() {
        let Some(f) = vm.sched.fibers.get(&id) else { continue };
        let frames: &[Frame] = match f.status {
            Status::Done { .. } => continue,
            Status::Running if vm.current == Some(id) => &vm.frames,
            _ => &f.frames,
        };
        if let Some(fr) = frames.iter().find(|fr| affected.contains(&fr.func.0)) {
            let func = vm.tables.function(fr.func);
            out.push(Holder {
                fiber: id,
                fiber_name: f.name.clone(),
                function: func.map(|f| f.proto.name.clone()).unwrap_or_else(|| "?".into()),
                line: func.map(|f| f.line(fr.current_pc())).unwrap_or(0),
            });
        }
    }
    out
}
