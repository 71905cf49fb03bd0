//! The Newt standard library, embedded with `include_str!` so that `newt` works from any
//! directory. The `.newt` files under `stdlib/std/` are the only copy; nothing is generated.

/// Every std module: (dotted name, source).
pub const MODULES: &[(&str, &str)] = &[];

/// The source of std module `name` (`std.json`), if it exists.
pub fn source(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}
