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

use std::process::{Command, Stdio};

use serde::Deserialize;

use super::{excerpt, time, Credentials, ProvideCredentials};
use crate::error::{Error, Result};
use crate::profile::shlex_split;

/// Credentials from an external command (`credential_process`).
///
/// The command runs at every call and blocks until it exits (there is no timeout, as in the AWS
/// SDKs); wrap the provider in a [`CachingProvider`](super::CachingProvider) when the command
/// returns an `Expiration`.
#[derive(Debug, Clone)]
pub struct ProcessProvider {
    command: String,
}

impl ProcessProvider {
    /// A provider running `command` (for example `/usr/bin/broker --role x`).
    pub fn new(command: impl Into<String>) -> Self {
        ProcessProvider {
            command: command.into(),
        }
    }
}

impl ProvideCredentials for ProcessProvider {
    fn provide_credentials(&self) -> Result<Credentials> {
        run_credential_process(&self.command)
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

/// Run the command and parse its output.
pub(crate) fn run_credential_process(command: &str) -> Result<Credentials> {
    let argv = shlex_split(command)
        .ok_or_else(|| Error::credentials("credential_process has an unterminated quote"))?;
    let Some((program, args)) = argv.split_first() else {
        return Err(Error::credentials("credential_process is empty"));
    };
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| {
            Error::credentials(format!(
                "credential_process `{}` could not be started: {e}",
                excerpt(program)
            ))
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(Error::credentials(format!(
            "credential_process `{}` failed ({}){}",
            excerpt(program),
            out.status,
            if first.is_empty() {
                String::new()
            } else {
                format!(": {}", excerpt(first))
            }
        )));
    }
    parse_output(&out.stdout).map_err(|why| {
        Error::credentials(format!(
            "credential_process `{}` printed {why}",
            excerpt(program)
        ))
    })
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
            Some(time::parse_rfc3339(e).ok_or("an `Expiration` that is not an RFC 3339 time")?)
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

    #[cfg(unix)]
    #[test]
    fn runs_the_command_and_reports_failures() {
        let c = run_credential_process(
            r#"sh -c 'echo "{\"Version\": 1, \"AccessKeyId\": \"AKP\", \"SecretAccessKey\": \"SKP\"}"'"#,
        )
        .unwrap();
        assert_eq!(c.access_key_id(), "AKP");
        assert_eq!(c.provider_name(), "process");
        let e = run_credential_process("sh -c 'echo SECRETOUT; echo broker down >&2; exit 3'")
            .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("broker down") && !msg.contains("SECRETOUT"),
            "{msg}"
        );
        let e = run_credential_process("/nonexistent/credential-helper").unwrap_err();
        assert!(e.to_string().contains("could not be started"), "{e}");
        assert!(run_credential_process("  ").is_err());
        assert!(run_credential_process("sh -c 'unterminated").is_err());
    }
}
