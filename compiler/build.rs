//! Generates the LALRPOP parser from `src/parser/grammar.lalrpop`.
fn main() {
    lalrpop::Configuration::new().use_cargo_dir_conventions().process().expect("lalrpop grammar failed to compile");
}
