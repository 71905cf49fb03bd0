//! The per-function generator state: locals and their cells, block scopes (for `LocalInfo` live
//! ranges), hidden temporaries, loop targets and the line of the code being emitted.
//!
//! Local slot numbering: slot = `LocalId` index (parameters first, `self` first of all for
//! methods); hidden temporaries (loop counters, list snapshots) get slots after the HIR's locals,
//! allocated and released in stack order so sequential loops reuse them.

use super::builder::{Builder, Label};
use super::layout::Layout;
use crate::bytecode::{LocalInfo, Op};
use crate::diag::{Diagnostic, Span};
use crate::hir::{self, LocalId, Program};
use crate::types::FuncId;
use std::borrow::Cow;

/// Targets of `break` and `continue` in the innermost loop.
#[derive(Debug, Clone, Copy)]
pub struct LoopCtx {
    pub brk: Label,
    pub cont: Label,
    /// True when `continue` jumps backward (to the loop head), so it must be a `Loop`.
    pub cont_backward: bool,
}

/// Generates one function's code.
pub struct FnGen<'p> {
    pub prog: &'p Program,
    pub layout: &'p mut Layout,
    /// The function being generated (parent of the spawn thunks it needs).
    pub id: FuncId,
    pub locals: Cow<'p, [hir::Local]>,
    pub b: Builder,
    pub loops: Vec<LoopCtx>,
    /// Locals declared in each open block, innermost last.
    scopes: Vec<Vec<LocalId>>,
    /// Where each local's live range starts, once declared.
    live_start: Vec<Option<u32>>,
    pub infos: Vec<LocalInfo>,
    /// The callee of each call instruction emitted (see `FuncProto::calls`).
    pub calls: Vec<(u32, String)>,
    hidden_next: u32,
    hidden_max: u32,
    /// When set, sub-expressions keep the current line (an inlined field default keeps the line
    /// of the construction, not of the class's source).
    pub line_locked: bool,
    /// Where to report internal limits.
    pub span: Span,
    pub errors: Vec<Diagnostic>,
}

impl<'p> FnGen<'p> {
    /// A generator for a function with these locals, emitting at the line of `span`.
    pub fn new(
        prog: &'p Program,
        layout: &'p mut Layout,
        id: FuncId,
        locals: Cow<'p, [hir::Local]>,
        span: Span,
    ) -> FnGen<'p> {
        let n = locals.len() as u32;
        let line = line_of(prog, span);
        let mut g = FnGen {
            prog,
            layout,
            id,
            live_start: vec![None; n as usize],
            locals,
            b: Builder::new(line),
            loops: Vec::new(),
            scopes: vec![Vec::new()],
            infos: Vec::new(),
            calls: Vec::new(),
            hidden_next: n,
            hidden_max: n,
            line_locked: false,
            span,
            errors: Vec::new(),
        };
        if n > u32::from(u16::MAX) {
            g.error("function too large (more than 65535 local variables)");
        }
        g
    }

    /// Records an internal-limit error at the function.
    pub fn error(&mut self, msg: impl Into<String>) {
        let msg = msg.into();
        if !self.errors.iter().any(|d| d.message == msg) {
            self.errors.push(Diagnostic::error(self.span, msg));
        }
    }

    /// The line of a span in the program's sources (0 when the span is not in a known file).
    pub fn line(&self, span: Span) -> u32 {
        line_of(self.prog, span)
    }

    /// Sets the emission line to `span`'s and returns the previous one.
    pub fn enter_line(&mut self, span: Span) -> u32 {
        let old = self.b.line;
        if !self.line_locked {
            self.b.line = self.line(span);
        }
        old
    }

    /// A slot operand; reports an error (once) when it does not fit.
    pub fn slot16(&mut self, v: u32, what: &str) -> u16 {
        u16::try_from(v).unwrap_or_else(|_| {
            self.error(format!("function too large (too many {what})"));
            0
        })
    }

    /// Whether local `id` lives in a cell.
    pub fn is_cell(&self, id: LocalId) -> bool {
        self.locals.get(id.0 as usize).is_some_and(|l| l.captured)
    }

    /// Pushes a local's value.
    pub fn load_local(&mut self, id: LocalId) {
        let s = self.slot16(id.0, "local variables");
        self.b.emit(if self.is_cell(id) { Op::LoadCell(s) } else { Op::LoadLocal(s) });
    }

    /// Pops into an already declared local.
    pub fn store_local(&mut self, id: LocalId) {
        let s = self.slot16(id.0, "local variables");
        self.b.emit(if self.is_cell(id) { Op::StoreCell(s) } else { Op::StoreLocal(s) });
    }

    /// Pops the initial value of a local at its declaration: a captured local gets a fresh cell
    /// (so every loop iteration has its own). Starts its live range.
    pub fn declare_local(&mut self, id: LocalId) {
        let s = self.slot16(id.0, "local variables");
        self.b.emit(if self.is_cell(id) { Op::NewCell(s) } else { Op::StoreLocal(s) });
        self.start_live(id);
    }

    /// Marks `id` in scope from here to the end of the innermost open block.
    pub fn start_live(&mut self, id: LocalId) {
        if let Some(slot) = self.live_start.get_mut(id.0 as usize) {
            *slot = Some(self.b.code.len() as u32);
            if let Some(scope) = self.scopes.last_mut() {
                scope.push(id);
            }
        }
    }

    /// Opens a block scope.
    pub fn open_scope(&mut self) {
        self.scopes.push(Vec::new());
    }

    /// Closes the innermost block scope, recording the live ranges of its locals.
    pub fn close_scope(&mut self) {
        let Some(ids) = self.scopes.pop() else { return };
        let end = self.b.code.len() as u32;
        for id in ids {
            self.record_info(id, end);
        }
    }

    fn record_info(&mut self, id: LocalId, end: u32) {
        let Some(start) = self.live_start.get_mut(id.0 as usize).and_then(Option::take) else { return };
        let Some(local) = self.locals.get(id.0 as usize) else { return };
        // Checker-made temporaries (`<receiver>`) are not user variables.
        if local.name.starts_with('<') || id.0 > u32::from(u16::MAX) {
            return;
        }
        let ty = super::layout::type_text(self.prog, &local.ty);
        self.infos.push(LocalInfo {
            name: local.name.clone(),
            slot: id.0 as u16,
            cell: local.captured,
            live: start..end,
            ty,
        });
    }

    /// Emits a call instruction, recording its callee (see `FuncProto::calls`).
    pub fn emit_call(&mut self, op: Op, callee: String) {
        if self.b.reachable {
            self.calls.push((self.b.code.len() as u32, callee));
        }
        self.b.emit(op);
    }

    /// The first hidden slot: every named local comes before it.
    pub fn hidden_base(&self) -> u16 {
        u16::try_from(self.locals.len()).unwrap_or(u16::MAX)
    }

    /// A hidden temporary slot (released with [`FnGen::release_hidden`], in reverse order).
    pub fn hidden(&mut self) -> u16 {
        let s = self.hidden_next;
        self.hidden_next += 1;
        self.hidden_max = self.hidden_max.max(self.hidden_next);
        self.slot16(s, "local variables")
    }

    /// Releases the `n` most recently allocated hidden slots.
    pub fn release_hidden(&mut self, n: u32) {
        self.hidden_next -= n;
    }

    /// Total local slots: the HIR's locals plus the most hidden temporaries live at once.
    pub fn num_locals(&mut self) -> u16 {
        let n = self.hidden_max;
        self.slot16(n, "local variables")
    }

    /// Closes every scope still open (the function body's), so every local gets its info.
    pub fn close_all_scopes(&mut self) {
        while !self.scopes.is_empty() {
            self.close_scope();
        }
        self.infos.sort_by_key(|i| (i.live.start, i.slot));
    }
}

/// 1-based line of `span`'s start; 0 when the span's file is unknown.
pub fn line_of(prog: &Program, span: Span) -> u32 {
    match prog.sources.files().get(span.file.0 as usize) {
        Some(f) => f.line_col(span.start).0,
        None => 0,
    }
}

/// Line of the last character of `span` (a function's closing brace, where its implicit return
/// is).
pub fn end_line_of(prog: &Program, span: Span) -> u32 {
    match prog.sources.files().get(span.file.0 as usize) {
        Some(f) => f.line_col(span.end.saturating_sub(1).max(span.start)).0,
        None => 0,
    }
}
