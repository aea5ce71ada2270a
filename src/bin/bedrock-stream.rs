//! `bedrock-stream`: stream Amazon Bedrock Runtime `InvokeModelWithResponseStream` from the
//! command line, decode captured event streams, and run the local emulator.
//!
//! Run `bedrock-stream --help` (and `bedrock-stream <command> --help`) for the reference; the
//! exit codes are listed in `bedrock_stream_cli/exit.rs` and in `--help`.

mod bedrock_stream_cli;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use bedrock_stream_cli::args::{Cli, Command};
use bedrock_stream_cli::{chat, converse, decode, emulator, invoke};

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let code = match &cli.command {
        Command::Chat(args) => chat::run(&cli.global, args),
        Command::Converse(args) => converse::run(&cli.global, args),
        Command::Invoke(args) => invoke::run(&cli.global, args),
        Command::Decode(args) => decode::run(args),
        Command::Emulator(args) => emulator::run(&cli.global, args),
    };
    ExitCode::from(code)
}
