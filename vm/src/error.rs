//! Runtime errors and the control-flow signals that built-ins and calls hand back to the
//! interpreter loop.
//!
//! Messages use the exact words of docs/errors.md (`integer overflow`, `division by zero`, ...);
//! the constructors below are the one place each wording is written.

use std::fmt;

/// A runtime error: it stops the fiber it happens in (language.md, "Errors").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtError {
    pub msg: String,
}

impl RtError {
    /// An error with this message.
    pub fn new(msg: impl Into<String>) -> RtError {
        RtError { msg: msg.into() }
    }

    pub fn overflow() -> RtError {
        RtError::new("integer overflow")
    }

    pub fn division_by_zero() -> RtError {
        RtError::new("division by zero")
    }

    /// `index out of range`, with the index and the length.
    pub fn index(i: i64, len: usize) -> RtError {
        RtError::new(format!("index out of range: {i} (length {len})"))
    }

    /// `key not found`, with the key as `str(k)` shows it inside a container.
    pub fn key(shown: &str) -> RtError {
        RtError::new(format!("key not found: {shown}"))
    }

    /// `cannot cast A to B`.
    pub fn cast(from: &str, to: &str) -> RtError {
        if from == "nil" {
            return RtError::new(format!("unwrapped nil: cannot cast nil to {to}"));
        }
        RtError::new(format!("cannot cast {from} to {to}"))
    }

    /// Using `nil` where an object is needed (a field access or call on nil).
    pub fn unwrapped_nil() -> RtError {
        RtError::new("unwrapped nil")
    }

    pub fn stack_overflow() -> RtError {
        RtError::new("stack overflow")
    }

    pub fn deadlock() -> RtError {
        RtError::new("deadlock")
    }

    pub fn send_on_closed() -> RtError {
        RtError::new("send on closed channel")
    }

    /// `global 'x' used before initialisation`.
    pub fn uninitialised_global(name: &str) -> RtError {
        RtError::new(format!("global '{name}' used before initialisation"))
    }

    /// A value of the wrong kind where compiled code expects `what` (nil: `unwrapped nil`; anything
    /// else cannot happen in checked code).
    pub fn expected(what: &str, found: &str) -> RtError {
        if found == "nil" {
            RtError::unwrapped_nil()
        } else {
            RtError::internal(format_args!("expected a {what}, found {found}"))
        }
    }

    /// Something the checker and the verifier should have made impossible; reported instead of
    /// crashing.
    pub fn internal(what: impl fmt::Display) -> RtError {
        RtError::new(format!("internal error: {what}"))
    }
}

impl fmt::Display for RtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl From<String> for RtError {
    fn from(msg: String) -> RtError {
        RtError { msg }
    }
}

/// Why a built-in or a call did not simply produce a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Ctl {
    /// A runtime error in the current fiber.
    Error(RtError),
    /// The current fiber parked (its wait reason is recorded); its result is pushed when it wakes.
    Park,
    /// `std.process.exit(code)`: the program ends now.
    Exit(i32),
}

impl From<RtError> for Ctl {
    fn from(e: RtError) -> Ctl {
        Ctl::Error(e)
    }
}

/// One line of a stack trace: `  at function (path:line)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceLine {
    pub function: String,
    pub path: String,
    pub line: u32,
}

impl fmt::Display for TraceLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "  at {} ({}:{})", self.function, self.path, self.line)
    }
}

/// A runtime error with the stack it stopped, innermost frame first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReport {
    pub error: RtError,
    pub trace: Vec<TraceLine>,
}

impl fmt::Display for ErrorReport {
    /// The stderr form of docs/errors.md: `error: message` then one `  at` line per frame.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.error)?;
        for t in &self.trace {
            writeln!(f, "{t}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_format_matches_errors_md() {
        let r = ErrorReport {
            error: RtError::division_by_zero(),
            trace: vec![
                TraceLine { function: "divide".into(), path: "t.newt".into(), line: 3 },
                TraceLine { function: "main".into(), path: "t.newt".into(), line: 7 },
            ],
        };
        assert_eq!(r.to_string(), "error: division by zero\n  at divide (t.newt:3)\n  at main (t.newt:7)\n");
    }

    #[test]
    fn cast_of_nil_mentions_unwrapped_nil() {
        assert_eq!(RtError::cast("int", "str").msg, "cannot cast int to str");
        assert!(RtError::cast("nil", "Product").msg.contains("unwrapped nil"));
        assert!(RtError::cast("nil", "Product").msg.contains("cannot cast nil to Product"));
    }
}
