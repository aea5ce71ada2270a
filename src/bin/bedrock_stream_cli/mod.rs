//! The modules of the `bedrock-stream` command-line tool.

pub mod args;
pub mod chat;
pub mod converse;
pub mod decode;
pub mod emulator;
pub mod exit;
pub mod invoke;
pub mod output;
pub mod setup;
