//! "The world is stopped" as a type (updates.md, life-cycle step 3): a [`Stopped`] is a borrow
//! of the VM that only the scheduler hands out — between slices, when no fiber runs
//! ([`Vm::stopped`]), or to the `std.dsu` built-in through which the requesting fiber applies
//! its own update (that fiber runs no Newt code until the built-in returns). The mutators of the
//! running image — the heap, the tables, function and class slots, fibers' frames, `become` —
//! live on it, so code that changes the image says in its signature that the world is stopped:
//! the engine's staging, validation and commit steps take a `&mut Stopped`, and so do embedders
//! and tests that patch a VM by hand.

use crate::fiber::{Fiber, FiberId};
use crate::globals::{RtClass, Tables};
use crate::heap::{BecomeError, Handle, Heap};
use crate::load::make_function;
use crate::value::Value;
use crate::verify::{verify_function, VerifyEnv};
use crate::vm::Vm;
use newt_compiler::bytecode::FuncProto;
use newt_compiler::types::FuncId;

/// The VM while no fiber runs (see the module docs). Reading goes through `Deref<Target = Vm>`.
pub struct Stopped<'vm> {
    vm: &'vm mut Vm,
}

impl Vm {
    /// The stopped world, between scheduler slices; `None` while a fiber runs (from inside a
    /// built-in, say).
    pub fn stopped(&mut self) -> Option<Stopped<'_>> {
        if self.current.is_some() {
            return None;
        }
        Some(Stopped { vm: self })
    }

    /// The stopped world at an update's safe point, for its pause: the driver calls this either
    /// between slices or inside the `std.dsu` built-in of the fiber that requested the update,
    /// which is then the only fiber "running" and runs no Newt code while this is held.
    pub(crate) fn stopped_at_safe_point(&mut self) -> Stopped<'_> {
        Stopped { vm: self }
    }
}

impl std::ops::Deref for Stopped<'_> {
    type Target = Vm;
    fn deref(&self) -> &Vm {
        self.vm
    }
}

impl Stopped<'_> {
    /// The VM itself, for the engine's steps.
    pub(crate) fn vm(&mut self) -> &mut Vm {
        self.vm
    }

    /// The heap, mutable.
    pub fn heap_mut(&mut self) -> &mut Heap {
        &mut self.vm.heap
    }

    /// The tables, mutable (see `globals.rs` for the rules of swapping entries).
    pub fn tables_mut(&mut self) -> &mut Tables {
        &mut self.vm.tables
    }

    /// A fiber's record, mutable: frames may be rewritten (remap) or cleared (reboot).
    pub fn fiber_mut(&mut self, id: FiberId) -> Option<&mut Fiber> {
        self.vm.sched.fibers.get_mut(&id).map(|b| &mut **b)
    }

    /// Bulk `become` (O(pairs)): afterwards every reference to each `old` reaches its `new`.
    pub fn become_all(&mut self, pairs: &[(Handle, Handle)]) -> Result<(), BecomeError> {
        self.vm.heap.become_all(pairs)
    }

    /// Stores into global slot `slot`; false when there is no such slot.
    pub fn set_global(&mut self, slot: u32, v: Value) -> bool {
        self.vm.tables.set_global(slot, v)
    }

    /// Verifies and appends a function; returns its id.
    pub fn add_function(&mut self, proto: FuncProto) -> Result<FuncId, String> {
        let depth = verify_function(&proto, &self.vm.tables as &dyn VerifyEnv)?;
        let id = FuncId(self.vm.tables.functions.len() as u32);
        let f = make_function(id, proto, depth, &self.vm.tables.root_module.clone(), &mut self.vm.heap);
        self.vm.tables.push_function(f);
        Ok(id)
    }

    /// Verifies a function and installs it under an existing id: every future call of that id
    /// (through global slots, vtables, function values) runs it; frames already running the old
    /// version keep it.
    pub fn replace_function(&mut self, id: FuncId, proto: FuncProto) -> Result<(), String> {
        if id.0 as usize >= self.vm.tables.functions.len() {
            return Err(format!("no function {}", id.0));
        }
        let depth = verify_function(&proto, &self.vm.tables as &dyn VerifyEnv)?;
        let f = make_function(id, proto, depth, &self.vm.tables.root_module.clone(), &mut self.vm.heap);
        self.vm.tables.replace_function(f);
        Ok(())
    }

    /// Replaces a class definition (same id).
    pub fn replace_class(&mut self, class: RtClass) -> bool {
        self.vm.tables.replace_class(class)
    }
}
