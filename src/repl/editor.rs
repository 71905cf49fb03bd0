//! The line editor side of the REPL: a rustyline helper (multi-line input while brackets are open,
//! tab completion of names in scope and of `:` commands) and the input thread that owns the editor.
//!
//! The input thread reads one complete input at a time, sends it to the VM thread, rings the
//! doorbell (so a VM waiting for timers or sockets wakes up at once), and waits for the VM thread's
//! acknowledgement before showing the next prompt: program output keeps flowing above the prompt
//! through rustyline's external printer meanwhile.

use super::commands::COMMANDS;
use super::Doorbell;
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::FileHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Editor, Helper};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

/// The prompt of a fresh input.
pub const PROMPT: &str = "newt> ";
/// The prompt of a continuation line (brackets still open).
pub const MORE: &str = "  ... ";

/// What the input thread sends to the VM thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// One complete input (possibly several lines).
    Text(String),
    /// Ctrl-D, `:quit`, or the end of a non-terminal stdin.
    Quit,
}

/// Names the completer offers, refreshed by the VM thread after every input.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Names usable on their own: REPL definitions, imported modules, prelude functions.
    pub top: Vec<String>,
    /// For a module binding (`shop`), the names after `shop.`.
    pub members: BTreeMap<String, Vec<String>>,
}

impl Names {
    /// Completions of the word that ends at `pos` in `line`: its start and the candidates.
    pub fn complete(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = line.get(..pos).unwrap_or(line);
        if let Some(rest) = before.strip_prefix(':') {
            if !rest.contains(char::is_whitespace) {
                let found = COMMANDS.iter().filter(|c| c.starts_with(before)).map(|c| c.to_string()).collect();
                return (0, found);
            }
        }
        let start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
            .last()
            .map_or(pos, |(i, _)| i);
        let word = &before[start..];
        let (prefix, partial, candidates) = match word.rfind('.') {
            Some(dot) => {
                let Some(members) = self.members.get(&word[..dot]) else { return (pos, Vec::new()) };
                (&word[..=dot], &word[dot + 1..], members)
            }
            None => ("", word, &self.top),
        };
        let mut found: Vec<String> =
            candidates.iter().filter(|n| n.starts_with(partial)).map(|n| format!("{prefix}{n}")).collect();
        found.sort();
        found.dedup();
        (start, found)
    }
}

/// The rustyline helper: validation and completion.
pub struct ReplHelper {
    pub names: Arc<Mutex<Names>>,
}

/// True when `text` needs more lines before it can be evaluated (an open bracket, string or
/// comment). Commands (`:...`) are always complete.
pub fn is_incomplete(text: &str) -> bool {
    let t = text.trim_start();
    if t.is_empty() || t.starts_with(':') {
        return false;
    }
    let arena = bumpalo::Bump::new();
    newt_compiler::parse::parse_repl_input(&arena, newt_compiler::diag::FileId(0), text).incomplete
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if is_incomplete(ctx.input()) { ValidationResult::Incomplete } else { ValidationResult::Valid(None) })
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, found) = match self.names.lock() {
            Ok(names) => names.complete(line, pos),
            Err(_) => (pos, Vec::new()),
        };
        Ok((start, found.into_iter().map(|s| Pair { display: s.clone(), replacement: s }).collect()))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {}

impl Helper for ReplHelper {}

/// Where history is kept: `$NEWT_HISTORY`, else `$HOME/.newt/repl_history`.
pub fn history_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NEWT_HISTORY").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".newt").join("repl_history"))
}

/// The input thread's body: read, send, wait for the VM thread, repeat until Ctrl-D or `:quit`.
pub fn input_loop(
    mut editor: Editor<ReplHelper, FileHistory>,
    to_vm: Sender<Input>,
    acks: Receiver<()>,
    bell: Doorbell,
) {
    let history = history_path();
    if let Some(p) = &history {
        // A missing history file is the normal first run.
        let _ = editor.load_history(p);
    }
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() { PROMPT } else { MORE };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            // Ctrl-C clears the line being edited (and any unfinished input).
            Err(ReadlineError::Interrupted) => {
                pending.clear();
                continue;
            }
            Err(_) => break,
        };
        if pending.is_empty() && line.trim().is_empty() {
            // Sent all the same: the VM thread may be waiting for any line (the program ended).
            if to_vm.send(Input::Text(String::new())).is_err() {
                break;
            }
            bell.ring();
            if acks.recv().is_err() {
                return;
            }
            continue;
        }
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(&line);
        // A terminal's validator already waited for the brackets to close; piped input did not.
        if is_incomplete(&pending) {
            continue;
        }
        let text = std::mem::take(&mut pending);
        let _ = editor.add_history_entry(text.as_str());
        if let Some(p) = &history {
            if let Some(dir) = p.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = editor.save_history(p);
        }
        let quit = matches!(super::commands::parse(&text), Ok(Some(super::commands::Command::Quit)));
        if quit || to_vm.send(Input::Text(text)).is_err() {
            break;
        }
        bell.ring();
        if acks.recv().is_err() {
            return;
        }
    }
    let _ = to_vm.send(Input::Quit);
    bell.ring();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        let mut n = Names { top: vec!["shop".into(), "show".into(), "print".into()], ..Names::default() };
        n.members.insert("shop".into(), vec!["report".into(), "Product".into(), "products".into()]);
        n
    }

    #[test]
    fn completes_names_members_and_commands() {
        let n = names();
        assert_eq!(n.complete("sh", 2), (0, vec!["shop".to_string(), "show".to_string()]));
        assert_eq!(n.complete("x + pr", 6), (4, vec!["print".to_string()]));
        assert_eq!(n.complete("shop.pro", 8), (0, vec!["shop.products".to_string()]));
        assert_eq!(n.complete("shop.P", 6), (0, vec!["shop.Product".to_string()]));
        assert_eq!(n.complete("nope.x", 6).1, Vec::<String>::new());
        assert_eq!(n.complete(":re", 3), (0, vec![":reload".to_string()]));
        assert_eq!(n.complete(":q", 2), (0, vec![":quit".to_string()]));
        // After a command's name, words are not commands.
        assert!(n.complete(":load sh", 8).1.iter().all(|c| !c.starts_with(':')));
    }

    #[test]
    fn brackets_keep_the_input_open() {
        assert!(is_incomplete("fn f() {"));
        assert!(is_incomplete("let xs = [1,\n2,"));
        assert!(!is_incomplete("fn f() {\n}"));
        assert!(!is_incomplete(":load x.newt"));
        assert!(!is_incomplete("1 + 2"));
        assert!(!is_incomplete("let x = )"));
    }
}
