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
        Command::Chat(args) => chat::run(&args.client.or(&cli.client), args),
        Command::Converse(args) => converse::run(&args.client.or(&cli.client), args),
        Command::Invoke(args) => invoke::run(&args.client.or(&cli.client), args),
        Command::Decode(args) => {
            only_for_clients(&cli, "decode").unwrap_or_else(|| decode::run(args))
        }
        Command::Emulator(args) => {
            only_for_clients(&cli, "emulator").unwrap_or_else(|| emulator::run(args))
        }
    };
    ExitCode::from(code)
}

/// The client options are `chat`'s, `converse`'s and `invoke`'s: given before another command,
/// they are a usage error (exit 2) rather than silently ignored.
fn only_for_clients(cli: &Cli, command: &str) -> Option<u8> {
    let given = cli.client.given();
    if given.is_empty() {
        return None;
    }
    eprintln!(
        "bedrock-stream: `{command}` takes no client option ({}): those are for `chat`, \
         `converse` and `invoke` (see `bedrock-stream {command} --help`)",
        given.join(", "),
    );
    Some(bedrock_stream_cli::exit::USAGE)
}
