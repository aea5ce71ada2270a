//! `credential_process`: run a command that prints credentials as JSON (`Version: 1`).
//!
//! The command line is split like a POSIX shell would split words (quotes, backslashes; no
//! variables, globs or pipes) and run directly, as the AWS CLI does. Its standard output must be
//!
//! ```json
//! {"Version": 1, "AccessKeyId": "…", "SecretAccessKey": "…",
//!  "SessionToken": "…", "Expiration": "2030-01-01T00:00:00Z"}
//! ```
//!
//! (`SessionToken` and `Expiration` optional). A non-zero exit status, non-JSON output, another
//! `Version` or a missing key is an error; error messages never quote the output (it holds
//! secrets), only the first line of standard error.
//!
//! Bounds: the command must finish within [`DEFAULT_PROCESS_TIMEOUT`] (one minute, the AWS SDK
//! for Go's default; botocore and the other SDKs have none) and print at most
//! [`MAX_PROCESS_OUTPUT`] on standard output; it is killed (and reaped) when it runs over
//! either, and when the call that needs the credentials is cancelled or reaches its deadline.

use std::collections::VecDeque;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use zeroize::Zeroizing;

use super::{excerpt, time, Credentials, CredentialsContext, ProvideCredentials};
use crate::error::{Error, Result};
use crate::profile::{shlex_split, show_size};

/// How long a `credential_process` may run before it is killed: one minute, as in the AWS SDK
/// for Go (`processcreds.DefaultTimeout`).
pub const DEFAULT_PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

/// The most a `credential_process` may print on standard output (the JSON is a few KiB).
pub(crate) const MAX_PROCESS_OUTPUT: u64 = 1 << 20;

/// The part of standard error kept for the error message (the rest is read and dropped).
const MAX_STDERR_KEPT: u64 = 64 << 10;

/// How often the running command is checked for exit, cancel and time-outs.
const POLL: Duration = Duration::from_millis(10);

/// Credentials from an external command (`credential_process`).
///
/// The command runs at every call: wrap the provider in a
/// [`CachingProvider`](super::CachingProvider) when the command returns an `Expiration`. It is
/// killed when it runs longer than the timeout (default [`DEFAULT_PROCESS_TIMEOUT`]), prints
/// more than 1 MiB, or the call is cancelled or reaches its deadline.
#[derive(Debug, Clone)]
pub struct ProcessProvider {
    command: String,
    timeout: Duration,
}

impl ProcessProvider {
    /// A provider running `command` (for example `/usr/bin/broker --role x`).
    pub fn new(command: impl Into<String>) -> Self {
        ProcessProvider {
            command: command.into(),
            timeout: DEFAULT_PROCESS_TIMEOUT,
        }
    }

    /// How long the command may run before it is killed (default
    /// [`DEFAULT_PROCESS_TIMEOUT`]); `Duration::MAX` means no limit of its own.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl ProvideCredentials for ProcessProvider {
    fn provide_credentials(&self) -> Result<Credentials> {
        self.provide_credentials_with(&CredentialsContext::new())
    }

    fn provide_credentials_with(&self, ctx: &CredentialsContext) -> Result<Credentials> {
        run_credential_process(&self.command, self.timeout, ctx)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    version: Option<serde_json::Value>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
    expiration: Option<String>,
}

/// What the reader threads report.
enum Piece {
    Stdout(std::io::Result<Vec<u8>>),
    StdoutTooLong,
    Stderr(Vec<u8>),
}

/// Why the command was stopped.
enum Stop {
    Ctx(Error),
    Timeout,
    TooLong,
}

/// Run the command and parse its output. `timeout` bounds the run (besides `ctx`).
pub(crate) fn run_credential_process(
    command: &str,
    timeout: Duration,
    ctx: &CredentialsContext,
) -> Result<Credentials> {
    ctx.check()?;
    let argv = shlex_split(command)
        .ok_or_else(|| Error::credentials("credential_process has an unterminated quote"))?;
    let Some((program, args)) = argv.split_first() else {
        return Err(Error::credentials("credential_process is empty"));
    };
    let name = excerpt(program);
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            Error::credentials(format!(
                "credential_process `{name}` could not be started: {e}"
            ))
        })?;
    let inbox = Arc::new(Inbox::default());
    spawn_readers(&mut child, &inbox);
    let started = Instant::now();
    let mut status = None;
    let mut stdout: Option<Zeroizing<Vec<u8>>> = None;
    let mut stderr: Option<Vec<u8>> = None;
    let stop = loop {
        if status.is_none() {
            match child.try_wait() {
                Ok(s) => status = s,
                Err(e) => {
                    kill(&mut child);
                    return Err(Error::credentials(format!(
                        "credential_process `{name}` could not be waited for: {e}"
                    )));
                }
            }
        }
        if let (Some(_), Some(_), Some(_)) = (&status, &stdout, &stderr) {
            break None;
        }
        if let Err(e) = ctx.check() {
            break Some(Stop::Ctx(e));
        }
        if started.elapsed() >= timeout {
            break Some(Stop::Timeout);
        }
        // Sleep until a reader reports, or the next look at the child.
        match inbox.take(ctx.bound(POLL)) {
            Some(Piece::Stdout(Ok(out))) => stdout = Some(Zeroizing::new(out)),
            Some(Piece::Stdout(Err(e))) => {
                kill(&mut child);
                return Err(Error::credentials(format!(
                    "cannot read the output of credential_process `{name}`: {e}"
                )));
            }
            Some(Piece::StdoutTooLong) => break Some(Stop::TooLong),
            Some(Piece::Stderr(err)) => stderr = Some(err),
            None => {}
        }
    };
    if let Some(stop) = stop {
        // The command is killed; the reader threads end when the pipes close (they are not
        // waited for: a grandchild may hold a pipe open).
        kill(&mut child);
        return Err(match stop {
            Stop::Ctx(e) => e,
            Stop::Timeout => Error::credentials(format!(
                "credential_process `{name}` did not finish within {timeout:?} and was killed"
            )),
            Stop::TooLong => Error::credentials(format!(
                "credential_process `{name}` printed more than the {} limit on standard output \
                 and was killed",
                show_size(MAX_PROCESS_OUTPUT)
            )),
        });
    }
    let (Some(status), Some(out), Some(err)) = (status, stdout, stderr) else {
        unreachable!("the loop ends with all three");
    };
    if !status.success() {
        let stderr = String::from_utf8_lossy(&err);
        let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(Error::credentials(format!(
            "credential_process `{name}` failed ({status}){}",
            if first.is_empty() {
                String::new()
            } else {
                format!(": {}", excerpt(first))
            }
        )));
    }
    parse_output(&out)
        .map_err(|why| Error::credentials(format!("credential_process `{name}` printed {why}")))
}

/// Read standard output (at most [`MAX_PROCESS_OUTPUT`]) and standard error (the first
/// [`MAX_STDERR_KEPT`] kept) on two threads, each reporting once to `inbox`.
fn spawn_readers(child: &mut Child, inbox: &Arc<Inbox>) {
    if let Some(mut out) = child.stdout.take() {
        let tx = inbox.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let r = (&mut out)
                .take(MAX_PROCESS_OUTPUT + 1)
                .read_to_end(&mut buf);
            let piece = match r {
                Ok(_) if buf.len() as u64 > MAX_PROCESS_OUTPUT => {
                    zeroize::Zeroize::zeroize(&mut buf);
                    Piece::StdoutTooLong
                }
                Ok(_) => Piece::Stdout(Ok(buf)),
                Err(e) => {
                    zeroize::Zeroize::zeroize(&mut buf);
                    Piece::Stdout(Err(e))
                }
            };
            tx.put(piece);
        });
    }
    if let Some(mut err) = child.stderr.take() {
        let tx = inbox.clone();
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            let _ = (&mut err).take(MAX_STDERR_KEPT).read_to_end(&mut kept);
            // Drain the rest so the command never blocks writing to a full pipe.
            let _ = std::io::copy(&mut err, &mut std::io::sink());
            tx.put(Piece::Stderr(kept));
        });
    }
}

/// Where the reader threads leave their [`Piece`]s. A mutex and a condition variable rather
/// than a channel: a channel's blocking receive registers the *caller's* thread handle with std,
/// which a C program's main thread then keeps until exit (valgrind reports it as possibly lost).
#[derive(Default)]
struct Inbox {
    pieces: Mutex<VecDeque<Piece>>,
    ready: Condvar,
}

impl Inbox {
    fn put(&self, piece: Piece) {
        self.pieces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(piece);
        self.ready.notify_one();
    }

    /// The next piece, waiting at most `wait` for one.
    fn take(&self, wait: Duration) -> Option<Piece> {
        let guard = self.pieces.lock().unwrap_or_else(|e| e.into_inner());
        let (mut guard, _) = self
            .ready
            .wait_timeout_while(guard, wait, |q| q.is_empty())
            .unwrap_or_else(|e| e.into_inner());
        guard.pop_front()
    }
}

/// Kill the command and reap it (no zombie is left behind).
fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Parse the JSON; the error text says what is wrong without quoting the output.
pub(crate) fn parse_output(stdout: &[u8]) -> std::result::Result<Credentials, String> {
    let o: Output = serde_json::from_slice(stdout).map_err(|e| {
        format!(
            "output that is not the expected JSON object (at line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    match &o.version {
        Some(v) if v.as_u64() == Some(1) || v.as_str() == Some("1") => {}
        Some(_) => return Err("a `Version` other than 1".into()),
        None => return Err("JSON without `Version`".into()),
    }
    let id = o
        .access_key_id
        .filter(|s| !s.is_empty())
        .ok_or("JSON without `AccessKeyId`")?;
    let secret = o
        .secret_access_key
        .filter(|s| !s.is_empty())
        .ok_or("JSON without `SecretAccessKey`")?;
    let expiry = match o.expiration.as_deref() {
        None => None,
        Some(e) => {
            Some(time::parse_rfc3339(e).map_err(|e| format!("an `Expiration` that is {e}"))?)
        }
    };
    Ok(
        Credentials::new(id, secret, o.session_token.filter(|s| !s.is_empty()))
            .with_expiry(expiry)
            .with_provider_name("process"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_version_1() {
        let c = parse_output(
            br#"{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"SK","SessionToken":"ST","Expiration":"2030-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(c.access_key_id(), "AK");
        assert_eq!(c.session_token(), Some("ST"));
        assert!(c.expiry().is_some());
        let c =
            parse_output(br#"{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"SK"}"#).unwrap();
        assert_eq!(c.expiry(), None);
        assert_eq!(c.session_token(), None);
    }

    #[test]
    fn rejects_bad_output_without_echoing_it() {
        for out in [
            &br#"{"Version":2,"AccessKeyId":"AK","SecretAccessKey":"SECRETZ"}"#[..],
            br#"{"AccessKeyId":"AK","SecretAccessKey":"SECRETZ"}"#,
            br#"{"Version":1,"SecretAccessKey":"SECRETZ"}"#,
            br#"{"Version":1,"AccessKeyId":"AK"}"#,
            br#"{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"SECRETZ","Expiration":"tomorrow"}"#,
            b"SECRETZ not json",
            b"",
        ] {
            let e = parse_output(out).unwrap_err();
            assert!(!e.contains("SECRETZ"), "{e}");
        }
    }

    fn run(command: &str) -> Result<Credentials> {
        run_credential_process(command, DEFAULT_PROCESS_TIMEOUT, &CredentialsContext::new())
    }

    #[cfg(unix)]
    #[test]
    fn runs_the_command_and_reports_failures() {
        let c = run(
            r#"sh -c 'echo "{\"Version\": 1, \"AccessKeyId\": \"AKP\", \"SecretAccessKey\": \"SKP\"}"'"#,
        )
        .unwrap();
        assert_eq!(c.access_key_id(), "AKP");
        assert_eq!(c.provider_name(), "process");
        let e = run("sh -c 'echo SECRETOUT; echo broker down >&2; exit 3'").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("broker down") && !msg.contains("SECRETOUT"),
            "{msg}"
        );
        let e = run("/nonexistent/credential-helper").unwrap_err();
        assert!(e.to_string().contains("could not be started"), "{e}");
        assert!(run("  ").is_err());
        assert!(run("sh -c 'unterminated").is_err());
    }
}
