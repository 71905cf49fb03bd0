//! The report every update ends with (updates.md, "Triggers and reports"): id, outcome, reason,
//! change set, counts and timings in microseconds. Reports go to whoever asked; the engine never
//! prints them to the program's stdout.

use std::fmt;

/// How an update ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The new version runs.
    Committed,
    /// Analysis passed but the update could not be applied (no safe point before the timeout, a
    /// runtime error while staging, a failed validation); the program goes on as before.
    Aborted,
    /// Analysis refused the update (compile errors, a field without a value, ...); nothing ran.
    Rejected,
}

impl Outcome {
    /// `committed`, `aborted` or `rejected` (what `report.outcome()` returns).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Committed => "committed",
            Outcome::Aborted => "aborted",
            Outcome::Rejected => "rejected",
        }
    }
}

/// Added, changed and removed definitions of one kind, by qualified name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

impl Changes {
    /// True when nothing was added, changed or removed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// The change set of an update.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    /// Module functions and methods (lambdas, initialisers and field defaults are part of them).
    pub functions: Changes,
    pub classes: Changes,
    /// `var`s and `const`s.
    pub globals: Changes,
}

impl ChangeSet {
    /// True when the update changes nothing.
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty() && self.classes.is_empty() && self.globals.is_empty()
    }
}

/// What the update did, in numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Live instances given a new layout during the pause.
    pub instances_migrated: usize,
    /// Instances left for lazy migration (`migrate lazy`), migrated on first access; an upper
    /// bound (garbage made while the update waited for its safe point is counted too).
    pub instances_lazy: usize,
    /// Frames moved to new code by `remap` (or development mode).
    pub frames_remapped: usize,
    /// Fibers restarted by `reboot F => call`.
    pub fibers_rebooted: usize,
}

/// Where the time went, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// Compiling and diffing.
    pub analyse_us: u64,
    /// Waiting for a safe point.
    pub wait_us: u64,
    /// The world stopped: staging, migration, validation and commit.
    pub pause_us: u64,
    /// The commit itself (table swap and `become`), part of the pause.
    pub commit_us: u64,
}

/// The report of one update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateReport {
    pub id: u64,
    pub outcome: Outcome,
    /// Empty when committed; otherwise names the field, global, class, fiber or frame at fault.
    pub reason: String,
    /// Compiler diagnostics rendered as `newt check` prints them (empty unless rejected by them).
    pub diagnostics: String,
    pub changes: ChangeSet,
    pub counts: Counts,
    pub timings: Timings,
    /// `dsu.version()` after the update.
    pub version: u64,
}

impl fmt::Display for UpdateReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "update {}: {} (version {})", self.id, self.outcome.as_str(), self.version)?;
        if !self.reason.is_empty() {
            writeln!(f, "  reason: {}", self.reason)?;
        }
        for (kind, c) in [
            ("functions", &self.changes.functions),
            ("classes", &self.changes.classes),
            ("globals", &self.changes.globals),
        ] {
            for (what, names) in [("added", &c.added), ("changed", &c.changed), ("removed", &c.removed)] {
                if !names.is_empty() {
                    writeln!(f, "  {kind} {what}: {}", names.join(", "))?;
                }
            }
        }
        writeln!(f, "  instances migrated: {}", self.counts.instances_migrated)?;
        if self.counts.instances_lazy > 0 {
            writeln!(f, "  instances left to migrate lazily: {}", self.counts.instances_lazy)?;
        }
        if self.counts.fibers_rebooted > 0 {
            writeln!(f, "  fibers rebooted: {}", self.counts.fibers_rebooted)?;
        }
        if self.counts.frames_remapped > 0 {
            writeln!(f, "  frames remapped: {}", self.counts.frames_remapped)?;
        }
        let t = &self.timings;
        write!(
            f,
            "  timings (us): analyse {}, wait {}, pause {}, commit {}",
            t.analyse_us, t.wait_us, t.pause_us, t.commit_us
        )
    }
}

/// How many reports of dry runs and refused requests are kept.
pub(crate) const UNRECORDED_KEPT: usize = 64;

/// Step 7: every update ends with a report, recorded in the history (dry runs and malformed
/// requests aside) and read by whoever asked.
impl crate::vm::Vm {
    /// The report of update `id`, once it has an outcome.
    pub fn update_report(&self, id: u64) -> Option<&UpdateReport> {
        self.report(id)
    }

    /// `dsu.version()`: the number of committed updates.
    pub fn dsu_version(&self) -> u64 {
        self.dsu.version
    }

    /// Every update that reached analysis, oldest first.
    pub fn dsu_history(&self) -> &[UpdateReport] {
        &self.dsu.history
    }

    /// How many reports of dry runs and refused requests are kept now (at most 64).
    pub fn dsu_unrecorded_count(&self) -> usize {
        self.dsu.unrecorded.len()
    }

    /// Keeps the report of a dry run or a refused request, for its requester to read: only the
    /// last [`UNRECORDED_KEPT`] (they are not history, and a stranger can make many).
    pub(crate) fn keep_unrecorded(&mut self, r: UpdateReport) {
        if self.dsu.unrecorded.len() >= UNRECORDED_KEPT {
            self.dsu.unrecorded.pop_front();
        }
        self.dsu.unrecorded.push_back(r);
    }

    pub(crate) fn report(&self, id: u64) -> Option<&UpdateReport> {
        self.dsu.history.iter().rev().find(|r| r.id == id).or_else(|| self.dsu.unrecorded.iter().find(|r| r.id == id))
    }

    pub(crate) fn finish_report(
        &mut self,
        id: u64,
        outcome: Outcome,
        reason: String,
        changes: Option<ChangeSet>,
    ) -> UpdateReport {
        let r = self.make_report(id, outcome, reason, changes.unwrap_or_default(), Timings::default());
        self.dsu.history.push(r.clone());
        r
    }

    pub(crate) fn make_report(
        &self,
        id: u64,
        outcome: Outcome,
        reason: String,
        changes: ChangeSet,
        timings: Timings,
    ) -> UpdateReport {
        UpdateReport {
            id,
            outcome,
            reason,
            diagnostics: String::new(),
            changes,
            counts: Counts::default(),
            timings,
            version: self.dsu.version,
        }
    }

    pub(crate) fn lost(&self, id: u64) -> UpdateReport {
        self.make_report(
            id,
            Outcome::Aborted,
            "internal: the update's report was lost".into(),
            ChangeSet::default(),
            Timings::default(),
        )
    }
}
