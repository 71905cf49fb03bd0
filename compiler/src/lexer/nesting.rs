//! How deeply the parser is nested at the current token: open brackets, plus the operators whose
//! grammar rules nest to the right without brackets (prefix `-` and `!`, `??`, `<`, `fn`, `else`),
//! counted since the last statement terminator at each bracket level.
//!
//! Both kinds grow the LR parser's stack. Bounding their sum bounds the stack, which keeps error
//! recovery (which scans the stack for each token it skips) linear, and bounds the nesting that
//! interpolations inherit.

/// Brackets and right-nesting operators at each level.
#[derive(Debug, Clone, Default)]
pub(super) struct Nesting {
    /// Open brackets, innermost last.
    brackets: Vec<u8>,
    /// Right-nesting operators since the last terminator, per level (`chains[0]` is outside all
    /// brackets, `chains[i]` inside `brackets[i - 1]`).
    chains: Vec<u32>,
    chain_sum: u32,
    /// Nesting used by enclosing code (for interpolations).
    base: u32,
}

impl Nesting {
    pub fn new(base: u32) -> Nesting {
        Nesting { brackets: Vec::new(), chains: vec![0], chain_sum: 0, base }
    }

    /// The current depth, compared against the limit.
    pub fn depth(&self) -> u32 {
        self.base + self.brackets.len() as u32 + self.chain_sum
    }

    /// True when some bracket is still open.
    pub fn any_open(&self) -> bool {
        !self.brackets.is_empty()
    }

    /// Newlines end statements at top level and directly inside `{ }`.
    pub fn newline_counts(&self) -> bool {
        matches!(self.brackets.last(), None | Some(b'{'))
    }

    pub fn open(&mut self, bracket: u8) {
        self.brackets.push(bracket);
        self.chains.push(0);
    }

    /// Closes up to the innermost matching opener; a closer without one changes nothing (the
    /// parser reports it).
    pub fn close(&mut self, opener: u8) {
        if let Some(pos) = self.brackets.iter().rposition(|&b| b == opener) {
            self.truncate(pos);
        }
    }

    /// Forgets the `(` and `[` opened since the innermost `{`.
    pub fn close_to_brace(&mut self) {
        let keep = self.brackets.iter().rposition(|&b| b == b'{').map_or(0, |i| i + 1);
        self.truncate(keep);
    }

    fn truncate(&mut self, brackets: usize) {
        self.brackets.truncate(brackets);
        while self.chains.len() > brackets + 1 {
            let dropped = self.chains.pop().unwrap_or(0);
            self.chain_sum -= dropped;
        }
    }

    /// A right-nesting operator at the current level.
    pub fn chain(&mut self) {
        if let Some(c) = self.chains.last_mut() {
            *c += 1;
            self.chain_sum += 1;
        }
    }

    /// A statement ended at the current level: its right-nesting count starts again from zero.
    pub fn end_statement(&mut self) {
        if let Some(c) = self.chains.last_mut() {
            self.chain_sum -= std::mem::take(c);
        }
    }
}
