//! The Newt standard library, embedded with `include_str!` so that `newt` works from any
//! directory. The `.newt` files under `stdlib/std/` are the only copy; nothing is generated.
//! docs/stdlib.md describes each module's API.

/// Every std module: (dotted name, source).
pub const MODULES: &[(&str, &str)] = &[
    ("std.collections", include_str!("../std/collections.newt")),
    ("std.dsu", include_str!("../std/dsu.newt")),
    ("std.fiber", include_str!("../std/fiber.newt")),
    ("std.http", include_str!("../std/http.newt")),
    ("std.io", include_str!("../std/io.newt")),
    ("std.json", include_str!("../std/json.newt")),
    ("std.math", include_str!("../std/math.newt")),
    ("std.net", include_str!("../std/net.newt")),
    ("std.process", include_str!("../std/process.newt")),
    ("std.test", include_str!("../std/test.newt")),
    ("std.time", include_str!("../std/time.newt")),
];

/// The source of std module `name` (`std.json`), if it exists.
pub fn source(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_std_file_is_registered_under_its_name() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("std");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        on_disk.retain(|n| n.ends_with(".newt"));
        on_disk.sort();
        let mut registered: Vec<String> =
            MODULES.iter().map(|(n, _)| format!("{}.newt", n.trim_start_matches("std."))).collect();
        registered.sort();
        assert_eq!(registered, on_disk, "MODULES must list every stdlib/std/*.newt file, once");
        for (name, src) in MODULES {
            assert_eq!(source(name), Some(*src));
        }
        assert_eq!(source("std.nope"), None);
    }
}
