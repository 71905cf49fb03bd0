//! Command-line parsing. Hand-written because the grammar is tiny and has one unusual rule: newt's
//! own flags come before `FILE`, and everything after `FILE` belongs to the program.

/// Usage text printed by `newt help` (and bare `newt` when stdin is not a terminal) and on bad usage.
pub const USAGE: &str = "\
Newt: a statically typed language whose programs can be updated while they run.

usage:
  newt run FILE [ARGS...]             compile and run FILE's main
  newt run --control ADDR [--token-file P] [--control-public] FILE [ARGS...]
                                      ... and serve the control port on ADDR
  newt run --watch FILE [ARGS...]     ... and apply an update whenever a loaded source file changes
  newt repl [FILE]                    interactive session; FILE's main runs while the prompt is live
                                      (bare `newt` on a terminal starts it too)
  newt check FILE...                  type-check only, print all diagnostics
  newt dis FILE [--fn NAME]           print the bytecode listing
  newt update --connect ADDR [--token-file P] [--script S] [--timeout MS] [--dry-run] [--json] PATH...
                                      send new module sources to a running VM
  newt status --connect ADDR [--token-file P] [--json]
                                      modules, fibers and update history of a running VM
  newt diff OLD NEW [--script-out S] [--json]
                                      change set between two versions (files, or dirs with main.newt)
  newt help                           this text

exit status: 0 ok, 64 bad usage, 65 compile error, 70 runtime error in main;
  update/status: 1 aborted, rejected or bad request, 2 cannot connect or authenticate
";

/// A parsed command line.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `newt` alone or `newt help`.
    Help,
    Run {
        file: String,
        args: Vec<String>,
        /// `--control ADDR ...`: serve the control port.
        control: Option<crate::control::server::Options>,
        /// `--watch`: apply an update whenever a loaded source file changes.
        watch: bool,
    },
    /// `newt repl [FILE]` (and bare `newt` on a terminal).
    Repl {
        file: Option<String>,
    },
    /// `newt update --connect ...`.
    Update {
        target: crate::control::client::Target,
        script: Option<String>,
        timeout_ms: Option<u64>,
        dry_run: bool,
        json: bool,
        paths: Vec<String>,
    },
    /// `newt diff OLD NEW ...`.
    Diff {
        old: String,
        new: String,
        script_out: Option<String>,
        json: bool,
    },
    /// `newt status --connect ...`.
    Status {
        target: crate::control::client::Target,
        json: bool,
    },
    Check {
        files: Vec<String>,
    },
    Dis {
        file: String,
        function: Option<String>,
    },
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let Some((cmd, rest)) = args.split_first() else {
        use std::io::IsTerminal;
        return Ok(if std::io::stdin().is_terminal() { Command::Repl { file: None } } else { Command::Help });
    };
    match cmd.as_str() {
        "help" | "--help" | "-h" => Ok(Command::Help),
        "repl" => match rest {
            [] => Ok(Command::Repl { file: None }),
            [f] if !f.starts_with('-') => Ok(Command::Repl { file: Some(f.clone()) }),
            _ => Err("repl takes at most one FILE".into()),
        },
        "run" => parse_run(rest),
        "check" => {
            if rest.is_empty() {
                return Err("check needs at least one FILE".into());
            }
            if let Some(flag) = rest.iter().find(|a| a.starts_with('-')) {
                return Err(format!("unknown flag '{flag}' for check"));
            }
            Ok(Command::Check { files: rest.to_vec() })
        }
        "dis" => parse_dis(rest),
        "update" => parse_remote(rest, true),
        "status" => parse_remote(rest, false),
        "diff" => parse_diff(rest),
        other => Err(format!("unknown command '{other}'")),
    }
}

fn parse_run(mut rest: &[String]) -> Result<Command, String> {
    let (mut addr, mut token_file, mut public, mut watch) = (None, None, false, false);
    while let Some((flag, after)) = rest.split_first().filter(|(f, _)| f.starts_with('-')) {
        rest = after;
        match flag.as_str() {
            "--control-public" => public = true,
            "--watch" => watch = true,
            "--control" | "--token-file" => {
                let Some((value, after)) = rest.split_first() else { return Err(format!("{flag} needs a value")) };
                rest = after;
                if flag == "--control" {
                    addr = Some(value.clone());
                } else {
                    token_file = Some(std::path::PathBuf::from(value));
                }
            }
            f => return Err(format!("unknown flag '{f}' for run")),
        }
    }
    let Some((file, args)) = rest.split_first() else { return Err("run needs a FILE".into()) };
    let control = match addr {
        Some(addr) => Some(crate::control::server::Options { addr, token_file, public }),
        None if token_file.is_some() || public => return Err("--token-file and --control-public need --control".into()),
        None => None,
    };
    Ok(Command::Run { file: file.clone(), args: args.to_vec(), control, watch })
}

fn parse_diff(rest: &[String]) -> Result<Command, String> {
    let (mut script_out, mut json, mut trees) = (None, false, Vec::new());
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--script-out" => script_out = Some(it.next().cloned().ok_or("--script-out needs a FILE")?),
            "--json" => json = true,
            f if f.starts_with('-') => return Err(format!("unknown flag '{f}' for diff")),
            t => trees.push(t.to_string()),
        }
    }
    match <[String; 2]>::try_from(trees) {
        Ok([old, new]) => Ok(Command::Diff { old, new, script_out, json }),
        Err(_) => Err("diff needs OLD and NEW".into()),
    }
}

/// `update` (with `is_update`) and `status`: `--connect ADDR` and their flags, in any order.
fn parse_remote(rest: &[String], is_update: bool) -> Result<Command, String> {
    let cmd = if is_update { "update" } else { "status" };
    let (mut addr, mut token_file, mut script, mut timeout_ms) = (None, None, None, None);
    let (mut dry_run, mut json, mut paths) = (false, false, Vec::new());
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--connect" => addr = Some(value()?),
            "--token-file" => token_file = Some(std::path::PathBuf::from(value()?)),
            "--json" => json = true,
            "--script" if is_update => script = Some(value()?),
            "--timeout" if is_update => {
                let v = value()?;
                timeout_ms = Some(v.parse::<u64>().map_err(|_| format!("--timeout needs milliseconds, not '{v}'"))?);
            }
            "--dry-run" if is_update => dry_run = true,
            f if f.starts_with('-') => return Err(format!("unknown flag '{f}' for {cmd}")),
            p if is_update => paths.push(p.to_string()),
            p => return Err(format!("unexpected argument '{p}'")),
        }
    }
    let addr = addr.ok_or_else(|| format!("{cmd} needs --connect ADDR"))?;
    let target = crate::control::client::Target { addr, token_file };
    if !is_update {
        return Ok(Command::Status { target, json });
    }
    if paths.is_empty() {
        return Err("update needs at least one PATH".into());
    }
    Ok(Command::Update { target, script, timeout_ms, dry_run, json, paths })
}

fn parse_dis(rest: &[String]) -> Result<Command, String> {
    let mut file = None;
    let mut function = None;
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--fn" => match it.next() {
                Some(name) => function = Some(name.clone()),
                None => return Err("--fn needs a NAME".into()),
            },
            f if f.starts_with('-') => return Err(format!("unknown flag '{f}' for dis")),
            f if file.is_none() => file = Some(f.to_string()),
            f => return Err(format!("unexpected argument '{f}'")),
        }
    }
    let file = file.ok_or("dis needs a FILE")?;
    Ok(Command::Dis { file, function })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Command, String> {
        parse(&s.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn program_arguments_follow_the_file() {
        assert_eq!(
            p("run a.newt --fn x y"),
            Ok(Command::Run {
                file: "a.newt".into(),
                args: vec!["--fn".into(), "x".into(), "y".into()],
                control: None,
                watch: false
            })
        );
        assert!(p("run --bogus a.newt").is_err());
        let Ok(Command::Run { control: Some(c), file, .. }) = p("run --control 127.0.0.1:0 --control-public a.newt x")
        else {
            panic!("--control not parsed")
        };
        assert_eq!((c.addr.as_str(), c.public, file.as_str()), ("127.0.0.1:0", true, "a.newt"));
        assert!(p("run --control").is_err());
        assert!(p("run --token-file t a.newt").is_err());
        assert!(p("run").is_err());
    }

    #[test]
    fn dis_and_check() {
        assert_eq!(
            p("dis a.newt --fn main"),
            Ok(Command::Dis { file: "a.newt".into(), function: Some("main".into()) })
        );
        assert!(p("dis").is_err());
        assert!(p("check").is_err());
        assert_eq!(p("help"), Ok(Command::Help));
        assert!(p("frobnicate").is_err());
    }

    #[test]
    fn repl_and_watch() {
        assert_eq!(p("repl"), Ok(Command::Repl { file: None }));
        assert_eq!(p("repl a.newt"), Ok(Command::Repl { file: Some("a.newt".into()) }));
        assert!(p("repl a.newt b.newt").is_err());
        assert!(p("repl --x").is_err());
        assert!(matches!(p("run --watch a.newt x"), Ok(Command::Run { watch: true, ref args, .. }) if args == &["x"]));
        assert!(matches!(
            p("run --watch --control 127.0.0.1:0 a.newt"),
            Ok(Command::Run { watch: true, control: Some(_), .. })
        ));
    }

    #[test]
    fn update_and_status() {
        let Ok(Command::Update { target, timeout_ms, dry_run, paths, .. }) =
            p("update --connect h:1 --timeout 50 --dry-run a.newt dir")
        else {
            panic!("update not parsed")
        };
        assert_eq!((target.addr.as_str(), timeout_ms, dry_run), ("h:1", Some(50), true));
        assert_eq!(paths, vec!["a.newt".to_string(), "dir".to_string()]);
        assert!(p("update --connect h:1").is_err());
        assert!(p("update a.newt").is_err());
        assert!(p("update --connect h:1 --timeout x a.newt").is_err());
        assert!(matches!(p("status --connect h:1 --json"), Ok(Command::Status { json: true, .. })));
        assert!(p("status --connect h:1 --dry-run").is_err());
    }
}
