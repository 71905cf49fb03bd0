//! Which fields a `migrate` block assigns on *every* path that keeps `self` (updates.md: "a
//! `migrate` block that does not assign such a field on every path that keeps `self`" is
//! rejected). A path keeps `self` when it falls off the end of the block or ends in `return`,
//! `return nil` or `return self`; a path that returns another object discards the pre-filled
//! `self`, so it needs nothing. Loops may run zero times, so their bodies assign nothing for the
//! code after them (a `return` inside one still counts as an exit with what it assigned).

use newt_compiler::ast::{AssignOp, Block, Else, Expr, ExprKind, Stmt, StmtKind};
use std::collections::BTreeSet;

type Fields = BTreeSet<String>;

/// The fields assigned on every path that keeps `self` (see the module docs). When no path keeps
/// `self` (every path returns another object), `None`: any field may be left unassigned.
pub(crate) fn assigned_on_every_keeping_path(body: &Block) -> Option<Fields> {
    let mut exits = Exits::default();
    let end = block(body, Some(Fields::new()), &mut exits);
    // Falling off the end keeps `self`.
    exits.keep(end);
    exits.keeping
}

/// The intersection of the assigned sets over the keeping exits seen so far.
#[derive(Default)]
struct Exits {
    keeping: Option<Fields>,
}

impl Exits {
    fn keep(&mut self, at: Option<Fields>) {
        let Some(at) = at else { return };
        self.keeping = Some(match self.keeping.take() {
            None => at,
            Some(k) => k.intersection(&at).cloned().collect(),
        });
    }
}

/// Analyses `b` entered with `cur` assigned (`None`: unreachable); returns what is assigned
/// when control falls through its end (`None`: it never does).
fn block(b: &Block, mut cur: Option<Fields>, exits: &mut Exits) -> Option<Fields> {
    for s in b.stmts {
        cur = stmt(s, cur, exits);
    }
    cur
}

fn stmt(s: &Stmt, cur: Option<Fields>, exits: &mut Exits) -> Option<Fields> {
    let mut cur = cur?;
    match &s.kind {
        StmtKind::Assign { target, op: AssignOp::Set, .. } => {
            if let ExprKind::Field { obj, name, .. } = &target.kind {
                if matches!(obj.kind, ExprKind::SelfRef) {
                    cur.insert(name.name.to_string());
                }
            }
            Some(cur)
        }
        StmtKind::If { then, else_, .. } | StmtKind::IfLet { then, else_, .. } => {
            let a = block(then, Some(cur.clone()), exits);
            let b = match else_ {
                None => Some(cur),
                Some(Else::Block(e)) => block(e, Some(cur), exits),
                Some(Else::If(e)) => stmt(e, Some(cur), exits),
            };
            match (a, b) {
                (Some(a), Some(b)) => Some(a.intersection(&b).cloned().collect()),
                (a, b) => a.or(b),
            }
        }
        StmtKind::While { body, .. }
        | StmtKind::WhileLet { body, .. }
        | StmtKind::ForIn { body, .. }
        | StmtKind::ForRange { body, .. } => {
            block(body, Some(cur.clone()), exits);
            Some(cur)
        }
        StmtKind::Block(b) => block(b, Some(cur), exits),
        StmtKind::Return(value) => {
            if value.is_none_or(|e| keeps_self(e)) {
                exits.keep(Some(cur));
            }
            None
        }
        // `break`/`continue` leave the loop body; the loop itself already counts as assigning
        // nothing, so treating them as ending this path is exact enough.
        StmtKind::Break | StmtKind::Continue => None,
        StmtKind::Let { .. } | StmtKind::Assign { .. } | StmtKind::Expr(_) => Some(cur),
    }
}

/// `return nil` and `return self` keep the pre-filled object.
fn keeps_self(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Nil | ExprKind::SelfRef)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bumpalo::Bump;
    use newt_compiler::ast::{Item, MigrateBody};
    use newt_compiler::diag::SourceMap;

    fn analyse(body: &str) -> Option<Vec<String>> {
        let arena = Bump::new();
        let src = format!("update app\nmigrate C(o: old.C) {body}\n");
        let mut map = SourceMap::new();
        let file = map.add("s.newt", "s", &src);
        let (parsed, _) = newt_compiler::parse::parse_script(&arena, file, &src);
        let s = parsed.expect("parses");
        let Some(Item::Migrate(m)) = s.items.first() else { panic!("no migrate") };
        let MigrateBody::Block { body, .. } = m.body else { panic!("no block") };
        assigned_on_every_keeping_path(&body).map(|f| f.into_iter().collect())
    }

    #[test]
    fn straight_line_and_both_branches_assign() {
        assert_eq!(analyse("{ self.a = 1\n self.b = 2 }"), Some(vec!["a".into(), "b".into()]));
        assert_eq!(
            analyse("{ if o.x > 0 {\n self.a = 1\n self.b = 1\n } else {\n self.a = 2\n }\n }"),
            Some(vec!["a".into()])
        );
    }

    #[test]
    fn an_if_without_else_or_a_loop_does_not_assign_for_what_follows() {
        assert_eq!(analyse("{ if o.x > 0 {\n self.a = 1\n }\n }"), Some(vec![]));
        assert_eq!(analyse("{ for i in 0..3 {\n self.a = i\n }\n }"), Some(vec![]));
        assert_eq!(analyse("{ self.b = self.b }"), Some(vec!["b".into()]));
    }

    #[test]
    fn paths_returning_another_object_need_nothing() {
        assert_eq!(analyse("{ if o.x > 0 {\n return D { v: 1 }\n }\n self.a = 1 }"), Some(vec!["a".into()]));
        assert_eq!(analyse("{ return D { v: 1 } }"), None);
        // `return nil` and `return self` keep it, with what was assigned so far.
        assert_eq!(analyse("{ if o.x > 0 {\n return nil\n }\n self.a = 1 }"), Some(vec![]));
        assert_eq!(analyse("{ self.a = 1\n return self }"), Some(vec!["a".into()]));
    }
}
