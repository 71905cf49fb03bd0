//! Generates the LALRPOP parser from `src/parser/grammar.lalrpop` (into `OUT_DIR/parser/grammar.rs`,
//! included by `src/parse/mod.rs`). Only a change to the grammar reruns it.
fn main() {
    lalrpop::Configuration::new()
        .use_cargo_dir_conventions()
        .emit_rerun_directives(true)
        .process()
        .expect("lalrpop grammar failed to compile");
}
