//! `newt`: the command-line entry point (tools.md). Parses the command line, dispatches to one
//! command module, and turns every failure into a message and an exit status — never a Rust
//! backtrace.

mod cli;
mod commands;
mod control;
mod diff;
mod doorbell;
mod pipeline;
mod repl;
mod watch;

use std::process::ExitCode;

/// Exit statuses of tools.md.
pub mod status {
    /// Success.
    pub const OK: u8 = 0;
    /// Bad usage.
    pub const USAGE: u8 = 64;
    /// Compile error.
    pub const COMPILE: u8 = 65;
    /// Runtime error in main (or an internal error).
    pub const RUNTIME: u8 = 70;
}

fn main() -> ExitCode {
    install_panic_hook();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match cli::parse(&args) {
        Ok(cmd) => commands::run(cmd),
        Err(msg) => {
            eprintln!("newt: {msg}");
            eprintln!();
            eprint!("{}", cli::USAGE);
            status::USAGE
        }
    };
    ExitCode::from(code)
}

/// A panic is a bug in newt, not in the user's program: say so in one line instead of showing a
/// Rust backtrace, and exit with the internal-error status.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("newt: internal error: {msg}{at}");
        eprintln!("newt: this is a bug in newt; please report it with the program that caused it");
        std::process::exit(status::RUNTIME as i32);
    }));
}
