//! ECS task roles and EKS Pod Identity: the container credentials endpoint.
//!
//! * `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` → `http://169.254.170.2{relative}` (ECS); it wins
//!   over the full URI, as in the AWS SDKs.
//! * `AWS_CONTAINER_CREDENTIALS_FULL_URI` → that URL, which must point at a loopback address
//!   (`127.0.0.0/8`, `::1`, `localhost`), the ECS address `169.254.170.2` or the EKS Pod
//!   Identity addresses `169.254.170.23` / `fd00:ec2::23` (botocore's allow-list; a credential
//!   request to an arbitrary host would hand the authorization token to it).
//! * `Authorization` header: the contents of `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (re-read
//!   at each call; EKS rotates it), else `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
//!
//! No proxy is used. Timeouts: 2 s to connect, 5 s in all, 2 attempts.

use std::time::Duration;

use zeroize::Zeroizing;

use super::http::{HttpClient, HttpSettings};
use super::web_identity::read_trimmed_token;
use super::{
    excerpt, Credentials, CredentialsContext, EndpointCredentials, Loaded, ProvideCredentials,
    ProviderConfig,
};
use crate::error::{Error, ErrorKind, Result};

const ECS_HOST: &str = "169.254.170.2";

/// Credentials from the ECS / EKS Pod Identity container endpoint.
#[derive(Debug, Clone)]
pub struct ContainerProvider {
    cfg: ProviderConfig,
    /// Base URL for relative URIs (tests replace the ECS address).
    ecs_base: String,
    settings: HttpSettings,
}

impl Default for ContainerProvider {
    fn default() -> Self {
        ContainerProvider::new()
    }
}

impl ContainerProvider {
    /// Reads the standard variables at each call.
    pub fn new() -> Self {
        ContainerProvider {
            cfg: ProviderConfig::default(),
            ecs_base: format!("http://{ECS_HOST}"),
            settings: HttpSettings::local(Duration::from_secs(2), Duration::from_secs(5)),
        }
    }

    pub(crate) fn with_config(mut self, cfg: ProviderConfig) -> Self {
        self.cfg = cfg;
        self
    }

    #[cfg(test)]
    fn with_ecs_base(mut self, base: &str) -> Self {
        self.ecs_base = base.to_string();
        self
    }

    /// The URL to call, `Ok(None)` when neither variable is set.
    fn url(&self) -> Result<Option<String>> {
        let env = &self.cfg.env;
        if let Some(rel) = env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            if !rel.starts_with('/') {
                return Err(Error::credentials(
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with `/`",
                ));
            }
            return Ok(Some(format!("{}{rel}", self.ecs_base)));
        }
        match env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            None => Ok(None),
            Some(full) => {
                validate_full_uri(&full)?;
                Ok(Some(full))
            }
        }
    }

    fn auth_token(&self) -> Result<Option<Zeroizing<String>>> {
        let env = &self.cfg.env;
        let token = if let Some(file) = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
            let path = env.expand_tilde(&file);
            Some(read_trimmed_token(
                &path,
                "the container authorization token file (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)",
            )?)
        } else {
            env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN")
                .map(Zeroizing::new)
        };
        if let Some(t) = &token {
            if t.is_empty() || t.chars().any(|c| c.is_control()) {
                return Err(Error::credentials(
                    "the container authorization token is empty or contains control characters",
                ));
            }
        }
        Ok(token)
    }

    pub(crate) fn load(&self, ctx: &CredentialsContext) -> Result<Loaded> {
        let Some(url) = self.url()? else {
            return Ok(Loaded::NotConfigured(
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI are not set".into(),
            ));
        };
        let token = self.auth_token()?;
        let http = HttpClient::new(self.settings.clone());
        let mut headers = vec![("accept", "application/json")];
        if let Some(t) = &token {
            headers.push(("authorization", t.as_str()));
        }
        let mut last = None;
        for _ in 0..2 {
            ctx.check()?;
            match http.send(ctx, "container credentials", "GET", &url, &headers, None) {
                Ok(r) if r.is_success() => {
                    return parse_container_response(&r.body, &url).map(Loaded::Found)
                }
                Ok(r) => {
                    let e = container_http_error(r.status, &r.body, &url);
                    if !e.is_retryable() {
                        return Err(e);
                    }
                    last = Some(e);
                }
                Err(e) if matches!(e.kind(), ErrorKind::Transport | ErrorKind::Timeout) => {
                    // The call's own cancel or deadline ends it here.
                    ctx.check()?;
                    last = Some(e)
                }
                Err(e) => return Err(e),
            }
        }
        let e = last.unwrap_or_else(|| Error::credentials("container credentials failed"));
        Err(Error::credentials(format!(
            "the container credentials endpoint failed: {}",
            e.message()
        )))
    }
}

impl ProvideCredentials for ContainerProvider {
    fn provide_credentials(&self) -> Result<Credentials> {
        self.provide_credentials_with(&CredentialsContext::new())
    }

    fn provide_credentials_with(&self, ctx: &CredentialsContext) -> Result<Credentials> {
        self.load(ctx)?
            .or_not_configured("container credentials are not configured")
    }
}

/// Only loopback, the ECS address and the EKS Pod Identity addresses.
pub(crate) fn validate_full_uri(full: &str) -> Result<()> {
    // The URL itself is never echoed (an invalid one may hold anything, a password included).
    let bad = |why: &str| {
        Error::credentials(format!(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI is not allowed: {why}"
        ))
    };
    let url = crate::endpoint::validate_endpoint_url(full)
        .or_else(|_| {
            // The full URI may carry a query string; validate the part before it.
            let base = full.split(['?', '#']).next().unwrap_or("");
            crate::endpoint::validate_endpoint_url(base)
        })
        .map_err(|_| bad("it is not an http(s) URL"))?;
    let rest = url.split_once("://").map(|x| x.1).unwrap_or("");
    let authority = rest.split('/').next().unwrap_or("");
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.rsplit_once(':').map(|x| x.0).unwrap_or(authority)
    };
    let allowed = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => {
            ip.is_loopback()
                || ip == std::net::IpAddr::from([169, 254, 170, 2])
                || ip == std::net::IpAddr::from([169, 254, 170, 23])
                || ip
                    == "fd00:ec2::23"
                        .parse::<std::net::IpAddr>()
                        .expect("valid literal")
        }
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    };
    if allowed {
        Ok(())
    } else {
        Err(bad(&format!(
            "its host `{}` is not loopback, 169.254.170.2 (ECS) or 169.254.170.23 / fd00:ec2::23 \
             (EKS)",
            crate::redact::excerpt(host)
        )))
    }
}

fn parse_container_response(body: &[u8], url: &str) -> Result<Credentials> {
    let bad = |what: &str| {
        Error::credentials(format!(
            "the container credentials endpoint {url} returned {what}"
        ))
    };
    EndpointCredentials::parse(body, &bad)?.into_credentials("container", false, &bad)
}

fn container_http_error(status: u16, body: &[u8], url: &str) -> Error {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let code = v
        .get("code")
        .or_else(|| v.get("Code"))
        .and_then(|c| c.as_str());
    let msg = v
        .get("message")
        .or_else(|| v.get("Message"))
        .and_then(|c| c.as_str());
    Error::credentials(format!(
        "the container credentials endpoint {} answered HTTP {status}{}{}",
        crate::redact::url(url),
        code.map(|c| format!(" {}", excerpt(c))).unwrap_or_default(),
        msg.map(|m| format!(": {}", excerpt(m))).unwrap_or_default()
    ))
    .with_http_status(status)
    .with_retryable(status >= 500 || status == 429)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Env;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    #[test]
    fn full_uri_allow_list() {
        for ok in [
            "http://127.0.0.1:8080/creds",
            "http://127.9.9.9/x",
            "http://localhost/creds",
            "http://[::1]:9/x",
            "http://169.254.170.2/v2/credentials/abc",
            "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::23]/v1/credentials",
            "https://localhost:8443/x?a=b",
        ] {
            validate_full_uri(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "http://169.254.169.254/latest",
            "http://example.com/creds",
            "https://example.com/creds",
            "http://10.0.0.1/",
            "http://127.0.0.1.evil.com/",
            "ftp://127.0.0.1/",
            "not a url",
        ] {
            assert!(validate_full_uri(bad).is_err(), "{bad}");
        }
        // The URL is never echoed, valid or not; a disallowed host is named.
        for bad in ["http://u:hunter2@127.0.0.1/", "http://10.0.0.1/hunter2"] {
            let e = validate_full_uri(bad).unwrap_err();
            assert!(!e.message().contains("hunter2"), "{e}");
        }
        let e = validate_full_uri("http://10.0.0.1/x").unwrap_err();
        assert!(e.message().contains("`10.0.0.1`"), "{e}");
    }

    /// One-shot HTTP server: answers `status` + `body`, returns the request text.
    fn serve_once(status: u16, body: &'static str) -> (String, std::thread::JoinHandle<String>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", l.local_addr().unwrap());
        let h = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut buf = vec![0u8; 8192];
            let n = s.read(&mut buf).unwrap();
            let resp = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            s.write_all(resp.as_bytes()).unwrap();
            String::from_utf8_lossy(&buf[..n]).to_string()
        });
        (base, h)
    }

    #[test]
    fn relative_uri_with_token_file() {
        let (base, h) = serve_once(
            200,
            r#"{"AccessKeyId":"AKC","SecretAccessKey":"SKC","Token":"TKC","Expiration":"2030-01-01T00:00:00Z","RoleArn":"arn"}"#,
        );
        let dir = std::env::temp_dir().join(format!("bs-container-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let tf = dir.join("token");
        std::fs::write(&tf, "file-token\n").unwrap();
        let env = Env::from_pairs([
            (
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "/v2/credentials/xyz",
            ),
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://127.0.0.1:1/ignored",
            ),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                tf.to_str().unwrap(),
            ),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "env-token"),
        ]);
        let p = ContainerProvider::new()
            .with_config(ProviderConfig::new(env))
            .with_ecs_base(&base);
        let c = p.provide_credentials().unwrap();
        assert_eq!(c.access_key_id(), "AKC");
        assert_eq!(c.session_token(), Some("TKC"));
        assert!(c.expiry().is_some());
        let req = h.join().unwrap();
        assert!(req.starts_with("GET /v2/credentials/xyz HTTP/1.1"), "{req}");
        assert!(
            req.to_ascii_lowercase()
                .contains("authorization: file-token\r\n"),
            "{req}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// ECS/EKS answer fractional seconds; a bad `Expiration` is a credentials error that says
    /// why, without the secret.
    #[test]
    fn expiration_forms() {
        let t = |exp: &str| {
            let body = format!(
                r#"{{"AccessKeyId":"AKC","SecretAccessKey":"SKCSECRET","Expiration":"{exp}"}}"#
            );
            parse_container_response(body.as_bytes(), "http://127.0.0.1/creds")
        };
        let c = t("2030-01-01T00:00:00.123456Z").unwrap();
        assert_eq!(
            c.expiry(),
            crate::credentials::time::parse_rfc3339("2030-01-01T00:00:00.123456+00:00").ok()
        );
        assert!(c.expiry().is_some());
        let e = t("2030-01-01T25:00:00Z").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Credentials);
        let msg = e.to_string();
        assert!(
            msg.contains("an invalid Expiration (not an RFC 3339 time: hour was not in range)"),
            "{msg}"
        );
        assert!(!msg.contains("SKCSECRET"), "{msg}");
    }

    #[test]
    fn error_answers_are_errors() {
        let (base, h) = serve_once(403, r#"{"code":"AccessDenied","message":"bad token"}"#);
        let env = Env::from_pairs([
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                format!("{base}/creds"),
            ),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                "SECRETAUTH".to_string(),
            ),
        ]);
        let p = ContainerProvider::new().with_config(ProviderConfig::new(env));
        let e = p.provide_credentials().unwrap_err();
        assert!(e.to_string().contains("AccessDenied"), "{e}");
        assert!(!e.to_string().contains("SECRETAUTH"), "{e}");
        h.join().unwrap();
        // not configured
        let p = ContainerProvider::new()
            .with_config(ProviderConfig::new(Env::from_pairs::<&str, &str>([])));
        assert!(matches!(
            p.load(&CredentialsContext::new()).unwrap(),
            Loaded::NotConfigured(_)
        ));
        // a disallowed full URI is an error, not "not configured"
        let env = Env::from_pairs([("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/")]);
        let p = ContainerProvider::new().with_config(ProviderConfig::new(env));
        assert!(p.load(&CredentialsContext::new()).is_err());
    }
}
