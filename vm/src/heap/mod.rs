//! The handle-based heap: every object lives in one table (`entries`) and is named by its index, a
//! [`Handle`]. Freed entries form a free list threaded through [`Obj::Free`].
//!
//! Architecture Invariant: no Newt value and no object holds a Rust reference or pointer to another
//! object, only handles. That is what makes [`Heap::become_`] O(1): it moves the new object into
//! the old object's entry and leaves a [`Obj::Forward`] marker in the new one, so both handles now
//! name the same object, whoever holds them (heap fields, list/map elements, stack slots, globals,
//! closure upvalues). Accessors resolve forwarding ([`Heap::get`]), identity compares resolved
//! handles ([`Heap::same`]), and the collector rewrites forwarded references and frees the markers
//! (`crate::gc`).
//!
//! Collection itself (roots, mark, sweep) is driven by the VM in `crate::gc`, which knows the
//! roots; this file provides the table operations it uses.

mod lazy;
mod object;

pub use lazy::SHADOW;
pub use object::{Closure, FrameSnapshot, Instance, MapKey, Obj, Str, StrKey};

use crate::fiber::FiberId;
use newt_compiler::types::ClassId;
use std::collections::HashMap;
use std::rc::Rc;

/// The name of a heap object: an index into the object table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle(pub u32);

/// End of the free list.
const NO_FREE: u32 = u32::MAX;

/// The smallest allocation volume between two collections.
const MIN_THRESHOLD: usize = 1 << 20;

/// Why `become` refused a pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BecomeError {
    /// The handle names no live object.
    Dead(Handle),
}

impl std::fmt::Display for BecomeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BecomeError::Dead(h) => write!(f, "become: handle {} names no live object", h.0),
        }
    }
}

/// Counters the collector keeps, for tests, benchmarks and the update engine's reports.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeapStats {
    /// Collections run so far.
    pub collections: u64,
    /// Objects freed by all collections.
    pub freed: u64,
    /// Objects allocated so far.
    pub allocated: u64,
    /// The most live objects seen right after a collection.
    pub peak_live_after_gc: usize,
}

/// The object table (see the module docs).
#[derive(Debug)]
pub struct Heap {
    entries: Vec<Obj>,
    /// Mark bits, parallel to `entries`; only meaningful during a collection.
    pub(crate) marks: Vec<bool>,
    free_head: u32,
    /// Objects currently in the table (forward markers included).
    live: usize,
    /// Forward markers currently in the table; the collector skips its fix-up pass when zero.
    forwards: usize,
    /// Estimated bytes of the objects in the table.
    bytes: usize,
    /// Collect when `bytes` reaches this.
    threshold: usize,
    /// Collect at every allocation (the `stress-gc` feature, or `NEWT_STRESS_GC=1` at start-up, so
    /// that the conformance suite can run under GC stress inside a plain `cargo test`).
    stress: bool,
    /// Interned strings (constant pools): one object per distinct text, alive for the VM's life,
    /// so equal constants compare equal by handle.
    interned: HashMap<Rc<str>, Handle, ahash::RandomState>,
    /// The instance registry: for each class id, handles that held an instance of it when they
    /// were registered (at allocation, or when a swap or `become` changed the class a handle
    /// holds). Entries may be stale until the next sweep prunes them; readers filter. It is what
    /// lets the update engine find a class's instances in O(instances), not O(heap).
    by_class: Vec<Vec<u32>>,
    /// True when a swap or `become` may have registered a handle twice in one class's list.
    registry_dirty: bool,
    /// While set, volume alone does not call for a collection: the update engine's pause must
    /// not include a full collection (its work is O(affected objects)); stress mode still
    /// collects, to check that staging roots everything.
    deferred: bool,
    /// The lazy-migration epoch that new instances are stamped with (`lazy.rs`).
    epoch: u32,
    pub(crate) stats: HeapStats,
}

impl Default for Heap {
    fn default() -> Self {
        Heap::new()
    }
}

impl Heap {
    /// An empty heap.
    pub fn new() -> Heap {
        Heap {
            entries: Vec::new(),
            marks: Vec::new(),
            free_head: NO_FREE,
            live: 0,
            forwards: 0,
            bytes: 0,
            threshold: MIN_THRESHOLD,
            stress: cfg!(feature = "stress-gc") || std::env::var_os("NEWT_STRESS_GC").is_some_and(|v| v == "1"),
            interned: HashMap::default(),
            by_class: Vec::new(),
            registry_dirty: false,
            deferred: false,
            epoch: 0,
            stats: HeapStats::default(),
        }
    }

    /// Stores `obj` and returns its handle. Never collects: the VM decides when to collect, at
    /// points where every live value is rooted (`Vm::gc_point`).
    pub fn alloc(&mut self, mut obj: Obj) -> Handle {
        self.bytes += obj.size_estimate();
        self.live += 1;
        self.stats.allocated += 1;
        let class = match &mut obj {
            Obj::Instance(inst) => {
                inst.epoch = self.epoch;
                Some(inst.class)
            }
            _ => None,
        };
        let h = if self.free_head != NO_FREE {
            let h = self.free_head;
            let slot = &mut self.entries[h as usize];
            if let Obj::Free(next) = *slot {
                self.free_head = next;
            }
            *slot = obj;
            h
        } else {
            let h = self.entries.len() as u32;
            self.entries.push(obj);
            self.marks.push(false);
            h
        };
        if let Some(c) = class {
            self.register(c, h);
        }
        Handle(h)
    }

    /// Makes room for `n` more objects without reallocating the table (beyond the free list).
    pub(crate) fn reserve(&mut self, n: usize) {
        self.entries.reserve(n);
        self.marks.reserve(n);
    }

    /// Records that entry `h` holds an instance of `class` (see `by_class`).
    fn register(&mut self, class: ClassId, h: u32) {
        let c = class.0 as usize;
        if c >= self.by_class.len() {
            self.by_class.resize_with(c + 1, Vec::new);
        }
        self.by_class[c].push(h);
    }

    /// The class of the instance in entry `i`, if it holds one (a lazy migration's shadow of
    /// an old object is no instance of anything: see `lazy.rs`).
    fn class_at(&self, i: usize) -> Option<ClassId> {
        match self.entries.get(i) {
            Some(Obj::Instance(inst)) if inst.epoch != SHADOW => Some(inst.class),
            _ => None,
        }
    }

    /// Registers entry `i` under the class it holds now when that differs from `before`.
    fn reregister(&mut self, i: usize, before: Option<ClassId>) {
        if let Some(c) = self.class_at(i) {
            if Some(c) != before {
                self.register(c, i as u32);
                self.registry_dirty = true;
            }
        }
    }

    /// Allocates a string.
    pub fn alloc_str(&mut self, s: &str) -> Handle {
        self.alloc(Obj::Str(s.into()))
    }

    /// The one string object with this text among interned strings (constants), allocated on
    /// first use. Interned strings are never collected (they are roots).
    pub fn intern(&mut self, s: &str) -> Handle {
        if let Some(h) = self.interned.get(s) {
            return *h;
        }
        let text: Rc<str> = s.into();
        let h = self.alloc(Obj::Str(text.clone().into()));
        self.interned.insert(text, h);
        h
    }

    /// The interned strings' handles (roots for the collector).
    pub(crate) fn interned_handles(&self) -> impl Iterator<Item = Handle> + '_ {
        self.interned.values().copied()
    }

    /// The handle that `h` names after forwarding (itself unless `become` redirected it).
    #[inline]
    pub fn resolve(&self, mut h: Handle) -> Handle {
        while let Obj::Forward(t) = self.entries[h.0 as usize] {
            h = t;
        }
        h
    }

    /// The object `h` names.
    #[inline]
    pub fn get(&self, mut h: Handle) -> &Obj {
        loop {
            match &self.entries[h.0 as usize] {
                Obj::Forward(t) => h = *t,
                o => return o,
            }
        }
    }

    /// The object `h` names, mutable.
    #[inline]
    pub fn get_mut(&mut self, h: Handle) -> &mut Obj {
        let h = self.resolve(h);
        &mut self.entries[h.0 as usize]
    }

    /// True when `a` and `b` name the same object (identity, forwarding included).
    #[inline]
    pub fn same(&self, a: Handle, b: Handle) -> bool {
        a == b || self.resolve(a) == self.resolve(b)
    }

    /// The text of a string object (empty for anything else, which compiled code never asks for).
    pub fn str(&self, h: Handle) -> &str {
        match self.get(h) {
            Obj::Str(s) => &s.text,
            _ => "",
        }
    }

    /// One-way `become`: every reference to `old` (and to `new`) now reaches the object that was
    /// `new`; the object that was `old` is dropped. O(1): it moves one object and leaves one
    /// forward marker.
    pub fn become_(&mut self, old: Handle, new: Handle) -> Result<(), BecomeError> {
        if old.0 as usize >= self.entries.len() {
            return Err(BecomeError::Dead(old));
        }
        if new.0 as usize >= self.entries.len() {
            return Err(BecomeError::Dead(new));
        }
        let old = self.resolve(old);
        let new = self.resolve(new);
        if matches!(self.entries[old.0 as usize], Obj::Free(_)) {
            return Err(BecomeError::Dead(old));
        }
        if matches!(self.entries[new.0 as usize], Obj::Free(_)) {
            return Err(BecomeError::Dead(new));
        }
        if old == new {
            return Ok(());
        }
        let before = self.class_at(old.0 as usize);
        let obj = std::mem::replace(&mut self.entries[new.0 as usize], Obj::Forward(old));
        let dropped = std::mem::replace(&mut self.entries[old.0 as usize], obj);
        self.bytes = self.bytes.saturating_sub(dropped.size_estimate());
        self.forwards += 1;
        self.reregister(old.0 as usize, before);
        Ok(())
    }

    /// `become` for many pairs, applied in order; the cost is O(pairs), independent of the heap
    /// size. Every handle is checked before anything changes, so an error leaves the heap as it was.
    pub fn become_all(&mut self, pairs: &[(Handle, Handle)]) -> Result<(), BecomeError> {
        for &(old, new) in pairs {
            for h in [old, new] {
                if h.0 as usize >= self.entries.len() || matches!(self.get(h), Obj::Free(_)) {
                    return Err(BecomeError::Dead(h));
                }
            }
        }
        for &(old, new) in pairs {
            self.become_(old, new)?;
        }
        Ok(())
    }

    /// Exchanges the objects named by `a` and `b` (both resolved first): a reversible `become`
    /// used by the update engine's staging. After `swap_objects(old, new)` every reference to `old`
    /// reaches the object built under `new`, and `new` holds the old object, so calling it again
    /// undoes the swap exactly. O(1), leaves no forward marker.
    pub fn swap_objects(&mut self, a: Handle, b: Handle) -> Result<(), BecomeError> {
        for h in [a, b] {
            if h.0 as usize >= self.entries.len() || matches!(self.get(h), Obj::Free(_)) {
                return Err(BecomeError::Dead(h));
            }
        }
        let (a, b) = (self.resolve(a).0 as usize, self.resolve(b).0 as usize);
        let (ca, cb) = (self.class_at(a), self.class_at(b));
        self.entries.swap(a, b);
        self.reregister(a, ca);
        self.reregister(b, cb);
        Ok(())
    }

    /// Frees entry `h` now, without a collection. The caller guarantees that nothing (no object,
    /// root, stack slot or global) refers to `h`: the update engine uses it for the versions of
    /// migrated objects that no code ever saw, so that they neither wait for a collection nor show
    /// up as instances in the meantime.
    pub(crate) fn release(&mut self, h: Handle) {
        let i = h.0 as usize;
        match self.entries.get(i) {
            None | Some(Obj::Free(_)) | Some(Obj::Forward(_)) => return,
            Some(_) => {}
        }
        let obj = std::mem::replace(&mut self.entries[i], Obj::Free(self.free_head));
        self.free_head = h.0;
        self.bytes = self.bytes.saturating_sub(obj.size_estimate());
        self.live -= 1;
        // The freed handle may be reused for an instance of the same class before the next sweep.
        self.registry_dirty = true;
    }

    /// Handles of every instance whose class is in `classes` (exact classes; the caller expands
    /// subclasses), in allocation-list order. Reads the instance registry, so the cost is the
    /// number of instances of those classes (reachable or not yet collected), not the heap size.
    pub fn instances_of(&self, classes: &[ClassId]) -> Vec<Handle> {
        let mut out = Vec::new();
        for &c in classes {
            let Some(list) = self.by_class.get(c.0 as usize) else { continue };
            let mut of_c: Vec<Handle> =
                list.iter().filter(|&&h| self.class_at(h as usize) == Some(c)).map(|&h| Handle(h)).collect();
            if self.registry_dirty {
                of_c.sort_unstable();
                of_c.dedup();
            }
            out.append(&mut of_c);
        }
        out
    }

    /// Drops stale registry entries (freed, forwarded or reclassed handles) and duplicates; run
    /// by every sweep, so the registry stays proportional to the live instances.
    fn prune_registry(&mut self) {
        let mut lists = std::mem::take(&mut self.by_class);
        for (c, list) in lists.iter_mut().enumerate() {
            list.retain(|&h| self.class_at(h as usize) == Some(ClassId(c as u32)));
            if self.registry_dirty {
                list.sort_unstable();
                list.dedup();
            }
        }
        self.by_class = lists;
        self.registry_dirty = false;
    }

    /// Number of objects in the table.
    pub fn live_count(&self) -> usize {
        self.live
    }

    /// Size of the table (live plus free entries): it never shrinks, so it bounds the peak.
    pub fn table_len(&self) -> usize {
        self.entries.len()
    }

    /// Estimated bytes of the live objects.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Collection counters.
    pub fn stats(&self) -> HeapStats {
        self.stats
    }

    /// True when the allocation volume calls for a collection (always under GC stress).
    #[inline]
    pub fn wants_collection(&self) -> bool {
        self.stress || (self.bytes >= self.threshold && !self.deferred)
    }

    /// Defers (or allows again) collections called for by allocation volume; see `deferred`.
    pub(crate) fn defer_collection(&mut self, on: bool) {
        self.deferred = on;
    }

    /// Number of forward markers (the collector's fix-up pass runs only when there are some).
    pub(crate) fn forward_count(&self) -> usize {
        self.forwards
    }

    /// Marks `h` (resolved) and everything reachable from it, using `stack` as the work list.
    pub(crate) fn mark_from(&mut self, h: Handle, stack: &mut Vec<Handle>) {
        stack.push(h);
        while let Some(h) = stack.pop() {
            let h = self.resolve(h);
            let i = h.0 as usize;
            if self.marks[i] {
                continue;
            }
            self.marks[i] = true;
            self.entries[i].for_each_ref(|c| stack.push(c));
        }
    }

    /// Rewrites every reference held by a heap object to a forwarded handle into its target.
    pub(crate) fn rewrite_forwarded_refs(&mut self) {
        if self.forwards == 0 {
            return;
        }
        let targets: Vec<Option<Handle>> = (0..self.entries.len())
            .map(|i| match self.entries[i] {
                Obj::Forward(_) => Some(self.resolve(Handle(i as u32))),
                _ => None,
            })
            .collect();
        for obj in self.entries.iter_mut() {
            obj.for_each_ref_mut(|h| {
                if let Some(Some(t)) = targets.get(h.0 as usize) {
                    *h = *t;
                }
            });
        }
    }

    /// Frees every unmarked object and clears the marks. Returns the fibers whose heap objects were
    /// freed (the scheduler forgets finished ones), and sets the next collection's threshold.
    pub(crate) fn sweep(&mut self) -> Vec<FiberId> {
        let mut freed_fibers = Vec::new();
        let mut live_bytes = 0usize;
        let mut freed = 0u64;
        for i in (0..self.entries.len()).rev() {
            if self.marks[i] {
                self.marks[i] = false;
                live_bytes += self.entries[i].size_estimate();
                continue;
            }
            match &self.entries[i] {
                Obj::Free(_) => continue,
                Obj::Forward(_) => self.forwards -= 1,
                Obj::Fiber(id) => freed_fibers.push(*id),
                _ => {}
            }
            self.entries[i] = Obj::Free(self.free_head);
            self.free_head = i as u32;
            freed += 1;
        }
        self.live -= freed as usize;
        self.prune_registry();
        self.bytes = live_bytes;
        self.threshold = (live_bytes * 2).max(MIN_THRESHOLD);
        self.stats.collections += 1;
        self.stats.freed += freed;
        self.stats.peak_live_after_gc = self.stats.peak_live_after_gc.max(self.live);
        freed_fibers
    }

    /// A collection of this heap alone, keeping what `roots` reach: for tests and benchmarks of
    /// the heap in isolation (the VM collects with its own roots, `Vm::collect`).
    pub fn collect_with_roots(&mut self, roots: &[Handle]) {
        self.rewrite_forwarded_refs();
        let mut work = Vec::new();
        let interned: Vec<Handle> = self.interned_handles().collect();
        for &h in roots.iter().chain(&interned) {
            self.mark_from(h, &mut work);
        }
        self.sweep();
    }

    /// The raw entry, without resolving forwarding (tests and the collector).
    pub fn entry(&self, h: Handle) -> Option<&Obj> {
        self.entries.get(h.0 as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn instance(heap: &mut Heap, class: u32) -> Handle {
        heap.alloc(Obj::Instance(Instance::new(ClassId(class), Box::new([Value::Int(class as i64)]))))
    }

    #[test]
    fn instance_registry_follows_allocation_swaps_become_and_sweeps() {
        let mut heap = Heap::new();
        let a = instance(&mut heap, 1);
        let b = instance(&mut heap, 2);
        let s = heap.alloc_str("not an instance");
        let c = instance(&mut heap, 1);
        assert_eq!(heap.instances_of(&[ClassId(1)]), vec![a, c]);
        assert_eq!(heap.instances_of(&[ClassId(2)]), vec![b]);
        assert!(heap.instances_of(&[ClassId(7)]).is_empty());
        // A swap moves each object's class with it, and swapping back leaves no duplicate.
        heap.swap_objects(a, b).unwrap();
        assert_eq!(heap.instances_of(&[ClassId(1)]), vec![b, c]);
        assert_eq!(heap.instances_of(&[ClassId(2)]), vec![a]);
        heap.swap_objects(a, b).unwrap();
        assert_eq!(heap.instances_of(&[ClassId(1)]), vec![a, c]);
        assert_eq!(heap.instances_of(&[ClassId(2)]), vec![b]);
        // `become`: the old handle now holds a class-2 object; the new one is a forward marker.
        heap.become_(c, b).unwrap();
        assert_eq!(heap.instances_of(&[ClassId(1)]), vec![a]);
        assert_eq!(heap.instances_of(&[ClassId(2)]), vec![c]);
        // A sweep prunes freed entries; a reused entry is listed once under its new class.
        let mut work = Vec::new();
        heap.mark_from(c, &mut work);
        heap.mark_from(s, &mut work);
        heap.sweep();
        assert!(heap.instances_of(&[ClassId(1)]).is_empty());
        assert_eq!(heap.instances_of(&[ClassId(2)]), vec![c]);
        let d = instance(&mut heap, 1);
        assert_eq!(heap.instances_of(&[ClassId(1)]), vec![d]);
        // `release` frees at once; reusing the entry for the same class does not list it twice.
        heap.release(d);
        assert!(heap.instances_of(&[ClassId(1)]).is_empty());
        let e = instance(&mut heap, 1);
        assert_eq!(e, d, "the released entry is reused");
        assert_eq!(heap.instances_of(&[ClassId(1)]), vec![e]);
        heap.mark_from(e, &mut work);
        heap.sweep();
        assert!(heap.by_class.iter().all(|l| l.len() <= 1), "{:?}", heap.by_class);
    }

    #[test]
    fn free_list_reuses_entries() {
        let mut heap = Heap::new();
        let a = heap.alloc_str("a");
        let b = heap.alloc_str("b");
        assert_eq!(heap.live_count(), 2);
        // Keep only b.
        let mut work = Vec::new();
        heap.mark_from(b, &mut work);
        heap.sweep();
        assert_eq!(heap.live_count(), 1);
        let c = heap.alloc_str("c");
        assert_eq!(c, a, "the freed entry is reused");
        assert_eq!(heap.str(c), "c");
        assert_eq!(heap.table_len(), 2);
    }

    #[test]
    fn interned_strings_are_shared_and_survive_collection() {
        let mut heap = Heap::new();
        let a = heap.intern("abc");
        let b = heap.intern("abc");
        let c = heap.intern("abd");
        assert_eq!(a, b);
        assert_ne!(a, c);
        heap.collect_with_roots(&[]);
        assert_eq!(heap.str(a), "abc");
        assert_eq!(heap.intern("abc"), a);
    }

    #[test]
    fn become_redirects_both_handles_and_identity() {
        let mut heap = Heap::new();
        let old = heap.alloc(Obj::List(vec![Value::Int(1)]));
        let new = heap.alloc(Obj::List(vec![Value::Int(2)]));
        heap.become_(old, new).unwrap();
        for h in [old, new] {
            match heap.get(h) {
                Obj::List(items) => assert_eq!(items, &vec![Value::Int(2)]),
                o => panic!("unexpected {o:?}"),
            }
        }
        assert!(heap.same(old, new));
        assert_eq!(heap.forward_count(), 1);
    }

    #[test]
    fn become_all_checks_every_pair_first() {
        let mut heap = Heap::new();
        let a = heap.alloc_str("a");
        let b = heap.alloc_str("b");
        let err = heap.become_all(&[(a, b), (a, Handle(99))]);
        assert_eq!(err, Err(BecomeError::Dead(Handle(99))));
        assert_eq!(heap.str(a), "a", "nothing changed");
        heap.become_all(&[(a, b)]).unwrap();
        assert_eq!(heap.str(a), "b");
    }

    #[test]
    fn sweep_frees_forward_markers_after_rewrite() {
        let mut heap = Heap::new();
        let old = heap.alloc(Obj::Cell(Value::Int(1)));
        let new = heap.alloc(Obj::Cell(Value::Int(2)));
        let holder = heap.alloc(Obj::List(vec![Value::Obj(new)]));
        heap.become_(old, new).unwrap();
        heap.rewrite_forwarded_refs();
        match heap.get(holder) {
            Obj::List(items) => assert_eq!(items[0], Value::Obj(old), "rewritten to the target"),
            o => panic!("unexpected {o:?}"),
        }
        let mut work = Vec::new();
        heap.mark_from(holder, &mut work);
        heap.sweep();
        assert_eq!(heap.forward_count(), 0);
        assert_eq!(heap.live_count(), 2);
        assert!(matches!(heap.entry(new), Some(Obj::Free(_))));
    }
}
