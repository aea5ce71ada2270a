//! STS `AssumeRole` (SigV4-signed) and `AssumeRoleWithWebIdentity` (unsigned), query protocol:
//! a form-encoded `POST /` and an XML answer.
//!
//! Endpoint: `AWS_ENDPOINT_URL_STS` > `AWS_ENDPOINT_URL` > the profile's `[services]` `sts =
//! endpoint_url = …` > the profile's `endpoint_url` (all subject to
//! `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`); otherwise the regional endpoint
//! `https://sts[-fips].{region}.{partition suffix}` for the region of the provider / environment /
//! profile, or the global `https://sts.amazonaws.com` (signed for `us-east-1`) when there is none.

use std::sync::Arc;
use std::time::SystemTime;

use super::http::{form_body, HttpClient};
use super::{
    default_session_name, excerpt, time, xml, Credentials, CredentialsContext, ProvideCredentials,
    ProviderConfig,
};
use crate::endpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::profile::ProfileSet;
use zeroize::Zeroizing;

const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// Where STS is and which region to sign for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StsEndpoint {
    pub(crate) url: String,
    pub(crate) signing_region: String,
}

/// Resolve the STS endpoint for these settings.
pub(crate) fn sts_endpoint(cfg: &ProviderConfig, profiles: &ProfileSet) -> Result<StsEndpoint> {
    let region = match endpoint::resolve_region_in(&cfg.env, cfg.region.as_deref(), profiles) {
        Ok((r, _)) => Some(r),
        Err(e) => {
            let configured = cfg.region.is_some()
                || cfg.env.get("AWS_REGION").is_some()
                || cfg.env.get("AWS_DEFAULT_REGION").is_some()
                || profiles.get("region").is_some();
            if configured {
                return Err(e);
            }
            None
        }
    };
    let configured = endpoint::configured_endpoint_url_for(&cfg.env, None, profiles, "STS", "sts")?;
    if let Some(url) = configured {
        return Ok(StsEndpoint {
            url,
            signing_region: region.unwrap_or_else(|| "us-east-1".into()),
        });
    }
    let fips = endpoint::use_fips(&cfg.env, None, profiles)?;
    let dual = endpoint::use_dual_stack(&cfg.env, None, profiles)?;
    match region {
        None => Ok(StsEndpoint {
            url: if fips {
                "https://sts-fips.us-east-1.amazonaws.com".into()
            } else {
                "https://sts.amazonaws.com".into()
            },
            signing_region: "us-east-1".into(),
        }),
        Some(region) => {
            let p = endpoint::partition_of(&region);
            let host = if fips { "sts-fips" } else { "sts" };
            let suffix = if dual {
                p.dual_stack_dns_suffix
            } else {
                p.dns_suffix
            };
            Ok(StsEndpoint {
                url: format!("https://{host}.{region}.{suffix}"),
                signing_region: region,
            })
        }
    }
}

/// Parameters of one `AssumeRole`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AssumeRoleParams {
    pub(crate) role_arn: String,
    pub(crate) session_name: Option<String>,
    pub(crate) external_id: Option<String>,
    pub(crate) duration_seconds: Option<u32>,
}

/// Call `AssumeRole` with `source` credentials.
pub(crate) fn assume_role(
    ctx: &CredentialsContext,
    http: &HttpClient,
    ep: &StsEndpoint,
    source: &Credentials,
    p: &AssumeRoleParams,
) -> Result<Credentials> {
    let session = p.session_name.clone().unwrap_or_else(default_session_name);
    let duration = p.duration_seconds.map(|d| d.to_string());
    let mut pairs: Vec<(&str, &str)> = vec![
        ("Action", "AssumeRole"),
        ("Version", "2011-06-15"),
        ("RoleArn", &p.role_arn),
        ("RoleSessionName", &session),
    ];
    if let Some(x) = &p.external_id {
        pairs.push(("ExternalId", x));
    }
    if let Some(d) = &duration {
        pairs.push(("DurationSeconds", d));
    }
    let body = form_body(&pairs);
    let url = format!("{}/", ep.url);
    let call = || -> Result<Credentials> {
        let mut headers = vec![("content-type".to_string(), CONTENT_TYPE.to_string())];
        sign_sts(
            source,
            &url,
            &ep.signing_region,
            &mut headers,
            body.as_bytes(),
        )?;
        let hs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let resp = http.send(
            ctx,
            "STS AssumeRole",
            "POST",
            &url,
            &hs,
            Some(body.as_bytes()),
        )?;
        parse_response(
            resp.status,
            &Zeroizing::new(resp.text()),
            "AssumeRole",
            &p.role_arn,
        )
    };
    with_one_retry(ctx, call).map(|c| c.with_provider_name("sts-assume-role"))
}

/// Call `AssumeRoleWithWebIdentity` (unsigned).
pub(crate) fn assume_role_with_web_identity(
    ctx: &CredentialsContext,
    http: &HttpClient,
    ep: &StsEndpoint,
    role_arn: &str,
    session_name: Option<&str>,
    token: &str,
) -> Result<Credentials> {
    let session = session_name
        .map(str::to_string)
        .unwrap_or_else(default_session_name);
    let body = Zeroizing::new(form_body(&[
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", role_arn),
        ("RoleSessionName", &session),
        ("WebIdentityToken", token),
    ]));
    let url = format!("{}/", ep.url);
    let call = || -> Result<Credentials> {
        let resp = http.send(
            ctx,
            "STS AssumeRoleWithWebIdentity",
            "POST",
            &url,
            &[("content-type", CONTENT_TYPE)],
            Some(body.as_bytes()),
        )?;
        parse_response(
            resp.status,
            &Zeroizing::new(resp.text()),
            "AssumeRoleWithWebIdentity",
            role_arn,
        )
    };
    with_one_retry(ctx, call).map(|c| c.with_provider_name("sts-web-identity"))
}

/// Retry once on a transport error, a timeout or a retryable STS error (not once the call is
/// cancelled or out of time).
fn with_one_retry(
    ctx: &CredentialsContext,
    call: impl Fn() -> Result<Credentials>,
) -> Result<Credentials> {
    match call() {
        Err(e)
            if e.is_retryable()
                || matches!(e.kind(), ErrorKind::Transport | ErrorKind::Timeout) =>
        {
            ctx.check()?;
            call()
        }
        other => other,
    }
}

/// Parse an STS answer: credentials on 200, a credentials error with STS's code and message
/// otherwise (never the request body, which may hold a web identity token).
pub(crate) fn parse_response(
    status: u16,
    body: &str,
    action: &str,
    role_arn: &str,
) -> Result<Credentials> {
    let answer = xml::Answer::parse(body);
    if !(200..300).contains(&status) {
        let code = answer.child_text("Error", "Code");
        let message = answer.child_text("Error", "Message");
        let retryable = status >= 500
            || matches!(
                code.as_deref(),
                Some("Throttling" | "IDPCommunicationError" | "RequestTimeout")
            );
        let mut e = Error::credentials(format!(
            "STS {action} for {role_arn} failed with HTTP {status}{}{}",
            code.as_deref()
                .map(|c| format!(" {}", excerpt(c)))
                .unwrap_or_default(),
            message
                .as_deref()
                .map(|m| format!(": {}", excerpt(m)))
                .unwrap_or_default()
        ))
        .with_http_status(status)
        .with_retryable(retryable)
        .with_request_id(answer.element_text("RequestId"));
        if let Some(c) = code {
            e = e.with_code(excerpt(&c));
        }
        return Err(e);
    }
    let field = |name: &str| {
        answer
            .child_text("Credentials", name)
            .filter(|v| !v.is_empty())
    };
    let missing = |what: &str| {
        Error::credentials(format!(
            "STS {action} for {role_arn} answered HTTP {status} without a valid {what}"
        ))
    };
    let id = field("AccessKeyId").ok_or_else(|| missing("AccessKeyId"))?;
    let secret = field("SecretAccessKey").ok_or_else(|| missing("SecretAccessKey"))?;
    let token = field("SessionToken").ok_or_else(|| missing("SessionToken"))?;
    let expiration = field("Expiration")
        .and_then(|e| time::parse_rfc3339(&e).ok())
        .ok_or_else(|| missing("Expiration"))?;
    Ok(Credentials::new(id, secret, Some(token)).with_expiry(Some(expiration)))
}

/// SigV4-sign an STS request (service `sts`).
fn sign_sts(
    creds: &Credentials,
    url: &str,
    region: &str,
    headers: &mut Vec<(String, String)>,
    body: &[u8],
) -> Result<()> {
    crate::auth::sign_v4_for("sts", creds, url, region, headers, body, SystemTime::now()).map_err(
        |e| Error::credentials(format!("the STS request cannot be signed: {}", e.message())),
    )
}

/// Assumes an IAM role through STS `AssumeRole`, with credentials from another provider.
///
/// Cache it (for example in a [`CachingProvider`](super::CachingProvider)): every call is an STS
/// request. The STS endpoint is `AWS_ENDPOINT_URL_STS` / `AWS_ENDPOINT_URL` / the profile's
/// `sts` service endpoint, else `https://sts.{region}.{partition suffix}`, else the global
/// endpoint.
#[derive(Debug, Clone)]
pub struct AssumeRoleProvider {
    source: Arc<dyn ProvideCredentials>,
    params: AssumeRoleParams,
    cfg: ProviderConfig,
}

impl AssumeRoleProvider {
    /// Assume `role_arn` with credentials from `source`.
    pub fn new(role_arn: impl Into<String>, source: Arc<dyn ProvideCredentials>) -> Self {
        AssumeRoleProvider {
            source,
            params: AssumeRoleParams {
                role_arn: role_arn.into(),
                ..AssumeRoleParams::default()
            },
            cfg: ProviderConfig::default(),
        }
    }

    /// The `RoleSessionName` (default `bedrock-stream-<unix millis>`).
    pub fn session_name(mut self, name: impl Into<String>) -> Self {
        self.params.session_name = Some(name.into());
        self
    }

    /// The `ExternalId` the role's trust policy requires.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.params.external_id = Some(id.into());
        self
    }

    /// `DurationSeconds` of the session.
    pub fn duration_seconds(mut self, secs: u32) -> Self {
        self.params.duration_seconds = Some(secs);
        self
    }

    /// The region whose STS endpoint is called (default: `AWS_REGION`, `AWS_DEFAULT_REGION`,
    /// the profile's `region`, else the global endpoint).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.cfg.region = Some(region.into());
        self
    }
}

impl ProvideCredentials for AssumeRoleProvider {
    fn provide_credentials(&self) -> Result<Credentials> {
        self.provide_credentials_with(&CredentialsContext::new())
    }

    fn provide_credentials_with(&self, ctx: &CredentialsContext) -> Result<Credentials> {
        let source = self.source.provide_credentials_with(ctx)?;
        let profiles = self.cfg.profiles()?;
        let ep = sts_endpoint(&self.cfg, &profiles)?;
        assume_role(ctx, &self.cfg.service_http()?, &ep, &source, &self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Env;
    use std::path::Path;

    fn cfg(pairs: &[(&str, &str)]) -> ProviderConfig {
        ProviderConfig::new(Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn endpoint_resolution() {
        let empty = ProfileSet::empty();
        let ep = sts_endpoint(&cfg(&[]), &empty).unwrap();
        assert_eq!(ep.url, "https://sts.amazonaws.com");
        assert_eq!(ep.signing_region, "us-east-1");
        let ep = sts_endpoint(&cfg(&[("AWS_REGION", "cn-north-1")]), &empty).unwrap();
        assert_eq!(ep.url, "https://sts.cn-north-1.amazonaws.com.cn");
        let ep = sts_endpoint(
            &cfg(&[
                ("AWS_REGION", "us-gov-west-1"),
                ("AWS_USE_FIPS_ENDPOINT", "true"),
            ]),
            &empty,
        )
        .unwrap();
        assert_eq!(ep.url, "https://sts-fips.us-gov-west-1.amazonaws.com");
        let ep = sts_endpoint(
            &cfg(&[
                ("AWS_REGION", "eu-west-1"),
                ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9/"),
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:8"),
            ]),
            &empty,
        )
        .unwrap();
        assert_eq!(ep.url, "http://127.0.0.1:9");
        assert_eq!(ep.signing_region, "eu-west-1");
        let prof = ProfileSet::from_texts(
            Some((
                Path::new("c"),
                "[default]\nregion = ap-south-1\nservices = s\n[services s]\nsts =\n  endpoint_url = http://localhost:7\n",
            )),
            None,
            "default",
        )
        .unwrap();
        let ep = sts_endpoint(&cfg(&[]), &prof).unwrap();
        assert_eq!(ep.url, "http://localhost:7");
        assert_eq!(ep.signing_region, "ap-south-1");
        assert!(sts_endpoint(&cfg(&[("AWS_REGION", "bad/region")]), &empty).is_err());
    }

    #[test]
    fn parses_success_and_errors() {
        let ok = "<AssumeRoleResponse><AssumeRoleResult><Credentials>\
            <AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>SECRETX</SecretAccessKey>\
            <SessionToken>TOKENX</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration>\
            </Credentials></AssumeRoleResult></AssumeRoleResponse>";
        let c = parse_response(200, ok, "AssumeRole", "arn:r").unwrap();
        assert_eq!(c.access_key_id(), "ASIAX");
        assert_eq!(c.session_token(), Some("TOKENX"));
        assert_eq!(c.expiry(), time::parse_rfc3339("2030-01-01T00:00:00Z").ok());

        let err = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>\
            <Message>not authorized to perform sts:AssumeRole</Message></Error>\
            <RequestId>rid-7</RequestId></ErrorResponse>";
        let e = parse_response(403, err, "AssumeRole", "arn:r").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Credentials);
        assert_eq!(e.code(), Some("AccessDenied"));
        assert_eq!(e.request_id(), Some("rid-7"));
        assert!(!e.is_retryable());
        assert!(e.to_string().contains("not authorized"), "{e}");
        let e = parse_response(503, "<html>", "AssumeRole", "arn:r").unwrap_err();
        assert!(e.is_retryable());
        // 200 without a complete Credentials element, or a bad expiration, is an error that
        // does not echo the body.
        for body in [
            "",
            "<Credentials><AccessKeyId>A</AccessKeyId></Credentials>",
            &ok.replace("2030-01-01T00:00:00Z", "soon"),
        ] {
            let e = parse_response(200, body, "AssumeRole", "arn:r").unwrap_err();
            assert!(!e.to_string().contains("SECRETX"), "{e}");
        }
    }
}
