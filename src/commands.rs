//! One function per command of tools.md; each returns the process exit status.

use crate::cli::{Command, USAGE};
use crate::pipeline;
use crate::status;
use std::path::Path;

/// Runs a parsed command.
pub fn run(cmd: Command) -> u8 {
    match cmd {
        Command::Help => {
            print!("{USAGE}");
            status::OK
        }
        Command::Run { file, args, control, watch: true } => crate::watch::run(&file, args, control.as_ref()),
        Command::Run { file, args, control, watch: false } => run_file(&file, args, control.as_ref()),
        Command::Repl { file } => crate::repl::run(file.as_deref()),
        Command::Update { target, script, timeout_ms, dry_run, json, paths } => {
            crate::control::client::update(&target, &paths, script.as_deref(), timeout_ms, dry_run, json)
        }
        Command::Diff { old, new, script_out, json } => crate::diff::run(&old, &new, script_out.as_deref(), json),
        Command::Status { target, json } => crate::control::client::status(&target, json),
        Command::Check { files } => check_files(&files),
        Command::Dis { file, function } => dis(&file, function.as_deref()),
    }
}

fn missing(file: &str) -> Option<u8> {
    if Path::new(file).is_file() {
        None
    } else {
        eprintln!("newt: cannot read '{file}': no such file");
        Some(status::USAGE)
    }
}

fn run_file(file: &str, args: Vec<String>, control: Option<&crate::control::server::Options>) -> u8 {
    if let Some(code) = missing(file) {
        return code;
    }
    let image = match pipeline::compile(Path::new(file)) {
        Ok(image) => image,
        Err(f) => {
            eprint!("{}", f.rendered);
            return status::COMPILE;
        }
    };
    let mut vm = newt_vm::Vm::new(image, args);
    let outcome = match control {
        None => vm.run(),
        Some(opts) => match crate::control::server::start(opts) {
            Ok((mut server, doorbell)) => {
                vm.set_event_source(Box::new(doorbell));
                loop {
                    match vm.step() {
                        newt_vm::Step::Finished(o) => break o,
                        _ => server.serve(&mut vm),
                    }
                }
            }
            Err(e) => {
                eprintln!("newt: control port: {e}");
                return status::USAGE;
            }
        },
    };
    outcome.exit_code.clamp(0, 255) as u8
}

fn check_files(files: &[String]) -> u8 {
    let mut code = status::OK;
    for file in files {
        if let Some(c) = missing(file) {
            code = code.max(c);
            continue;
        }
        if let Err(f) = pipeline::check(Path::new(file)) {
            eprint!("{}", f.rendered);
            code = status::COMPILE;
        }
    }
    code
}

fn dis(file: &str, function: Option<&str>) -> u8 {
    if let Some(code) = missing(file) {
        return code;
    }
    let image = match pipeline::compile(Path::new(file)) {
        Ok(image) => image,
        Err(f) => {
            eprint!("{}", f.rendered);
            return status::COMPILE;
        }
    };
    match function {
        None => print!("{}", newt_compiler::dis::disassemble(&image)),
        Some(name) => {
            let found = image.functions.iter().position(|f| f.name == name || f.name.ends_with(&format!(".{name}")));
            match found {
                Some(i) => print!(
                    "{}",
                    newt_compiler::dis::disassemble_function(&image, newt_compiler::types::FuncId(i as u32))
                ),
                None => {
                    eprintln!("newt: no function named '{name}' in {file}");
                    return status::USAGE;
                }
            }
        }
    }
    status::OK
}
