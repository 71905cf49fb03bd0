//! The heap's side of lazy migration (`crate::update::lazy`): the epoch every instance is
//! stamped with when it is allocated, and the few entry operations a lazy migration needs.
//!
//! A class migrated lazily at epoch `E` leaves every instance stamped before `E` in its old
//! layout: nothing is written to those objects at commit, so the pause does not grow with them.
//! The engine compares an instance's stamp with its class's epoch to tell whether it is still
//! pending. Once migrated, the old object sits in another handle until it is released; while an
//! update's pause may still need it for an abort it is a *shadow* (stamped [`SHADOW`]), which the
//! instance registry does not count as an instance of anything.

use super::{Handle, Heap, Obj};
use newt_compiler::types::ClassId;

/// The stamp of a shadow: the old object of an instance migrated lazily during an update's pause,
/// kept (rooted by the engine) only so that an abort can put it back.
pub const SHADOW: u32 = u32::MAX;

impl Heap {
    /// Starts a new epoch and returns it: instances allocated from now on are stamped with it,
    /// every instance allocated before has a smaller stamp. `None` once the stamps are used up
    /// (after `u32::MAX - 1` lazy updates), when migration must be eager.
    pub(crate) fn next_epoch(&mut self) -> Option<u32> {
        let next = self.epoch.checked_add(1).filter(|&e| e < SHADOW)?;
        self.epoch = next;
        Some(next)
    }

    /// The class and stamp of the instance `h` names (forwarding resolved).
    #[inline]
    pub(crate) fn instance_stamp(&self, h: Handle) -> Option<(ClassId, u32)> {
        match self.get(h) {
            Obj::Instance(i) => Some((i.class, i.epoch)),
            _ => None,
        }
    }

    /// Re-stamps the instance `h` names: [`SHADOW`] makes it a shadow, its old stamp makes it
    /// an instance again. The registry follows (a shadow is filtered out and pruned; an instance
    /// again is listed under its class).
    pub(crate) fn set_stamp(&mut self, h: Handle, epoch: u32) {
        let i = self.resolve(h).0 as usize;
        let before = self.class_at(i);
        if let Some(Obj::Instance(inst)) = self.entries.get_mut(i) {
            inst.epoch = epoch;
        }
        self.reregister(i, before);
    }

    /// How many handles the registry lists under `class`: at least the number of its instances
    /// (stale entries and duplicates are pruned by the next sweep). O(1).
    pub(crate) fn registered(&self, class: ClassId) -> usize {
        self.by_class.get(class.0 as usize).map_or(0, Vec::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::Instance;
    use crate::value::Value;

    #[test]
    fn instances_are_stamped_with_the_epoch_of_their_allocation() {
        let mut heap = Heap::new();
        let a = heap.alloc(Obj::Instance(Instance::new(ClassId(1), Box::new([Value::Int(1)]))));
        assert_eq!(heap.next_epoch(), Some(1));
        let b = heap.alloc(Obj::Instance(Instance::new(ClassId(1), Box::new([Value::Int(2)]))));
        assert_eq!(heap.instance_stamp(a), Some((ClassId(1), 0)));
        assert_eq!(heap.instance_stamp(b), Some((ClassId(1), 1)));
        assert_eq!(heap.registered(ClassId(1)), 2);
        // A shadow is no instance for the registry; stamped back, it is one again.
        heap.set_stamp(a, SHADOW);
        assert_eq!(heap.instances_of(&[ClassId(1)]), vec![b]);
        heap.set_stamp(a, 0);
        assert_eq!(heap.instances_of(&[ClassId(1)]), vec![a, b]);
        heap.epoch = SHADOW - 1;
        assert_eq!(heap.next_epoch(), None, "the stamps are used up");
    }

    #[test]
    fn an_instance_is_no_bigger_for_its_stamp() {
        assert_eq!(std::mem::size_of::<Instance>(), 24);
        assert_eq!(std::mem::size_of::<Obj>(), 32);
    }
}
