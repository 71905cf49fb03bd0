//! `newt repl [FILE]` (and bare `newt` on a terminal): the interactive session of tools.md.
//!
//! # Threads
//! - The **VM thread** (the main thread) owns the VM and the session ([`eval::Repl`]). It runs
//!   scheduler turns while the user types, so the program's fibers (timers, sockets) keep going, and
//!   between turns takes inputs from a channel. When every fiber is parked it waits in the VM's
//!   event loop, where a [`Doorbell`] (an event source that always counts one waiter, so a session
//!   whose fibers all wait is never declared deadlocked) wakes it when input arrives.
//! - The **input thread** owns the rustyline editor ([`editor`]): it reads one complete input
//!   (multi-line while brackets are open), sends it, rings the doorbell, and waits for the VM
//!   thread to finish with it before prompting again.
//! - The **printer thread** ([`printer`]) shows every line — the program's stdout and stderr, values,
//!   reports — through rustyline's external printer, above the line being edited.
//!
//! How input is compiled and run is in [`session`], [`input`] and [`eval`]; the `:` commands in [`commands`]
//! and [`inspect`]; the short update report (shared with `newt run --watch`) in [`report`].

pub mod commands;
pub mod editor;
pub mod eval;
pub mod input;
pub mod inspect;
pub mod loader;
pub mod printer;
pub mod report;
pub mod session;
pub mod types;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, TryRecvError};
use std::sync::{Arc, Mutex};

pub use crate::doorbell::Doorbell;

/// Runs the REPL; returns the exit status.
pub fn run(file: Option<&str>) -> u8 {
    if let Some(f) = file {
        if !Path::new(f).is_file() {
            eprintln!("newt: cannot read '{f}': no such file");
            return crate::status::USAGE;
        }
    }
    // List completion (as bash does): circular completion waits for the next key before it
    // returns to the event loop, which would hold back the program's output meanwhile.
    let config =
        rustyline::Config::builder().auto_add_history(false).completion_type(rustyline::CompletionType::List).build();
    let mut editor = match rustyline::Editor::<editor::ReplHelper, rustyline::history::FileHistory>::with_config(config)
    {
        Ok(e) => e,
        Err(e) => {
            eprintln!("newt: cannot start the line editor: {e}");
            return crate::status::RUNTIME;
        }
    };
    let names = Arc::new(Mutex::new(editor::Names::default()));
    editor.set_helper(Some(editor::ReplHelper { names: names.clone() }));
    let external: Option<Box<dyn rustyline::ExternalPrinter + Send>> = match editor.create_external_printer() {
        Ok(p) => Some(Box::new(p)),
        Err(_) => None,
    };
    let (out, printer) = printer::start(external);
    let bell = Doorbell::default();
    // While a statement runs the terminal is not in raw mode, so Ctrl-C is a signal: it interrupts
    // the statement instead of ending the session. (At the prompt rustyline reads it as a key.)
    let interrupt = Arc::new(AtomicBool::new(false));
    let (flag, ring) = (interrupt.clone(), bell.clone());
    if let Err(e) = ctrlc::set_handler(move || {
        flag.store(true, Ordering::SeqCst);
        ring.ring();
    }) {
        eprintln!("newt: Ctrl-C will end the session while a statement runs: {e}");
    }
    let mut repl = match eval::Repl::start(file.map(Path::new), out.clone(), names, bell.clone(), interrupt) {
        Ok(r) => r,
        Err((msg, code)) => {
            drop(out);
            let _ = printer.join();
            eprint!("{msg}");
            return code;
        }
    };
    repl.say("Newt REPL: :help for commands, Ctrl-D to quit.");
    printer::sync(&out);
    let (to_vm, inputs) = channel();
    let (ack, acks) = channel();
    let input_bell = bell.clone();
    let input = std::thread::spawn(move || editor::input_loop(editor, to_vm, acks, input_bell));
    let code = loop {
        match inputs.try_recv() {
            Ok(editor::Input::Text(text)) => {
                let next = repl.handle(&text);
                repl.vm.flush_output();
                if let eval::Next::Exit(code) = next {
                    // Without its acknowledgement the input thread ends instead of prompting again.
                    drop(ack);
                    let _ = input.join();
                    break code;
                }
                // The answer is on the screen before the next prompt is drawn.
                printer::sync(&out);
                let _ = ack.send(());
                continue;
            }
            Ok(editor::Input::Quit) | Err(TryRecvError::Disconnected) => {
                let _ = input.join();
                break crate::status::OK;
            }
            Err(TryRecvError::Empty) => {}
        }
        // The program ended by itself while the prompt is shown. The editor owns the terminal
        // (raw mode) until its current line ends, so wait for that line before leaving.
        if let eval::Next::Exit(code) = repl.step() {
            repl.say("[press Enter to leave]");
            let _ = inputs.recv();
            drop(ack);
            let _ = input.join();
            break code;
        }
    };
    repl.vm.flush_output();
    drop(repl);
    drop(out);
    let _ = printer.join();
    code
}
