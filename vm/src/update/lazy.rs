//! Lazy migration (updates.md, "Lazy migration"): `migrate lazy C(o: old.C) { ... }` leaves C's
//! old instances as they are at commit and migrates each one on its first access afterwards.
//!
//! **The pause does not touch them.** Every instance carries the heap epoch of its allocation
//! (`crate::heap::Instance`, in what was padding). An update that migrates C lazily starts a new
//! epoch `E` at the beginning of its pause and records, per class, `since[C] = E` and how to
//! migrate (the default policy's copy plan, the new fields' defaults, the block): O(lazy
//! classes), whatever the number of instances. An instance of C stamped before `since[C]` is
//! *pending*: it still has the old layout, which nothing may read as the new one.
//!
//! **The check costs nothing outside updates.** The dispatch loop is compiled twice
//! (`Vm::dispatch::<LAZY>`, `interp/mod.rs`): while no instance can be pending ([`LazyState::active`]
//! is false, the normal case) the loop without the check runs, exactly the code that ran before
//! lazy migration existed. While some may be, the other one runs, and the instructions that
//! already dispatch on an object's kind (field reads and writes, method calls, `is`/`as`,
//! `str()`) first compare the instance's stamp with its class's epoch. The loop is chosen each
//! time a slice (or a re-entrant call) starts; a commit inside a running fiber's built-in
//! (`dsu.apply`'s poll) ends that fiber's slice (`update/natives.rs`), so no slice of the fast
//! loop ever sees a pending object. Before the built-ins that read instances from Rust (`str`,
//! `print`, `json.encode`, reflection: [`reads_instances`]) the checking loop migrates what they
//! will read ([`Vm::lazy_ready`], [`Vm::lazy_ready_deep`]); `old.` reads in a pause do the same.
//!
//! **Migrating one object** ([`Vm::lazy_migrate`]): its new version is allocated pre-filled by
//! the default policy and swapped into the object's handle (identity is kept, as for an eager
//! migration); the new fields' defaults and the block run as re-entrant calls on the accessing
//! fiber's stack, the block reading the old object through `o` (a one-object `old.` view). The
//! checker makes sure the block reads nothing but the old object (`check/script_lazy.rs`), so
//! when it runs does not matter. If it fails, the swap is undone, the object stays pending, and
//! the access is a runtime error in the accessing fiber that names the migration (the update
//! itself committed long ago and stays).
//!
//! **Later updates.** Pending instances of a class that a later update migrates again (its layout
//! changes, it is renamed, or a script migrates it), or whose lazy migration constructs or tests
//! a class that the update migrates, are migrated first, at the beginning of that update's pause
//! (O(those instances)); the others stay pending across it. During a pause every lazy migration
//! (those, and first accesses by new code in the staging area) is logged, so that an abort puts
//! every object back exactly as it was, pending ones included; old objects wait as *shadows*
//! (`crate::heap::SHADOW`) until the pause ends.

use crate::error::{Ctl, RtError};
use crate::heap::{Handle, Instance, Obj, SHADOW};
use crate::update::analyse::Plan;
use crate::update::world::Stopped;
use crate::value::Value;
use crate::vm::Vm;
use newt_compiler::builtins::Builtin;
use newt_compiler::bytecode::{Op, ScriptMigrationKind};
use newt_compiler::types::{ClassId, FuncId, RtType};
use std::collections::HashSet;
use std::rc::Rc;

/// How the pending instances of one lazily migrated class are migrated.
#[derive(Debug)]
pub(crate) struct LazyClass {
    pub class: ClassId,
    /// Instances stamped before this epoch are pending.
    pub since: u32,
    /// For each field slot of the new layout: the old slot copied into it (default policy).
    pub copy: Vec<Option<usize>>,
    /// (new slot, default function) for the fields the default policy does not copy.
    pub defaults: Vec<(usize, FuncId)>,
    /// The `migrate lazy` block: `(self, o) -> C?`.
    pub block: Option<FuncId>,
    /// The class's short name (new version), for messages.
    pub name: String,
    /// Where the migration is written: `update.newt:2`.
    pub at: String,
    /// The old class's short name and field names, to show a pending object where it cannot be
    /// migrated (`Vm::display`, which borrows the VM immutably).
    pub old_name: String,
    pub old_fields: Vec<String>,
}

/// One lazy migration made during a pause, undone if the update aborts.
#[derive(Debug, Clone, Copy)]
struct Logged {
    /// The migrated object's handle (now holding the new version).
    h: Handle,
    /// The old object, a shadow until the pause ends.
    shadow: Handle,
    /// The old object's stamp.
    epoch: u32,
    /// The object the block returned instead of `self`, swapped into `h`.
    returned: Option<Handle>,
    /// The class whose migration ran.
    class: ClassId,
    /// Migrated by the update being staged (not by an earlier one).
    staged: bool,
}

/// The engine's lazy-migration state (in [`crate::update::DsuState`]).
#[derive(Debug, Default)]
pub(crate) struct LazyState {
    /// True while some instance may be pending: the dispatch loop with the check runs.
    pub(crate) active: bool,
    /// `since` by class id, as the running code sees it (0: nothing pending). During a pause it
    /// includes the classes the staged update migrates lazily.
    since: Vec<u32>,
    /// `since` of committed updates only. While old code runs in a pause (`old.` calls) the two
    /// are swapped ([`Vm::lazy_mask_for_old`]), so old code sees this update's pending objects in
    /// their old layout, which is theirs.
    committed: Vec<u32>,
    masked: bool,
    /// The committed migrations, by class id, with an upper bound of their pending instances.
    records: Vec<Option<(Rc<LazyClass>, usize)>>,
    /// The lazy migrations of the update being staged.
    staged: Vec<Rc<LazyClass>>,
    /// While a pause runs: every lazy migration made, in order.
    log: Option<Vec<Logged>>,
    /// The VM's root stack length when the pause began (the shadows are rooted above it).
    roots_base: usize,
    /// Committed lazy classes whose every pending instance the pause began by migrating.
    settled: Vec<ClassId>,
    /// While a lazy migration's block runs: (the object, the handle of its old object), which
    /// `o.f` reads.
    pub(crate) view: Option<(Handle, Handle)>,
}

impl LazyState {
    /// True when an instance of `class` stamped `epoch` is pending, as the running code sees it.
    #[inline(always)]
    pub(crate) fn pending(&self, class: ClassId, epoch: u32) -> bool {
        self.since.get(class.0 as usize).is_some_and(|&s| epoch < s)
    }

    /// The committed epochs (whichever vector holds them now).
    fn committed_since(&self) -> &[u32] {
        if self.masked {
            &self.since
        } else {
            &self.committed
        }
    }

    /// True when the instance is pending under a committed update's migration.
    fn pending_committed(&self, class: ClassId, epoch: u32) -> bool {
        self.committed_since().get(class.0 as usize).is_some_and(|&s| epoch < s)
    }

    /// The migration that applies first to an instance of `class` stamped `epoch`: a committed
    /// one before the staged one (they chain, oldest first); `None` when it is not pending.
    fn record_for(&self, class: ClassId, epoch: u32, only_committed: bool) -> Option<(Rc<LazyClass>, bool)> {
        if self.pending_committed(class, epoch) {
            if let Some(Some((r, _))) = self.records.get(class.0 as usize) {
                return Some((r.clone(), false));
            }
        }
        if only_committed || self.masked {
            return None;
        }
        self.staged.iter().find(|r| r.class == class && epoch < r.since).map(|r| (r.clone(), true))
    }

    /// True when the update being staged migrates `class` lazily.
    pub(crate) fn is_staged(&self, class: ClassId) -> bool {
        self.staged.iter().any(|r| r.class == class)
    }

    /// The (object, shadow) pairs of this pause's lazy migrations of staged classes: an `old.`
    /// view reads their old objects in the shadows.
    pub(crate) fn staged_pairs(&self) -> Vec<(Handle, Handle)> {
        self.log.iter().flatten().filter(|l| l.staged).map(|l| (l.h, l.shadow)).collect()
    }

    /// The old class name and field names of a pending instance (see [`LazyClass::old_fields`]).
    pub(crate) fn old_layout(&self, class: ClassId, epoch: u32) -> Option<(&str, &[String])> {
        if !self.pending(class, epoch) {
            return None;
        }
        let r = match self.records.get(class.0 as usize) {
            Some(Some((r, _))) if self.pending_committed(class, epoch) => r,
            _ => self.staged.iter().find(|r| r.class == class)?,
        };
        Some((r.old_name.as_str(), r.old_fields.as_slice()))
    }

    fn set(v: &mut Vec<u32>, class: ClassId, since: u32) {
        let i = class.0 as usize;
        if i >= v.len() {
            v.resize(i + 1, 0);
        }
        v[i] = since;
    }

    fn refresh(&mut self) {
        self.active = !self.staged.is_empty() || self.records.iter().any(Option::is_some);
    }

    /// Forgets the committed migration of `class` (no instance of it is pending any more).
    fn retire(&mut self, class: ClassId) {
        let i = class.0 as usize;
        if let Some(r) = self.records.get_mut(i) {
            *r = None;
        }
        for v in [&mut self.since, &mut self.committed] {
            if let Some(s) = v.get_mut(i) {
                *s = 0;
            }
        }
        self.refresh();
    }
}

impl Vm {
    /// True when `v` is a pending instance (see the module docs).
    #[inline(always)]
    pub(crate) fn lazy_pending_value(&self, v: Value) -> bool {
        match v {
            Value::Obj(h) => match self.heap.get(h) {
                Obj::Instance(i) => self.dsu.lazy.pending(i.class, i.epoch),
                _ => false,
            },
            _ => false,
        }
    }

    /// Migrates `v` first if it is a pending instance; returns at once while nothing is pending.
    #[inline]
    pub(crate) fn lazy_ready(&mut self, v: Value) -> Result<(), RtError> {
        if !self.dsu.lazy.active {
            return Ok(());
        }
        match v {
            Value::Obj(h) if self.lazy_pending_value(v) => self.lazy_migrate(h),
            _ => Ok(()),
        }
    }

    /// Migrates every pending instance reachable from `v` (through lists, maps, instances and
    /// cells), for code that reads a whole structure (`str`, `json.encode`); returns at once
    /// while nothing is pending.
    #[inline]
    pub(crate) fn lazy_ready_deep(&mut self, v: Value) -> Result<(), RtError> {
        if !self.dsu.lazy.active || v.handle().is_none() {
            return Ok(());
        }
        self.lazy_ready_deep_slow(v)
    }

    #[cold]
    fn lazy_ready_deep_slow(&mut self, v: Value) -> Result<(), RtError> {
        // Find them all first (migrations run code, which may change what is reachable), then
        // migrate; the migrated objects' fields may lead to more, so until none is left.
        loop {
            let mut found = Vec::new();
            let mut seen = HashSet::new();
            let mut work: Vec<Handle> = v.handle().into_iter().collect();
            while let Some(h) = work.pop() {
                let h = self.heap.resolve(h);
                if !seen.insert(h) {
                    continue;
                }
                let obj = self.heap.get(h);
                if let Obj::Instance(i) = obj {
                    if self.dsu.lazy.pending(i.class, i.epoch) {
                        found.push(h);
                        continue;
                    }
                }
                let mut push = |v: &Value| {
                    if let Value::Obj(c) = v {
                        work.push(*c)
                    }
                };
                match obj {
                    Obj::List(items) => items.iter().for_each(&mut push),
                    Obj::Map(m) => m.iter().for_each(|(_, v)| push(v)),
                    Obj::Instance(i) => i.fields.iter().for_each(&mut push),
                    Obj::Cell(v) => push(v),
                    _ => {}
                }
            }
            if found.is_empty() {
                return Ok(());
            }
            let base = self.roots.len();
            self.roots.extend(found.iter().map(|&h| Value::Obj(h)));
            let r = found.iter().try_for_each(|&h| self.lazy_migrate(h));
            self.roots.truncate(base);
            r?;
        }
    }

    /// Migrates the pending instance `h` (see the module docs): every migration that applies,
    /// oldest first. An error names the migration; the object then stays pending.
    #[cold]
    #[inline(never)]
    pub(crate) fn lazy_migrate(&mut self, h: Handle) -> Result<(), RtError> {
        self.lazy_migrate_with(h, false)
    }

    /// [`Vm::lazy_migrate`] by committed updates' migrations only: what the running version (an
    /// `old.` read during a pause) sees.
    pub(crate) fn lazy_ready_committed(&mut self, h: Handle) -> Result<(), RtError> {
        if !self.dsu.lazy.active {
            return Ok(());
        }
        self.lazy_migrate_with(h, true)
    }

    fn lazy_migrate_with(&mut self, h: Handle, only_committed: bool) -> Result<(), RtError> {
        // One step per update that migrated the class lazily since the object was made (at
        // most a committed one and the staged one); the bound guards a malformed state.
        for _ in 0..8 {
            let h = self.heap.resolve(h);
            let Some((class, epoch)) = self.heap.instance_stamp(h) else { return Ok(()) };
            let Some((rec, staged)) = self.dsu.lazy.record_for(class, epoch, only_committed) else { return Ok(()) };
            self.lazy_step(h, epoch, &rec, staged)?;
        }
        Err(RtError::internal("a lazy migration did not end"))
    }

    /// One migration of `h` (stamped `epoch`) by `rec`.
    fn lazy_step(&mut self, h: Handle, epoch: u32, rec: &LazyClass, staged: bool) -> Result<(), RtError> {
        let fields: Box<[Value]> = match self.heap.get(h) {
            Obj::Instance(i) => {
                rec.copy.iter().map(|c| c.and_then(|k| i.fields.get(k).copied()).unwrap_or(Value::Undef)).collect()
            }
            _ => return Ok(()),
        };
        let roots = self.roots.len();
        let (depth, sp) = (self.frames.len(), self.stack.len());
        let new = self.heap.alloc(Obj::Instance(Instance::new(rec.class, fields)));
        self.roots.push(Value::Obj(h));
        self.roots.push(Value::Obj(new));
        // `h` holds the new version from here on; `new` holds the old object.
        let swapped = self.heap.swap_objects(h, new).is_ok();
        let result = match swapped {
            true => self.lazy_run(h, new, rec),
            false => Err(RtError::internal("a pending object's handle is dead")),
        };
        let result = result.and_then(|returned| {
            if let Some(r) = returned {
                self.roots.push(Value::Obj(r));
                self.heap.swap_objects(h, r).map_err(RtError::internal)?;
            }
            match self.unfilled(h) {
                Some(field) => {
                    if let Some(r) = returned {
                        let _ = self.heap.swap_objects(h, r);
                    }
                    Err(RtError::new(format!("field '{field}' has no value after the migration")))
                }
                None => Ok(returned),
            }
        });
        match result {
            Ok(returned) => {
                self.roots.truncate(roots);
                match self.dsu.lazy.log.as_mut() {
                    Some(log) => {
                        // Kept for an abort: rooted until the pause ends, and not an instance.
                        log.push(Logged { h, shadow: new, epoch, returned, class: rec.class, staged });
                        self.roots.push(Value::Obj(new));
                        self.heap.set_stamp(new, SHADOW);
                        if staged {
                            // An `old.` view of the running script reads the old object there.
                            if let Some(w) = self.dsu.old_world.as_mut() {
                                w.add_pair(h, new);
                            }
                        }
                    }
                    None => {
                        // Nothing but this function ever had the old object's new handle.
                        self.heap.release(new);
                        if let Some(Some((_, n))) = self.dsu.lazy.records.get_mut(rec.class.0 as usize) {
                            *n = n.saturating_sub(1);
                            if *n == 0 {
                                self.dsu.lazy.retire(rec.class);
                            }
                        }
                    }
                }
                Ok(())
            }
            Err(e) => {
                // The error leaves the migration's frames behind; the accessing code goes on
                // (or reports) from where it was.
                let at = self.trace(&self.frames[depth.min(self.frames.len())..]).into_iter().next();
                self.frames.truncate(depth);
                self.stack.truncate(sp);
                if swapped {
                    let _ = self.heap.swap_objects(h, new);
                    self.heap.release(new);
                }
                self.roots.truncate(roots);
                let own = format!("{}.<migrate", newt_compiler::check::SCRIPT_MODULE);
                let place = match at {
                    Some(t) if t.function.starts_with(&own) => {
                        format!("migrate lazy {} at {}:{}", rec.name, t.path, t.line)
                    }
                    Some(t) => {
                        format!("in {} at {}:{}, migrate lazy {} at {}", t.function, t.path, t.line, rec.name, rec.at)
                    }
                    None => format!("migrate lazy {} at {}", rec.name, rec.at),
                };
                Err(RtError::new(format!("lazy migration of a {} failed: {} ({place})", rec.name, e.msg)))
            }
        }
    }

    /// Runs the defaults and the block of `rec` for `h` (new version), whose old object is in
    /// `old`; the object the block returned instead of `self`, if any.
    fn lazy_run(&mut self, h: Handle, old: Handle, rec: &LazyClass) -> Result<Option<Handle>, RtError> {
        let to_rt = |c: Ctl| match c {
            Ctl::Error(e) => e,
            Ctl::Exit(code) => RtError::new(format!("exit({code}) called")),
            Ctl::Park => RtError::internal("a lazy migration tried to suspend"),
        };
        for &(slot, f) in &rec.defaults {
            let v = self.call_nested(Value::Func(f), &[]).map_err(to_rt)?;
            if let Obj::Instance(i) = self.heap.get_mut(h) {
                if let Some(x) = i.fields.get_mut(slot) {
                    *x = v;
                }
            }
        }
        let Some(block) = rec.block else { return Ok(None) };
        // The block reads the old object through `o` and nothing else: a one-object view that
        // the `old.` field native consults first (`validate/old_view.rs`).
        let outer = self.dsu.lazy.view.replace((h, old));
        let r = self.call_nested(Value::Func(block), &[Value::Obj(h), Value::Obj(h)]);
        self.dsu.lazy.view = outer;
        match r.map_err(to_rt)? {
            Value::Obj(r) if !self.heap.same(r, h) => Ok(Some(r)),
            _ => Ok(None),
        }
    }

    /// The name of a field of the instance `h` that holds no value, if any.
    fn unfilled(&self, h: Handle) -> Option<String> {
        let Obj::Instance(i) = self.heap.get(h) else { return None };
        let k = i.fields.iter().position(|v| matches!(v, Value::Undef))?;
        let name = self.tables.class(i.class).and_then(|c| c.fields.get(k)).map(|f| f.name.clone());
        Some(name.unwrap_or_else(|| k.to_string()))
    }

    /// Old code is about to run in a pause (`on`), or has returned: while it runs, the staged
    /// update's pending objects are not pending (their old layout is the running one).
    pub(crate) fn lazy_mask_for_old(&mut self, on: bool) {
        let l = &mut self.dsu.lazy;
        if l.masked != on && !l.staged.is_empty() {
            std::mem::swap(&mut l.since, &mut l.committed);
            l.masked = on;
        }
    }

    /// After a collection: the exact number of pending instances of each committed lazy class;
    /// a class with none left is forgotten (and when none is left at all, the fast dispatch loop
    /// runs again). Costs nothing while nothing is pending.
    pub(crate) fn lazy_after_collect(&mut self) {
        if !self.dsu.lazy.active || self.dsu.lazy.log.is_some() {
            return;
        }
        let classes: Vec<ClassId> = self.dsu.lazy.records.iter().flatten().map(|(r, _)| r.class).collect();
        for c in classes {
            let n = self
                .heap
                .instances_of(&[c])
                .into_iter()
                .filter(|&h| self.heap.instance_stamp(h).is_some_and(|(k, e)| self.dsu.lazy.pending(k, e)))
                .count();
            match self.dsu.lazy.records.get_mut(c.0 as usize) {
                Some(Some((_, count))) if n > 0 => *count = n,
                _ => self.dsu.lazy.retire(c),
            }
        }
    }

    /// Instances of `class` pending under committed updates (for tests and reports).
    pub fn lazy_pending_count(&self, class: ClassId) -> usize {
        self.heap
            .instances_of(&[class])
            .into_iter()
            .filter(|&h| self.heap.instance_stamp(h).is_some_and(|(k, e)| self.dsu.lazy.pending(k, e)))
            .count()
    }

    /// True while some instance may be pending (the dispatch loop with the check runs).
    pub fn lazy_active(&self) -> bool {
        self.dsu.lazy.active
    }
}

/// For the built-ins that read an instance's fields or class from Rust: whether a pending
/// instance in their first argument must be migrated first, and `Some(true)` when anywhere in the
/// structure it leads to (`str`, `print`, `json.encode`). The dispatch loop that checks for
/// pending instances asks this before each built-in call; the other loop never does.
pub(crate) fn reads_instances(b: Builtin) -> Option<bool> {
    use Builtin as B;
    match b {
        B::Print | B::Eprint | B::Str | B::JsonEncode => Some(true),
        B::TypeName
        | B::ObjectFields
        | B::ObjectGet
        | B::DsuObjectClass
        | B::DsuObjectShortName
        | B::DsuObjectClasses
        | B::DsuObjectFields
        | B::DsuObjectHas
        | B::DsuObjectFieldType
        | B::DsuObjectDeclaredIn
        | B::DsuObjectGet
        | B::DsuObjectSet
        | B::DsuObjectBecome => Some(false),
        _ => None,
    }
}

/// The functions a lazy migration runs, and the classes their code constructs or tests.
fn code_classes(vm: &Vm, rec: &LazyClass) -> HashSet<u32> {
    let mut out = HashSet::new();
    let funcs = rec.block.into_iter().chain(rec.defaults.iter().map(|&(_, f)| f));
    for f in funcs {
        let Some(func) = vm.tables.function(f) else { continue };
        for op in func.code() {
            let ty = match *op {
                Op::New(c, _) => {
                    out.insert(c);
                    continue;
                }
                Op::Is(t) | Op::As(t) | Op::AsOpt(t) => t,
                _ => continue,
            };
            if let Some(RtType::Class(c)) = RtType::decode(ty) {
                out.insert(c.0);
            }
        }
    }
    out
}

/// The beginning of a pause (before staging): pending instances the update would misread are
/// migrated first (see the module docs), then the update's own lazy classes are staged under a
/// new epoch. Every lazy migration of the pause is logged from here on; [`end`] commits or undoes
/// them. An error (a pending migration failing) aborts the update.
pub(crate) fn begin(w: &mut Stopped<'_>, plan: &Plan) -> Result<(), String> {
    let vm = w.vm();
    vm.dsu.lazy.log = Some(Vec::new());
    vm.dsu.lazy.roots_base = vm.roots.len();
    if vm.dsu.lazy.active {
        let migrated: HashSet<u32> = plan.migrations.iter().map(|m| m.class.0).collect();
        let replaced: HashSet<u32> = plan
            .fn_actions
            .iter()
            .zip(&plan.fmap)
            .filter(|(a, _)| matches!(a, crate::update::analyse::FnAction::Replace { .. }))
            .map(|(_, f)| f.0)
            .collect();
        let records: Vec<Rc<LazyClass>> = vm.dsu.lazy.records.iter().flatten().map(|(r, _)| r.clone()).collect();
        for rec in records {
            let uses_replaced =
                rec.block.into_iter().chain(rec.defaults.iter().map(|&(_, f)| f)).any(|f| replaced.contains(&f.0));
            let settle = migrated.contains(&rec.class.0)
                || uses_replaced
                || code_classes(vm, &rec).iter().any(|c| migrated.contains(c));
            if !settle {
                continue;
            }
            for h in vm.heap.instances_of(&[rec.class]) {
                vm.lazy_migrate_with(h, true).map_err(|e| format!("runtime error before staging: {}", e.msg))?;
            }
            vm.dsu.lazy.settled.push(rec.class);
        }
    }
    let Some(sp) = plan.script.as_ref() else { return Ok(()) };
    let lazy: Vec<_> = sp.proto.migrations.iter().filter(|m| m.lazy).collect();
    if lazy.is_empty() {
        return Ok(());
    }
    // Out of stamps (after 2^32 - 2 lazy updates) the migration is eager.
    let Some(epoch) = vm.heap.next_epoch() else { return Ok(()) };
    for m in lazy {
        let Some(cm) = plan.migrations.iter().find(|c| c.class == m.class) else { continue };
        let block = match &m.kind {
            ScriptMigrationKind::Block { func, .. } => Some(*func),
            // The checker refuses lazy policies; were one to come, it would run eagerly.
            ScriptMigrationKind::Policy { .. } => continue,
        };
        let new = plan.image.classes.iter().zip(&plan.cmap).find(|(_, id)| **id == m.class).map(|(c, _)| c);
        let old = vm.tables.class(m.from);
        let rec = LazyClass {
            class: m.class,
            since: epoch,
            copy: cm.copy.clone(),
            defaults: cm.defaults.clone(),
            block,
            name: new.map(|c| c.short_name.clone()).unwrap_or_default(),
            at: format!("{}:{}", sp.proto.path, m.line),
            old_name: old.map(|c| c.short_name.clone()).unwrap_or_default(),
            old_fields: old.map(|c| c.fields.iter().map(|f| f.name.clone()).collect()).unwrap_or_default(),
        };
        LazyState::set(&mut vm.dsu.lazy.since, m.class, epoch);
        vm.dsu.lazy.staged.push(Rc::new(rec));
    }
    vm.dsu.lazy.refresh();
    Ok(())
}

/// The end of a pause: on commit (`committed`) the staged lazy classes become pending under
/// their epoch and the shadows are released; on abort every logged migration is undone in
/// reverse (the objects are pending again, as before the pause) and the staged classes are
/// dropped. Returns the number of instances left to migrate lazily (an upper bound: the
/// registry may still list garbage made while the update waited).
pub(crate) fn end(w: &mut Stopped<'_>, committed: bool) -> usize {
    let vm = w.vm();
    vm.lazy_mask_for_old(false);
    let log = vm.dsu.lazy.log.take().unwrap_or_default();
    let staged = std::mem::take(&mut vm.dsu.lazy.staged);
    let settled = std::mem::take(&mut vm.dsu.lazy.settled);
    let base = vm.dsu.lazy.roots_base.min(vm.roots.len());
    vm.roots.truncate(base);
    let mut pending = 0;
    if committed {
        for l in &log {
            vm.heap.release(l.shadow);
            if !l.staged {
                if let Some(Some((_, n))) = vm.dsu.lazy.records.get_mut(l.class.0 as usize) {
                    *n = n.saturating_sub(1);
                }
            }
        }
        let l = &mut vm.dsu.lazy;
        for c in settled {
            l.retire(c);
        }
        for rec in staged {
            let n = vm.heap.registered(rec.class);
            if n == 0 {
                continue;
            }
            pending += n;
            LazyState::set(&mut l.committed, rec.class, rec.since);
            let i = rec.class.0 as usize;
            if i >= l.records.len() {
                l.records.resize_with(i + 1, || None);
            }
            l.records[i] = Some((rec, n));
        }
        l.since = l.committed.clone();
        // Committed migrations whose every instance the pause migrated are done.
        let done: Vec<ClassId> = l.records.iter().flatten().filter(|(_, n)| *n == 0).map(|(r, _)| r.class).collect();
        for c in done {
            l.retire(c);
        }
    } else {
        for l in log.iter().rev() {
            if let Some(r) = l.returned {
                let _ = vm.heap.swap_objects(l.h, r);
            }
            let _ = vm.heap.swap_objects(l.h, l.shadow);
            vm.heap.set_stamp(l.h, l.epoch);
            vm.heap.release(l.shadow);
        }
        vm.dsu.lazy.since = vm.dsu.lazy.committed.clone();
    }
    vm.dsu.lazy.refresh();
    pending
}
