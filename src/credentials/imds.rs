//! EC2 instance metadata (IMDS) role credentials.
//!
//! IMDSv2: `PUT /latest/api/token` (TTL 6 h) → `GET /latest/meta-data/iam/security-credentials/`
//! (the role name) → `GET …/security-credentials/{role}` (JSON), each with the session token.
//! Falls back to IMDSv1 (no token) exactly where botocore does: when the token `PUT` answers 403,
//! 404 or 405, or times out while reading the answer, unless `AWS_EC2_METADATA_V1_DISABLED` /
//! profile `ec2_metadata_v1_disabled` is `true`.
//!
//! Settings: `AWS_EC2_METADATA_DISABLED=true` turns it off; the endpoint is
//! `AWS_EC2_METADATA_SERVICE_ENDPOINT` > profile `ec2_metadata_service_endpoint` > the mode
//! (`AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE` / profile `ec2_metadata_service_endpoint_mode`:
//! `IPv4` → `http://169.254.169.254`, `IPv6` → `http://[fd00:ec2::254]`). Timeouts: 1 s to
//! connect and 1 s per request (`AWS_METADATA_SERVICE_TIMEOUT`), 2 attempts
//! (`AWS_METADATA_SERVICE_NUM_ATTEMPTS`); no proxy. An unreachable IMDS or an instance without
//! a role means "not available" (the end of the chain), a malformed answer is an error.

use std::time::Duration;

use zeroize::Zeroizing;

use super::http::{HttpClient, HttpResponse, HttpSettings};
use super::{
    excerpt, Credentials, CredentialsContext, EndpointCredentials, Loaded, ProvideCredentials,
    ProviderConfig,
};
use crate::error::{Error, ErrorKind, Result, Timer};
use crate::profile::parse_bool;

const TOKEN_TTL: &str = "21600";
const CREDS_PATH: &str = "/latest/meta-data/iam/security-credentials/";

/// Credentials of the EC2 instance's IAM role, through IMDSv2.
#[derive(Debug, Clone)]
pub struct ImdsProvider {
    cfg: ProviderConfig,
}

impl Default for ImdsProvider {
    fn default() -> Self {
        ImdsProvider::new()
    }
}

/// Resolved IMDS settings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ImdsSettings {
    pub(crate) endpoint: String,
    pub(crate) timeout: Duration,
    pub(crate) attempts: u32,
    pub(crate) v1_disabled: bool,
}

impl ImdsProvider {
    /// Reads the settings at each call.
    pub fn new() -> Self {
        ImdsProvider {
            cfg: ProviderConfig::default(),
        }
    }

    pub(crate) fn with_config(mut self, cfg: ProviderConfig) -> Self {
        self.cfg = cfg;
        self
    }

    /// `Ok(None)` when disabled.
    pub(crate) fn settings(&self) -> Result<Option<ImdsSettings>> {
        let env = &self.cfg.env;
        if let Some(v) = env.get("AWS_EC2_METADATA_DISABLED") {
            if v.eq_ignore_ascii_case("true") {
                return Ok(None);
            }
        }
        let profiles = self.cfg.profiles()?;
        let endpoint = match env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT").or_else(|| {
            profiles
                .get("ec2_metadata_service_endpoint")
                .map(str::to_string)
        }) {
            Some(e) => crate::endpoint::validate_endpoint_url(&e).map_err(|err| {
                Error::config(format!("the IMDS endpoint is invalid: {}", err.message()))
            })?,
            None => {
                let mode = env
                    .get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")
                    .or_else(|| {
                        profiles
                            .get("ec2_metadata_service_endpoint_mode")
                            .map(str::to_string)
                    })
                    .unwrap_or_else(|| "IPv4".into());
                if mode.eq_ignore_ascii_case("ipv4") {
                    "http://169.254.169.254".into()
                } else if mode.eq_ignore_ascii_case("ipv6") {
                    "http://[fd00:ec2::254]".into()
                } else {
                    return Err(Error::config(format!(
                        "the IMDS endpoint mode must be IPv4 or IPv6, not `{}`",
                        excerpt(&mode)
                    )));
                }
            }
        };
        let timeout =
            match env.get("AWS_METADATA_SERVICE_TIMEOUT") {
                None => Duration::from_secs(1),
                Some(v) => match v.parse::<f64>() {
                    Ok(s) if s > 0.0 && s <= 300.0 => Duration::from_secs_f64(s),
                    _ => return Err(Error::config(
                        "AWS_METADATA_SERVICE_TIMEOUT must be a number of seconds (0 < t <= 300)",
                    )),
                },
            };
        let attempts = match env.get("AWS_METADATA_SERVICE_NUM_ATTEMPTS") {
            None => 2,
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (1..=10).contains(&n) => n,
                _ => {
                    return Err(Error::config(
                        "AWS_METADATA_SERVICE_NUM_ATTEMPTS must be a number from 1 to 10",
                    ))
                }
            },
        };
        let v1_disabled = match env.get("AWS_EC2_METADATA_V1_DISABLED") {
            Some(v) => parse_bool("AWS_EC2_METADATA_V1_DISABLED", &v)?,
            None => match profiles.get("ec2_metadata_v1_disabled") {
                Some(v) => parse_bool("profile `ec2_metadata_v1_disabled`", v)?,
                None => false,
            },
        };
        Ok(Some(ImdsSettings {
            endpoint,
            timeout,
            attempts,
            v1_disabled,
        }))
    }

    pub(crate) fn load(&self, ctx: &CredentialsContext) -> Result<Loaded> {
        let Some(s) = self.settings()? else {
            return Ok(Loaded::NotConfigured(
                "IMDS is disabled (AWS_EC2_METADATA_DISABLED)".into(),
            ));
        };
        let http = HttpClient::new(HttpSettings::local(s.timeout, s.timeout * 2));
        let token = match fetch_token(ctx, &http, &s)? {
            TokenOutcome::Token(t) => Some(t),
            TokenOutcome::FallBackToV1 => None,
            TokenOutcome::Unreachable(why) => {
                return Ok(Loaded::NotConfigured(format!(
                    "no instance metadata service at {} ({why})",
                    s.endpoint
                )))
            }
        };
        let headers: Vec<(&str, &str)> = match &token {
            Some(t) => vec![("x-aws-ec2-metadata-token", t.as_str())],
            None => vec![],
        };
        let list_url = format!("{}{CREDS_PATH}", s.endpoint);
        let r = get_with_retries(ctx, &http, &s, &list_url, &headers)?;
        let r = match r {
            Some(r) => r,
            None => {
                return Ok(Loaded::NotConfigured(format!(
                    "no instance metadata service at {}",
                    s.endpoint
                )))
            }
        };
        if r.status == 404 {
            return Ok(Loaded::NotConfigured(
                "the EC2 instance has no IAM role attached".into(),
            ));
        }
        if !r.is_success() {
            return Err(Error::credentials(format!(
                "IMDS answered HTTP {} when asked for the instance's role",
                r.status
            ))
            .with_http_status(r.status));
        }
        let text = r.text();
        let role = text.lines().map(str::trim).find(|l| !l.is_empty());
        let Some(role) = role else {
            return Ok(Loaded::NotConfigured(
                "the EC2 instance has no IAM role attached".into(),
            ));
        };
        if role.contains(['/', '?', '#']) || role.chars().any(|c| c.is_control()) {
            return Err(Error::credentials("IMDS returned an invalid role name"));
        }
        let url = format!("{list_url}{role}");
        let r = get_with_retries(ctx, &http, &s, &url, &headers)?.ok_or_else(|| {
            Error::credentials("IMDS stopped answering while fetching the role's credentials")
        })?;
        if !r.is_success() {
            return Err(Error::credentials(format!(
                "IMDS answered HTTP {} for the credentials of role {}",
                r.status,
                excerpt(role)
            ))
            .with_http_status(r.status));
        }
        parse_imds_credentials(&r.body, role).map(Loaded::Found)
    }
}

impl ProvideCredentials for ImdsProvider {
    fn provide_credentials(&self) -> Result<Credentials> {
        self.provide_credentials_with(&CredentialsContext::new())
    }

    fn provide_credentials_with(&self, ctx: &CredentialsContext) -> Result<Credentials> {
        self.load(ctx)?
            .or_not_configured("no credentials from IMDS")
    }
}

enum TokenOutcome {
    Token(Zeroizing<String>),
    FallBackToV1,
    Unreachable(String),
}

fn is_connect_failure(e: &Error) -> bool {
    e.kind() == ErrorKind::Transport
        || (e.kind() == ErrorKind::Timeout && e.timer() == Some(Timer::Connect))
}

fn fetch_token(
    ctx: &CredentialsContext,
    http: &HttpClient,
    s: &ImdsSettings,
) -> Result<TokenOutcome> {
    let url = format!("{}/latest/api/token", s.endpoint);
    let mut last = String::new();
    for _ in 0..s.attempts {
        let sent = http.send(
            ctx,
            "IMDS token",
            "PUT",
            &url,
            &[("x-aws-ec2-metadata-token-ttl-seconds", TOKEN_TTL)],
            None,
        );
        if sent.is_err() {
            // The call's own cancel or deadline is not a reason to fall back to IMDSv1.
            ctx.check()?;
        }
        match sent {
            Ok(r) if r.status == 200 => {
                let t = Zeroizing::new(r.text().trim().to_string());
                if t.is_empty() || t.chars().any(|c| c.is_control()) {
                    return Err(Error::credentials("IMDS returned an invalid session token"));
                }
                return Ok(TokenOutcome::Token(t));
            }
            Ok(r) if matches!(r.status, 403..=405) => {
                return v1_or_error(
                    s,
                    &format!("the IMDSv2 token request answered {}", r.status),
                )
            }
            Ok(r) if r.status == 400 => {
                return Err(Error::credentials(
                    "IMDS rejected the session token request (HTTP 400)",
                ))
            }
            Ok(r) => last = format!("HTTP {}", r.status),
            Err(e) if e.kind() == ErrorKind::Timeout && !is_connect_failure(&e) => {
                return v1_or_error(s, "the IMDSv2 token request timed out");
            }
            Err(e) if is_connect_failure(&e) => last = e.message().to_string(),
            Err(e) => return Err(e),
        }
    }
    Ok(TokenOutcome::Unreachable(last))
}

fn v1_or_error(s: &ImdsSettings, why: &str) -> Result<TokenOutcome> {
    if s.v1_disabled {
        Err(Error::credentials(format!(
            "{why}, and IMDSv1 is disabled (AWS_EC2_METADATA_V1_DISABLED)"
        )))
    } else {
        Ok(TokenOutcome::FallBackToV1)
    }
}

/// GET with retries on connect failures and 5xx; `Ok(None)` when unreachable.
fn get_with_retries(
    ctx: &CredentialsContext,
    http: &HttpClient,
    s: &ImdsSettings,
    url: &str,
    headers: &[(&str, &str)],
) -> Result<Option<HttpResponse>> {
    let mut last = None;
    for _ in 0..s.attempts {
        let sent = http.send(ctx, "IMDS", "GET", url, headers, None);
        if sent.is_err() {
            // The call's own cancel or deadline never reads as "no IMDS here".
            ctx.check()?;
        }
        match sent {
            Ok(r) if r.status >= 500 => last = Some(Ok(r)),
            Ok(r) => return Ok(Some(r)),
            Err(e) if is_connect_failure(&e) || e.kind() == ErrorKind::Timeout => {
                last = Some(Err(e))
            }
            Err(e) => return Err(e),
        }
    }
    match last {
        Some(Ok(r)) => Ok(Some(r)),
        Some(Err(e)) if is_connect_failure(&e) => Ok(None),
        Some(Err(e)) => Err(e),
        None => Ok(None),
    }
}

fn parse_imds_credentials(body: &[u8], role: &str) -> Result<Credentials> {
    let bad = |what: &str| {
        Error::credentials(format!(
            "IMDS returned {what} for the credentials of role {}",
            excerpt(role)
        ))
    };
    let c = EndpointCredentials::parse(body, &bad)?;
    if let Some(code) = &c.code {
        if code != "Success" {
            return Err(bad(&format!(
                "code {}{}",
                excerpt(code),
                c.message
                    .as_deref()
                    .map(|m| format!(" ({})", excerpt(m)))
                    .unwrap_or_default()
            )));
        }
    }
    c.into_credentials("imds", true, &bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Env;

    fn provider(pairs: &[(&str, &str)]) -> ImdsProvider {
        ImdsProvider::new().with_config(ProviderConfig::new(Env::from_pairs(pairs.iter().copied())))
    }

    #[test]
    fn settings_from_env() {
        assert_eq!(
            provider(&[("AWS_EC2_METADATA_DISABLED", "TRUE")])
                .settings()
                .unwrap(),
            None
        );
        let s = provider(&[]).settings().unwrap().unwrap();
        assert_eq!(s.endpoint, "http://169.254.169.254");
        assert_eq!(s.timeout, Duration::from_secs(1));
        assert_eq!(s.attempts, 2);
        assert!(!s.v1_disabled);
        let s = provider(&[
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"),
            ("AWS_METADATA_SERVICE_TIMEOUT", "0.5"),
            ("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "3"),
            ("AWS_EC2_METADATA_V1_DISABLED", "true"),
        ])
        .settings()
        .unwrap()
        .unwrap();
        assert_eq!(s.endpoint, "http://[fd00:ec2::254]");
        assert_eq!(s.timeout, Duration::from_millis(500));
        assert_eq!(s.attempts, 3);
        assert!(s.v1_disabled);
        let s = provider(&[
            (
                "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                "http://127.0.0.1:1234/",
            ),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"),
        ])
        .settings()
        .unwrap()
        .unwrap();
        assert_eq!(s.endpoint, "http://127.0.0.1:1234");
        for bad in [
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ipv5"),
            ("AWS_METADATA_SERVICE_TIMEOUT", "-1"),
            ("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "0"),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", "169.254.169.254"),
        ] {
            assert!(provider(&[bad]).settings().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unreachable_imds_is_not_available_quickly() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        let p = provider(&[(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            &format!("http://{addr}"),
        )]);
        assert!(matches!(
            p.load(&CredentialsContext::new()).unwrap(),
            Loaded::NotConfigured(_)
        ));
    }

    #[test]
    fn parses_credentials_and_rejects_failures() {
        let ok = br#"{"Code":"Success","LastUpdated":"x","Type":"AWS-HMAC","AccessKeyId":"ASIAI","SecretAccessKey":"SKI","Token":"TKI","Expiration":"2030-01-01T00:00:00Z"}"#;
        let c = parse_imds_credentials(ok, "role").unwrap();
        assert_eq!(c.access_key_id(), "ASIAI");
        assert_eq!(c.provider_name(), "imds");
        assert!(parse_imds_credentials(br#"{"Code":"Failure","Message":"m"}"#, "r").is_err());
        assert!(parse_imds_credentials(b"SKI", "r").is_err());
        let e = parse_imds_credentials(
            br#"{"Code":"Success","AccessKeyId":"A","SecretAccessKey":"SKI"}"#,
            "r",
        )
        .unwrap_err();
        assert!(!e.to_string().contains("SKI"));
    }
}
