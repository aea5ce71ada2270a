//! Exit codes, one per error class (documented in `bedrock-stream --help`).

use bedrock_stream::ErrorClass;

/// Success.
pub const OK: u8 = 0;
/// The tool's own input or output failed: an unreadable capture, a closed stdout, an emulator
/// that could not start.
pub const LOCAL_IO: u8 = 1;
/// Invalid command line (clap uses 2 as well).
pub const USAGE: u8 = 2;
/// Refused before sending: invalid input, configuration or credentials.
pub const CLIENT: u8 = 3;
/// The service answered with an HTTP error before the stream started.
pub const SERVICE: u8 = 4;
/// An exception or error message arrived inside the stream.
pub const STREAM: u8 = 5;
/// The bytes are not a valid event stream.
pub const PROTOCOL: u8 = 6;
/// Connecting, TLS, DNS or the connection failed.
pub const TRANSPORT: u8 = 7;
/// A timer fired.
pub const TIMEOUT: u8 = 8;
/// Interrupted by Ctrl-C (SIGINT): 128 + 2, as shells report a process SIGINT ended.
pub const INTERRUPTED: u8 = 130;

/// The exit code of an error class.
pub fn of_class(class: ErrorClass) -> u8 {
    match class {
        ErrorClass::Service => SERVICE,
        ErrorClass::Stream => STREAM,
        ErrorClass::Protocol => PROTOCOL,
        ErrorClass::Transport => TRANSPORT,
        ErrorClass::Timeout => TIMEOUT,
        ErrorClass::Client => CLIENT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_its_own_code() {
        let classes = [
            ErrorClass::Service,
            ErrorClass::Stream,
            ErrorClass::Protocol,
            ErrorClass::Transport,
            ErrorClass::Timeout,
            ErrorClass::Client,
        ];
        let mut codes: Vec<u8> = classes.iter().map(|c| of_class(*c)).collect();
        codes.extend([OK, LOCAL_IO, USAGE, INTERRUPTED]);
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n, "exit codes must be distinct");
    }
}
