//! The engine's entry points, and the one place that runs the steps in order: a request is
//! prepared (here, or on another thread while the program runs: `prepare`), analysed into a
//! `Plan` (`analyse`), waits for its safe point as `Pending` (`wait`), then the pause stages,
//! validates and commits or aborts it (`commit::pause` over `stage`, `validate`, `commit`), and
//! the outcome becomes its report (`report`).
//!
//! [`Vm::update`] is for embedders (tests, the control port, the REPL); the request/poll pair is
//! behind `std.dsu`'s `apply` (the requesting fiber polls between short sleeps, so it is parked —
//! at an update point — while it waits). One update at a time: a request made while another is
//! pending is aborted at once.

use crate::update::analyse::{analyse, Rejection, UpdateRequest};
use crate::update::report::{ChangeSet, Counts, Outcome, Timings, UpdateReport};
use crate::update::wait::{holders, WaitState};
use crate::vm::{Step, Vm};
use std::time::Instant;

/// An update whose new version is being compiled on another thread (`dsu.apply`).
#[derive(Debug)]
pub(crate) struct Compiling {
    pub id: u64,
    pub req: UpdateRequest,
    pub rx: std::sync::mpsc::Receiver<Result<crate::update::prepare::Prepared, Rejection>>,
    /// `dsu.version()` when the compilation started: a commit since then makes it stale.
    pub base_version: u64,
    pub started: Instant,
}

impl Vm {
    /// Applies an update: analyses it, runs the program until a safe point (at most
    /// `req.timeout`), then stages and commits it, or reports why not. Call it between steps.
    /// The report is also recorded in the history (dry runs excepted).
    pub fn update(&mut self, req: UpdateRequest) -> UpdateReport {
        if self.current.is_some() {
            let id = self.take_id();
            return self.finish_report(id, Outcome::Aborted, "update requested while a fiber runs".into(), None);
        }
        let id = self.request_update(req);
        self.run_until_reported(id)
    }

    /// [`Vm::update`], with the new version compiled on another thread while the program keeps
    /// running (`prepare.rs`): the VM thread then stops only to map it onto the running program
    /// and for the pause. `wake` is called from that thread when the compilation is done (e.g.
    /// to ring the event source the scheduler waits on when every fiber is parked). If an update
    /// commits meanwhile (the program's own `dsu.apply`), the version is compiled again here.
    pub fn update_compiling_aside(&mut self, req: UpdateRequest, wake: Box<dyn FnOnce() + Send>) -> UpdateReport {
        if self.current.is_some() {
            let id = self.take_id();
            return self.finish_report(id, Outcome::Aborted, "update requested while a fiber runs".into(), None);
        }
        let id = self.request_aside(req, Some(wake));
        self.run_until_reported(id)
    }

    /// Runs the program until update `id` has an outcome (committed at a safe point, or aborted
    /// at its timeout or when the program ends); returns its report.
    fn run_until_reported(&mut self, id: u64) -> UpdateReport {
        loop {
            if self.poll_update(id) {
                break;
            }
            if let Step::Finished(_) = self.step() {
                self.abort_pending(id, "the program ended before a safe point was reached".into());
                break;
            }
        }
        self.report(id).cloned().unwrap_or_else(|| self.lost(id))
    }

    /// Analyses an update and queues it; returns its id. A rejection (or a dry run) is final at
    /// once: [`Vm::poll_update`] then returns true.
    pub fn request_update(&mut self, req: UpdateRequest) -> u64 {
        let id = self.take_id();
        if self.dsu.compiling.is_some() {
            self.finish_report(id, Outcome::Aborted, "another update is in progress".into(), None);
            return id;
        }
        self.request_with_id(id, req, None, 0)
    }

    /// `request_update` for a program's own `dsu.apply`: the new version compiles on another
    /// thread while every fiber (the requester parked in its polling loop included) goes on;
    /// [`Vm::poll_update`] picks the result up and continues with the analysis.
    pub(crate) fn request_update_aside(&mut self, req: UpdateRequest) -> u64 {
        self.request_aside(req, None)
    }

    /// Starts compiling `req` on another thread (`wake`, if given, is called there when it is
    /// done) and returns the update's id; [`Vm::poll_update`] continues once the result is in.
    fn request_aside(&mut self, req: UpdateRequest, wake: Option<Box<dyn FnOnce() + Send>>) -> u64 {
        let id = self.take_id();
        if self.dsu.pending.is_some() || self.dsu.compiling.is_some() {
            self.finish_report(id, Outcome::Aborted, "another update is in progress".into(), None);
            return id;
        }
        let base = crate::update::prepare::AnalysisBase::of(self);
        let (tx, rx) = std::sync::mpsc::channel();
        let aside = req.clone();
        let spawned = std::thread::Builder::new().name("newt-update-compile".into()).spawn(move || {
            let _ = tx.send(base.prepare(&aside));
            if let Some(wake) = wake {
                wake();
            }
        });
        match spawned {
            Ok(_) => {
                let base_version = self.dsu.version;
                self.dsu.compiling = Some(Compiling { id, req, rx, base_version, started: Instant::now() });
                id
            }
            Err(_) => self.request_with_id(id, req, None, 0),
        }
    }

    /// Continues a request whose compilation ran aside once its result is in; false while it
    /// is still compiling.
    fn collect_compiled(&mut self, id: u64) -> bool {
        let Some(c) = self.dsu.compiling.as_ref().filter(|c| c.id == id) else { return true };
        let prepared = match c.rx.try_recv() {
            Ok(p) => Some((c.base_version, p)),
            Err(std::sync::mpsc::TryRecvError::Empty) => return false,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => None,
        };
        let Some(c) = self.dsu.compiling.take() else { return true };
        let aside_us = c.started.elapsed().as_micros() as u64;
        self.request_with_id(c.id, c.req, prepared, aside_us);
        true
    }

    /// The body of a request under a given id.
    fn request_with_id(
        &mut self,
        id: u64,
        req: UpdateRequest,
        prepared: Option<(u64, Result<crate::update::prepare::Prepared, Rejection>)>,
        aside_us: u64,
    ) -> u64 {
        if self.dsu.pending.is_some() {
            self.finish_report(id, Outcome::Aborted, "another update is in progress".into(), None);
            return id;
        }
        let t0 = Instant::now();
        // Only a commit changes what the compilation depended on (sources, layouts).
        let analysed = match prepared {
            Some((v, Ok(p))) if v == self.dsu.version => crate::update::analyse::analyse_prepared(self, p),
            Some((v, Err(r))) if v == self.dsu.version => Err(r),
            _ => analyse(self, &req),
        };
        if let Ok(plan) = &analysed {
            if !plan.migrations.is_empty() && !req.dry_run {
                // One ordinary collection now, before the wait, so that the instance registry
                // lists only reachable objects: the counts are exact (up to garbage made while
                // waiting) and leftovers of earlier updates are gone. It is O(heap) like any
                // collection, and part of analysis, not of the pause.
                self.collect();
            }
        }
        // Analysis time includes the compilation done aside (when it was).
        let analyse_us = t0.elapsed().as_micros() as u64 + aside_us;
        let timings = Timings { analyse_us, ..Timings::default() };
        match analysed {
            Err(Rejection { reason, diagnostics }) => {
                let mut r = self.make_report(id, Outcome::Rejected, reason, ChangeSet::default(), timings);
                r.diagnostics = diagnostics;
                self.dsu.history.push(r);
            }
            Ok(plan) if req.dry_run => {
                let r = self.make_report(id, Outcome::Committed, String::new(), plan.changes, timings);
                self.keep_unrecorded(r);
            }
            Ok(plan) => {
                // The requesting fiber waits inside `std.dsu`; if its own stack is affected it can
                // never reach a safe point.
                if let Some(me) = self.current {
                    if let Some(h) = holders(self, &plan).into_iter().find(|h| h.fiber == me) {
                        let reason = format!("the requesting fiber would itself be affected: {h}");
                        let r = self.make_report(id, Outcome::Rejected, reason, plan.changes, timings);
                        self.dsu.history.push(r);
                        return id;
                    }
                }
                self.start_wait(id, plan, req.timeout, analyse_us);
            }
        }
        id
    }

    /// Commits update `id` if this is a safe point, aborts it after its timeout; true once it has
    /// an outcome ([`Vm::update_report`]).
    pub fn poll_update(&mut self, id: u64) -> bool {
        if self.report(id).is_some() {
            return true;
        }
        if !self.collect_compiled(id) {
            return false;
        }
        if self.report(id).is_some() {
            return true;
        }
        let p = match self.check_wait(id) {
            WaitState::Waiting => return false,
            WaitState::Gone => return true,
            WaitState::TimedOut(reason) => {
                self.abort_pending(id, reason);
                return true;
            }
            WaitState::Safe(p) => p,
        };
        {
            let wait_us = p.started.elapsed().as_micros() as u64;
            let t0 = Instant::now();
            let result = crate::update::commit::pause(&mut self.stopped_at_safe_point(), &p.plan);
            let pause_us = t0.elapsed().as_micros() as u64;
            let mut timings = Timings { analyse_us: p.analyse_us, wait_us, pause_us, commit_us: 0 };
            let (outcome, reason, counts) = match result {
                Ok(c) => {
                    timings.commit_us = c.commit_us;
                    (Outcome::Committed, String::new(), c.counts)
                }
                Err(e) => (Outcome::Aborted, e, Counts::default()),
            };
            if outcome == Outcome::Committed {
                self.fix_entry_frames(&p.plan);
            }
            self.release_held();
            let mut r = self.make_report(id, outcome, reason, p.plan.changes, timings);
            r.counts = counts;
            self.dsu.history.push(r);
        }
        true
    }

    /// Live instances of the class named `name` (qualified, or short when unambiguous),
    /// subclasses included. Collects first, so only reachable instances count.
    pub fn dsu_instances(&mut self, name: &str) -> Option<usize> {
        let removed = &self.dsu.removed_classes;
        let class = self
            .tables
            .classes
            .iter()
            .filter(|c| !removed.contains(&c.id.0))
            .find(|c| c.name == name)
            .or_else(|| {
                self.tables.classes.iter().filter(|c| !removed.contains(&c.id.0)).find(|c| c.short_name == name)
            })
            .map(|c| c.id)?;
        self.collect();
        Some(self.instances_of(class, true).len())
    }

    /// Refuses a malformed request (unreadable file, unsupported script) without recording it in
    /// the history; returns the id its report can be read under.
    pub(crate) fn refuse_request(&mut self, reason: String) -> u64 {
        let id = self.take_id();
        let r = self.make_report(id, Outcome::Rejected, reason, ChangeSet::default(), Timings::default());
        self.keep_unrecorded(r);
        id
    }

    fn take_id(&mut self) -> u64 {
        let id = self.dsu.next_id.max(1);
        self.dsu.next_id = id + 1;
        id
    }

    fn abort_pending(&mut self, id: u64, reason: String) {
        if let Some(c) = self.dsu.compiling.take_if(|c| c.id == id) {
            let timings = Timings { analyse_us: c.started.elapsed().as_micros() as u64, ..Timings::default() };
            let r = self.make_report(id, Outcome::Aborted, reason.clone(), ChangeSet::default(), timings);
            self.dsu.history.push(r);
        }
        if let Some(p) = self.dsu.pending.take_if(|p| p.id == id) {
            let timings = Timings {
                analyse_us: p.analyse_us,
                wait_us: p.started.elapsed().as_micros() as u64,
                ..Timings::default()
            };
            let r = self.make_report(id, Outcome::Aborted, reason, p.plan.changes, timings);
            self.dsu.history.push(r);
            self.release_held();
        }
    }
}
