//! The tokens the parser sees ([`Tok`]), and how they are described in error messages.

use super::raw::Raw;
use std::fmt;

/// A string literal token: its byte range in the source (quotes included) and context for parsing
/// its interpolations. Decoded by [`super::string::decode`] when the parser builds the literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrTok {
    pub start: u32,
    pub end: u32,
    /// False for an unterminated literal (already reported).
    pub closed: bool,
    /// Brackets open around the literal, so that interpolations respect the nesting limit.
    pub depth: u32,
}

/// A token as the grammar sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tok<'a> {
    /// Entry-point markers, emitted first by the lexer (see `Mode`).
    StartModule,
    StartScript,
    StartRepl,
    StartExpr,

    Ident(&'a str),
    /// An integer literal up to 2^63 (2^63 is only valid negated; the parser checks).
    Int(u64),
    Float(f64),
    Str(StrTok),
    /// A virtual `;` inserted at a newline.
    Newline,
    Semi,

    As,
    Break,
    Class,
    Const,
    Continue,
    Else,
    Extends,
    False,
    Fn,
    For,
    If,
    Import,
    In,
    Is,
    Let,
    Module,
    Nil,
    Return,
    SelfKw,
    Spawn,
    Super,
    True,
    Var,
    While,
    // Update-script keywords.
    Update,
    Migrate,
    Validate,
    Remap,
    Reboot,
    Lazy,
    Each,
    Old,

    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Dot,
    DotDot,
    Colon,
    ColonColon,
    Arrow,
    FatArrow,
    Question,
    QuestionQuestion,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Eq,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    AndAnd,
    OrOr,
    Bang,
    PlusEq,
    MinusEq,
    StarEq,
    SlashEq,
    PercentEq,
}

/// The parser token for a raw token that carries no data (keywords and punctuation).
pub(super) fn simple<'a>(raw: Raw) -> Option<Tok<'a>> {
    Some(match raw {
        Raw::As => Tok::As,
        Raw::Break => Tok::Break,
        Raw::Class => Tok::Class,
        Raw::Const => Tok::Const,
        Raw::Continue => Tok::Continue,
        Raw::Else => Tok::Else,
        Raw::Extends => Tok::Extends,
        Raw::False => Tok::False,
        Raw::Fn => Tok::Fn,
        Raw::For => Tok::For,
        Raw::If => Tok::If,
        Raw::Import => Tok::Import,
        Raw::In => Tok::In,
        Raw::Is => Tok::Is,
        Raw::Let => Tok::Let,
        Raw::Module => Tok::Module,
        Raw::Nil => Tok::Nil,
        Raw::Return => Tok::Return,
        Raw::SelfKw => Tok::SelfKw,
        Raw::Spawn => Tok::Spawn,
        Raw::Super => Tok::Super,
        Raw::True => Tok::True,
        Raw::Var => Tok::Var,
        Raw::While => Tok::While,
        Raw::LParen => Tok::LParen,
        Raw::RParen => Tok::RParen,
        Raw::LBracket => Tok::LBracket,
        Raw::RBracket => Tok::RBracket,
        Raw::LBrace => Tok::LBrace,
        Raw::RBrace => Tok::RBrace,
        Raw::Comma => Tok::Comma,
        Raw::Dot => Tok::Dot,
        Raw::DotDot => Tok::DotDot,
        Raw::Colon => Tok::Colon,
        Raw::ColonColon => Tok::ColonColon,
        Raw::Semi => Tok::Semi,
        Raw::Arrow => Tok::Arrow,
        Raw::FatArrow => Tok::FatArrow,
        Raw::Question => Tok::Question,
        Raw::QuestionQuestion => Tok::QuestionQuestion,
        Raw::Plus => Tok::Plus,
        Raw::Minus => Tok::Minus,
        Raw::Star => Tok::Star,
        Raw::Slash => Tok::Slash,
        Raw::Percent => Tok::Percent,
        Raw::Eq => Tok::Eq,
        Raw::EqEq => Tok::EqEq,
        Raw::NotEq => Tok::NotEq,
        Raw::Lt => Tok::Lt,
        Raw::Le => Tok::Le,
        Raw::Gt => Tok::Gt,
        Raw::Ge => Tok::Ge,
        Raw::AndAnd => Tok::AndAnd,
        Raw::OrOr => Tok::OrOr,
        Raw::Bang => Tok::Bang,
        Raw::PlusEq => Tok::PlusEq,
        Raw::MinusEq => Tok::MinusEq,
        Raw::StarEq => Tok::StarEq,
        Raw::SlashEq => Tok::SlashEq,
        Raw::PercentEq => Tok::PercentEq,
        Raw::Newline | Raw::LineComment | Raw::BlockComment(_) | Raw::Ident | Raw::Number(_) | Raw::Str(_) => {
            return None
        }
    })
}

impl Tok<'_> {
    /// Whether a newline right after this token ends the statement (Go's rule, see the module doc).
    pub fn ends_statement(&self) -> bool {
        matches!(
            self,
            Tok::Ident(_)
                | Tok::Int(_)
                | Tok::Float(_)
                | Tok::Str(_)
                | Tok::Return
                | Tok::Break
                | Tok::Continue
                | Tok::SelfKw
                | Tok::Nil
                | Tok::True
                | Tok::False
                | Tok::Old
                | Tok::RParen
                | Tok::RBracket
                | Tok::RBrace
                | Tok::Question
                | Tok::Gt
        )
    }

    /// The source spelling of keywords and punctuation; `None` for tokens that carry data.
    pub fn text(&self) -> Option<&'static str> {
        Some(match self {
            Tok::StartModule | Tok::StartScript | Tok::StartRepl | Tok::StartExpr => return None,
            Tok::Ident(_) | Tok::Int(_) | Tok::Float(_) | Tok::Str(_) | Tok::Newline => return None,
            Tok::Semi => ";",
            Tok::As => "as",
            Tok::Break => "break",
            Tok::Class => "class",
            Tok::Const => "const",
            Tok::Continue => "continue",
            Tok::Else => "else",
            Tok::Extends => "extends",
            Tok::False => "false",
            Tok::Fn => "fn",
            Tok::For => "for",
            Tok::If => "if",
            Tok::Import => "import",
            Tok::In => "in",
            Tok::Is => "is",
            Tok::Let => "let",
            Tok::Module => "module",
            Tok::Nil => "nil",
            Tok::Return => "return",
            Tok::SelfKw => "self",
            Tok::Spawn => "spawn",
            Tok::Super => "super",
            Tok::True => "true",
            Tok::Var => "var",
            Tok::While => "while",
            Tok::Update => "update",
            Tok::Migrate => "migrate",
            Tok::Validate => "validate",
            Tok::Remap => "remap",
            Tok::Reboot => "reboot",
            Tok::Lazy => "lazy",
            Tok::Each => "each",
            Tok::Old => "old",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::Comma => ",",
            Tok::Dot => ".",
            Tok::DotDot => "..",
            Tok::Colon => ":",
            Tok::ColonColon => "::",
            Tok::Arrow => "->",
            Tok::FatArrow => "=>",
            Tok::Question => "?",
            Tok::QuestionQuestion => "??",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Percent => "%",
            Tok::Eq => "=",
            Tok::EqEq => "==",
            Tok::NotEq => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::AndAnd => "&&",
            Tok::OrOr => "||",
            Tok::Bang => "!",
            Tok::PlusEq => "+=",
            Tok::MinusEq => "-=",
            Tok::StarEq => "*=",
            Tok::SlashEq => "/=",
            Tok::PercentEq => "%=",
        })
    }
}

/// How a token is named after `found` in a syntax error: `')'`, `'foo'`, `newline`, ...
impl fmt::Display for Tok<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(text) = self.text() {
            return write!(f, "'{text}'");
        }
        match self {
            Tok::Ident(name) => write!(f, "'{name}'"),
            Tok::Int(v) => write!(f, "'{v}'"),
            Tok::Float(v) => write!(f, "'{v:?}'"),
            Tok::Str(_) => write!(f, "string literal"),
            Tok::Newline => write!(f, "newline"),
            _ => write!(f, "start of input"),
        }
    }
}
