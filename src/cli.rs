//! Command-line parsing. Hand-written because the grammar is tiny and has one unusual rule: newt's
//! own flags come before `FILE`, and everything after `FILE` belongs to the program.

/// Usage text printed by bare `newt` and on bad usage.
pub const USAGE: &str = "\
Newt: a statically typed language whose programs can be updated while they run.

usage:
  newt run FILE [ARGS...]             compile and run FILE's main
  newt check FILE...                  type-check only, print all diagnostics
  newt dis FILE [--fn NAME]           print the bytecode listing
  newt help                           this text

exit status: 0 ok, 64 bad usage, 65 compile error, 70 runtime error in main
";

/// A parsed command line.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `newt` alone or `newt help`.
    Help,
    Run {
        file: String,
        args: Vec<String>,
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
    let Some((cmd, rest)) = args.split_first() else { return Ok(Command::Help) };
    match cmd.as_str() {
        "help" | "--help" | "-h" => Ok(Command::Help),
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
        other => Err(format!("unknown command '{other}'")),
    }
}

fn parse_run(rest: &[String]) -> Result<Command, String> {
    let Some((file, args)) = rest.split_first() else { return Err("run needs a FILE".into()) };
    if file.starts_with('-') {
        return Err(format!("unknown flag '{file}' for run"));
    }
    Ok(Command::Run { file: file.clone(), args: args.to_vec() })
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
            Ok(Command::Run { file: "a.newt".into(), args: vec!["--fn".into(), "x".into(), "y".into()] })
        );
        assert!(p("run --bogus a.newt").is_err());
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
        assert_eq!(p(""), Ok(Command::Help));
        assert!(p("frobnicate").is_err());
    }
}
