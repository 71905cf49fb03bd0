//! Phase 4: content hashes. Live updates diff two programs by qualified name and hash, so a hash
//! must change exactly when a definition's source or resolved signature does, and must be the same
//! in every run: FNV-1a (64-bit) over the declaration's source text and its signature as shown.

use super::Checker;
use crate::diag::Span;

/// 64-bit FNV-1a, fed piece by piece (deterministic across runs and platforms).
#[derive(Debug, Clone, Copy)]
pub(super) struct Fnv(u64);

impl Fnv {
    /// The FNV offset basis.
    pub fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    /// Mixes in bytes, then a separator so that ("ab", "c") and ("a", "bc") differ.
    pub fn add(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().chain(std::iter::once(&0xffu8)) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// The hash so far.
    pub fn finish(self) -> u64 {
        self.0
    }
}

impl<'a> Checker<'a> {
    fn text_of(&self, span: Span) -> String {
        self.span_text(span).to_string()
    }

    /// Fills `hash` of every function, class and global.
    pub(super) fn compute_hashes(&mut self) {
        for i in 0..self.prog.functions.len() {
            let f = &self.prog.functions[i];
            let mut h = Fnv::new();
            h.add(f.name.as_bytes());
            h.add(self.text_of(f.span).as_bytes());
            h.add(f.type_params.join(",").as_bytes());
            for p in &f.params {
                h.add(self.show(p).as_bytes());
            }
            h.add(self.show(&f.ret).as_bytes());
            if let crate::hir::FunctionKind::GlobalInit { global } = f.kind {
                if let Some(g) = self.prog.globals.get(global.0 as usize) {
                    h.add(self.show(&g.ty).as_bytes());
                }
            }
            self.prog.functions[i].hash = h.finish();
        }
        for i in 0..self.prog.classes.len() {
            let c = &self.prog.classes[i];
            let mut h = Fnv::new();
            h.add(c.name.as_bytes());
            h.add(self.text_of(c.span).as_bytes());
            h.add(c.type_params.join(",").as_bytes());
            if let Some(s) = &c.superclass_type {
                h.add(self.show(s).as_bytes());
                if let Some(sup) = c.superclass {
                    h.add(self.prog.classes[sup.0 as usize].name.as_bytes());
                }
            }
            for f in &c.fields {
                h.add(f.name.as_bytes());
                h.add(self.show(&f.ty).as_bytes());
            }
            for (m, sig) in c.methods.iter().zip(&self.classes[i].methods) {
                h.add(m.name.as_bytes());
                for p in &sig.params {
                    h.add(self.show(p).as_bytes());
                }
                h.add(self.show(&sig.ret).as_bytes());
                h.add(self.prog.functions.get(m.func.0 as usize).map(|f| f.name.as_bytes()).unwrap_or(b""));
            }
            self.prog.classes[i].hash = h.finish();
        }
        for i in 0..self.prog.globals.len() {
            let g = &self.prog.globals[i];
            let mut h = Fnv::new();
            h.add(g.name.as_bytes());
            h.add(if g.is_const { b"const" } else { b"var" });
            h.add(self.text_of(g.span).as_bytes());
            h.add(self.show(&g.ty).as_bytes());
            self.prog.globals[i].hash = h.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Fnv;

    #[test]
    fn fnv_is_deterministic_and_separates_pieces() {
        let h = |parts: &[&str]| {
            let mut f = Fnv::new();
            for p in parts {
                f.add(p.as_bytes());
            }
            f.finish()
        };
        assert_eq!(h(&["ab", "c"]), h(&["ab", "c"]));
        assert_ne!(h(&["ab", "c"]), h(&["a", "bc"]));
        assert_ne!(h(&["x"]), h(&["y"]));
    }
}
