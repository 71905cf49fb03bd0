//! Writing checked types back as text: for the user (`3 : int`, `p : Product`) and as source the
//! `repl` module can compile (the type of a rebound `let` in its `migrate var`).

use newt_compiler::hir::{Class, Program};
use newt_compiler::types::Type;

/// The type as source inside the `repl` module, given the module bindings it has (module name →
/// the name it is bound to, or `None` for names imported one by one); `None` when some class in it
/// cannot be named there (or the type cannot be written at all, like `nil`).
pub fn source(program: &Program, t: &Type, repl: &str, bindings: &[(String, Option<String>)]) -> Option<String> {
    let qualify = |c: &Class| -> Option<String> {
        if c.module == repl {
            return Some(c.short_name.clone());
        }
        bindings.iter().find(|(m, _)| *m == c.module).map(|(_, b)| match b {
            Some(b) => format!("{b}.{}", c.short_name),
            None => c.short_name.clone(),
        })
    };
    write_with(program, t, &qualify)
}

fn write_with(program: &Program, t: &Type, name: &dyn Fn(&Class) -> Option<String>) -> Option<String> {
    let w = |t: &Type| write_with(program, t, name);
    Some(match t {
        Type::Int | Type::Float | Type::Bool | Type::Str | Type::Any | Type::Fiber => t.to_string(),
        Type::Nil | Type::Void | Type::Never | Type::Param(_) | Type::Frame | Type::Error => return None,
        Type::List(e) => format!("List<{}>", w(e)?),
        Type::Chan(e) => format!("Chan<{}>", w(e)?),
        Type::Map(k, v) => format!("Map<{}, {}>", w(k)?, w(v)?),
        Type::Optional(e) => match **e {
            Type::Fn(..) => format!("({})?", w(e)?),
            _ => format!("{}?", w(e)?),
        },
        Type::Fn(ps, r) => {
            let ps: Option<Vec<String>> = ps.iter().map(w).collect();
            match **r {
                Type::Void => format!("fn({})", ps?.join(", ")),
                _ => format!("fn({}) -> {}", ps?.join(", "), w(r)?),
            }
        }
        Type::Class(id, args) => {
            let class = program.classes.get(id.0 as usize)?;
            let base = name(class)?;
            if args.is_empty() {
                base
            } else {
                let args: Option<Vec<String>> = args.iter().map(w).collect();
                format!("{base}<{}>", args?.join(", "))
            }
        }
    })
}

/// The type for the user: like [`source`] but every class by its short name and every type
/// printable (`nil`, `nothing`).
pub fn show(program: &Program, t: &Type) -> String {
    let short = |c: &Class| Some(c.short_name.clone());
    match t {
        Type::Nil | Type::Void | Type::Never | Type::Param(_) | Type::Frame | Type::Error => t.to_string(),
        _ => write_with(program, t, &short).unwrap_or_else(|| t.to_string()),
    }
}

/// The module bindings of import lines (`import a.b` binds `a.b` to `b`, `import a.b as c` to `c`,
/// `import a.b.{X}` binds names one by one).
pub fn bindings(imports: &[String]) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for line in imports {
        let Some(rest) = line.trim().strip_prefix("import") else { continue };
        let rest = rest.trim();
        if let Some(brace) = rest.find(".{") {
            out.push((rest[..brace].trim().to_string(), None));
        } else if let Some((path, alias)) = rest.split_once(" as ") {
            out.push((path.trim().to_string(), Some(alias.trim().to_string())));
        } else {
            let last = rest.rsplit('.').next().unwrap_or(rest).trim().to_string();
            out.push((rest.to_string(), Some(last)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_bindings() {
        let b = bindings(&["import shop".into(), "import std.net as n".into(), "import a.b.{X, y}".into()]);
        assert_eq!(
            b,
            vec![
                ("shop".to_string(), Some("shop".to_string())),
                ("std.net".to_string(), Some("n".to_string())),
                ("a.b".to_string(), None)
            ]
        );
    }

    #[test]
    fn plain_types_are_written() {
        let p = Program::default();
        let t = Type::Map(Box::new(Type::Str), Box::new(Type::List(Box::new(Type::Int))));
        assert_eq!(source(&p, &t, "repl", &[]), Some("Map<str, List<int>>".to_string()));
        assert_eq!(source(&p, &Type::Nil, "repl", &[]), None);
        assert_eq!(show(&p, &Type::Optional(Box::new(Type::Fn(vec![Type::Int], Box::new(Type::Void))))), "(fn(int))?");
        assert_eq!(show(&p, &Type::Void), "nothing");
    }
}
