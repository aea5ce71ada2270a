//! A small blocking HTTP helper (ureq 3) for the credential endpoints: STS, SSO, the ECS/EKS
//! container endpoint and IMDS. Bounded timeouts, bounded response bodies, no redirects, HTTP
//! error statuses returned as values. Error messages name the URL (which never carries a secret
//! here) and never include request headers or bodies.
//!
//! Each request belongs to the call that needs the credentials ([`CredentialsContext`]): its
//! socket is registered with the call's [`CancelHandle`](crate::CancelHandle) through the
//! client's [`CancellableConnector`], so a cancel shuts it down at once, and its overall timeout
//! is cut to what is left of the call's deadline. Connections are not pooled: a socket is
//! closed when its response has been read, so a later cancel of that call can never reach a
//! connection another call reuses.

use std::time::Duration;

use zeroize::Zeroize;

use super::CredentialsContext;
use crate::error::{Error, Result, Timer};
use crate::transport::{CancellableConnector, CurrentCancel};

/// The largest credential-endpoint response read (STS/SSO/IMDS answers are a few KiB).
const MAX_BODY: u64 = 1024 * 1024;

/// The `User-Agent` of credential requests.
pub(crate) const USER_AGENT: &str = concat!("bedrock-stream/", env!("CARGO_PKG_VERSION"));

/// How a [`HttpClient`] connects.
#[derive(Clone)]
pub(crate) struct HttpSettings {
    /// Connect timeout (TCP + TLS + proxy).
    pub(crate) connect_timeout: Duration,
    /// Whole-exchange timeout.
    pub(crate) total_timeout: Duration,
    /// Use `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` / `NO_PROXY` from the environment, or this
    /// explicit proxy, or none.
    pub(crate) proxy: ProxySetting,
    /// TLS roots (for example with a CA bundle); `None` = ureq's default (webpki roots).
    pub(crate) tls: Option<ureq::tls::TlsConfig>,
}

/// Proxy choice for a [`HttpClient`].
#[derive(Clone)]
pub(crate) enum ProxySetting {
    /// No proxy (IMDS and the container endpoint: link-local / loopback addresses that a proxy
    /// could only answer with its *own* credentials).
    None,
    /// The standard environment variables, honouring `NO_PROXY`.
    FromEnv,
    /// An explicit proxy.
    Explicit(ureq::Proxy),
}

impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSettings")
            .field("connect_timeout", &self.connect_timeout)
            .field("total_timeout", &self.total_timeout)
            .field(
                "proxy",
                &match self.proxy {
                    ProxySetting::None => "none",
                    ProxySetting::FromEnv => "from environment",
                    ProxySetting::Explicit(_) => "explicit",
                },
            )
            .field("custom_tls", &self.tls.is_some())
            .finish()
    }
}

impl HttpSettings {
    /// STS and SSO: public HTTPS services, reached through the environment's proxy.
    pub(crate) fn service() -> HttpSettings {
        HttpSettings {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(30),
            proxy: ProxySetting::FromEnv,
            tls: None,
        }
    }

    /// IMDS and the container endpoint: short timeouts, no proxy.
    pub(crate) fn local(connect: Duration, total: Duration) -> HttpSettings {
        HttpSettings {
            connect_timeout: connect,
            total_timeout: total,
            proxy: ProxySetting::None,
            tls: None,
        }
    }
}

/// A response, fully read.
pub(crate) struct HttpResponse {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl std::fmt::Debug for HttpResponse {
    // The body may hold credentials: only its size.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Drop for HttpResponse {
    // Credential answers hold secrets.
    fn drop(&mut self) {
        self.body.zeroize();
    }
}

impl HttpResponse {
    /// The body as text. The caller holds a copy of what may be a secret: keep it in a
    /// `Zeroizing` when it is not parsed at once.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A blocking HTTP client for credential endpoints.
#[derive(Clone)]
pub(crate) struct HttpClient {
    agent: ureq::Agent,
    settings: HttpSettings,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("settings", &self.settings)
            .finish()
    }
}

impl HttpClient {
    pub(crate) fn new(settings: HttpSettings) -> HttpClient {
        let proxy = match &settings.proxy {
            ProxySetting::None => None,
            ProxySetting::FromEnv => ureq::Proxy::try_from_env(),
            ProxySetting::Explicit(p) => Some(p.clone()),
        };
        let mut cfg = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(settings.connect_timeout))
            .timeout_global(Some(settings.total_timeout))
            .user_agent(USER_AGENT)
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .proxy(proxy);
        if let Some(tls) = &settings.tls {
            cfg = cfg.tls_config(tls.clone());
        }
        let agent = ureq::Agent::with_parts(
            cfg.build(),
            CancellableConnector::default(),
            ureq::unversioned::resolver::DefaultResolver::default(),
        );
        HttpClient { agent, settings }
    }

    /// Send one request for the call of `ctx`. `what` names the call in errors ("STS
    /// AssumeRole").
    pub(crate) fn send(
        &self,
        ctx: &CredentialsContext,
        what: &str,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<HttpResponse> {
        ctx.check()?;
        let mut builder = ureq::http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let total = ctx.bound(self.settings.total_timeout);
        let _current = ctx.cancel_handle().map(CurrentCancel::enter);
        let result = match body {
            Some(b) => builder
                .body(b.to_vec())
                .map(|req| self.run(req, total, ctx)),
            None => builder.body(()).map(|req| self.run(req, total, ctx)),
        };
        let mut resp = match result {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(self.map_error(ctx, what, url, e)),
            Err(_) => {
                return Err(Error::config(format!(
                    "{what}: the URL or a header is not valid"
                )))
            }
        };
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| self.map_error(ctx, what, url, e))?;
        drop(resp);
        // A cancel that raced with the end of the exchange still wins.
        ctx.check()?;
        Ok(HttpResponse { status, body })
    }

    /// Run one request; the overall timeout is `total` when the call's deadline is nearer.
    fn run<B: ureq::AsSendBody>(
        &self,
        req: ureq::http::Request<B>,
        total: Duration,
        ctx: &CredentialsContext,
    ) -> std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        if ctx.deadline().is_some() {
            let req = self
                .agent
                .configure_request(req)
                .timeout_global(Some(total))
                .build();
            return self.agent.run(req);
        }
        self.agent.run(req)
    }

    fn map_error(&self, ctx: &CredentialsContext, what: &str, url: &str, e: ureq::Error) -> Error {
        // The call's own cancel or deadline, whatever the socket reported.
        if let Err(c) = ctx.check() {
            return c;
        }
        let url = crate::redact::url(url);
        match e {
            ureq::Error::Timeout(t) => {
                let (timer, limit) = match t {
                    ureq::Timeout::Connect | ureq::Timeout::Resolve => {
                        (Timer::Connect, self.settings.connect_timeout)
                    }
                    _ => (Timer::Deadline, self.settings.total_timeout),
                };
                let base = Error::timeout(timer, Some(limit));
                let msg = format!("{what} ({url}): {}", base.message());
                base.with_message(msg)
            }
            other => Error::transport(format!("{what} ({url}) failed: {other}")).with_source(other),
        }
    }
}

/// `application/x-www-form-urlencoded` encoding of one value (RFC 3986 unreserved kept).
pub(crate) fn form_encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// Encode `key=value&…`.
pub(crate) fn form_body(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    #[test]
    fn form_encoding() {
        assert_eq!(
            form_body(&[("RoleArn", "arn:aws:iam::1:role/a b"), ("X", "~._-+&=")]),
            "RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fa%20b&X=~._-%2B%26%3D"
        );
    }

    #[test]
    fn status_is_a_value_and_body_is_read() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap();
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            s.write_all(
                b"HTTP/1.1 418 Teapot\r\ncontent-length: 5\r\nconnection: close\r\n\r\nshort",
            )
            .unwrap();
            req
        });
        let c = HttpClient::new(HttpSettings::local(
            Duration::from_secs(2),
            Duration::from_secs(5),
        ));
        let r = c
            .send(
                &CredentialsContext::new(),
                "test",
                "PUT",
                &format!("http://{addr}/x"),
                &[("a", "b")],
                None,
            )
            .unwrap();
        assert_eq!(r.status, 418);
        assert_eq!(r.text(), "short");
        let req = t.join().unwrap();
        assert!(req.starts_with("PUT /x HTTP/1.1\r\n"), "{req}");
        assert!(
            req.to_ascii_lowercase()
                .contains("user-agent: bedrock-stream/"),
            "{req}"
        );
    }

    #[test]
    fn connection_refused_is_a_transport_error() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        let c = HttpClient::new(HttpSettings::local(
            Duration::from_secs(2),
            Duration::from_secs(5),
        ));
        let e = c
            .send(
                &CredentialsContext::new(),
                "probe",
                "GET",
                &format!("http://{addr}/"),
                &[],
                None,
            )
            .unwrap_err();
        assert!(
            matches!(
                e.kind(),
                crate::ErrorKind::Transport | crate::ErrorKind::Timeout
            ),
            "{e}"
        );
        assert!(e.message().contains("probe"), "{e}");
    }
}
