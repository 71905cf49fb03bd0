//! The REPL's `:` commands (tools.md, "REPL"): their names for completion, their parser, and the
//! help text.

/// Every command name, for completion and `:help`.
pub const COMMANDS: &[&str] =
    &[":load", ":reload", ":update", ":fibers", ":stack", ":type", ":dis", ":history", ":help", ":quit"];

/// The text `:help` prints.
pub const HELP: &str = "\
Enter declarations (fn, class, var, const, import), statements and expressions; an expression's
value is printed with its type. Input continues while brackets are open. Ctrl-C clears the line,
Ctrl-D quits. Tab completes names and commands.

  :load FILE                    load a module; if it is already loaded, update it live
  :reload                       update every loaded module whose file changed
  :update PATH... [--script S]  apply an update (files or directories) with an update script
  :fibers                       list fibers
  :stack N                      show fiber N's frames and locals
  :type EXPR                    show an expression's type
  :dis NAME                     disassemble a function (shop.report, Product.order, f)
  :history                      updates applied so far, with their reports
  :help                         this text
  :quit                         leave (Ctrl-D too)";

/// A parsed `:` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Load(String),
    Reload,
    Update { paths: Vec<String>, script: Option<String> },
    Fibers,
    Stack(u32),
    Type(String),
    Dis(String),
    History,
    Help,
    Quit,
}

/// Parses `text` when it is a command: `Ok(None)` for ordinary input, `Err` with a message for a
/// malformed or unknown command.
pub fn parse(text: &str) -> Result<Option<Command>, String> {
    let text = text.trim();
    let Some(body) = text.strip_prefix(':') else { return Ok(None) };
    let (name, rest) = match body.find(char::is_whitespace) {
        Some(i) => (&body[..i], body[i..].trim()),
        None => (body, ""),
    };
    let words: Vec<&str> = rest.split_whitespace().collect();
    let no_args = |cmd: Command| if rest.is_empty() { Ok(cmd) } else { Err(format!(":{name} takes no arguments")) };
    let cmd = match name {
        "load" | "l" => match words.as_slice() {
            [file] => Command::Load(file.to_string()),
            _ => return Err(":load needs one FILE".into()),
        },
        "reload" | "r" => no_args(Command::Reload)?,
        "update" => {
            let (mut paths, mut script) = (Vec::new(), None);
            let mut it = words.iter();
            while let Some(w) = it.next() {
                match *w {
                    "--script" => match it.next() {
                        Some(s) => script = Some(s.to_string()),
                        None => return Err("--script needs a FILE".into()),
                    },
                    f if f.starts_with("--") => return Err(format!("unknown flag '{f}' for :update")),
                    p => paths.push(p.to_string()),
                }
            }
            if paths.is_empty() {
                return Err(":update needs at least one PATH".into());
            }
            Command::Update { paths, script }
        }
        "fibers" => no_args(Command::Fibers)?,
        "stack" => match words.as_slice() {
            [n] => Command::Stack(n.parse().map_err(|_| format!(":stack needs a fiber number, not '{n}'"))?),
            _ => return Err(":stack needs a fiber number (see :fibers)".into()),
        },
        "type" | "t" if !rest.is_empty() => Command::Type(rest.to_string()),
        "type" | "t" => return Err(":type needs an expression".into()),
        "dis" => match words.as_slice() {
            [f] => Command::Dis(f.to_string()),
            _ => return Err(":dis needs one function NAME".into()),
        },
        "history" => no_args(Command::History)?,
        "help" | "h" | "?" => Command::Help,
        "quit" | "q" | "exit" => Command::Quit,
        other => return Err(format!("unknown command ':{other}' (:help lists them)")),
    };
    Ok(Some(cmd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse() {
        assert_eq!(parse("1 + 2"), Ok(None));
        assert_eq!(parse(":load shop.newt"), Ok(Some(Command::Load("shop.newt".into()))));
        assert_eq!(parse("  :reload  "), Ok(Some(Command::Reload)));
        assert_eq!(
            parse(":update a.newt dir --script s.newt"),
            Ok(Some(Command::Update { paths: vec!["a.newt".into(), "dir".into()], script: Some("s.newt".into()) }))
        );
        assert_eq!(parse(":stack 3"), Ok(Some(Command::Stack(3))));
        assert_eq!(parse(":type xs.len() + 1"), Ok(Some(Command::Type("xs.len() + 1".into()))));
        assert_eq!(parse(":dis shop.report"), Ok(Some(Command::Dis("shop.report".into()))));
        assert_eq!(parse(":q"), Ok(Some(Command::Quit)));
        assert_eq!(parse(":fibers"), Ok(Some(Command::Fibers)));
        assert_eq!(parse(":history"), Ok(Some(Command::History)));
        assert_eq!(parse(":help"), Ok(Some(Command::Help)));
    }

    #[test]
    fn malformed_commands_are_errors() {
        for bad in [
            ":load",
            ":load a b",
            ":reload x",
            ":update",
            ":update a --script",
            ":update --x a",
            ":stack",
            ":stack x",
            ":type",
            ":dis",
            ":frob",
            ":fibers 2",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_command_is_in_the_help() {
        for c in COMMANDS {
            assert!(HELP.contains(c), "{c}");
        }
    }
}
