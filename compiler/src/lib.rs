//! The Newt front end: source text to a checked program ([`hir::Program`]) to bytecode
//! ([`bytecode::Image`]).
//!
//! Pipeline: [`lexer`] (logos) → [`parse`] (lalrpop, AST in a bumpalo arena) → [`check`] (name
//! resolution, type checking, module loading; produces HIR) → [`codegen`] (HIR to bytecode) →
//! [`dis`] (listing). [`builtins`] is the one table of built-in functions; [`bytecode::op`] the one
//! opcode table.

pub mod ast;
pub mod builtins;
pub mod bytecode;
pub mod check;
pub mod codegen;
pub mod diag;
pub mod dis;
pub mod hir;
pub mod lexer;
pub mod loader;
pub mod parse;
pub mod types;

pub use diag::{Diagnostic, SourceMap, Span};
