//! IAM Identity Center (SSO) role credentials: the access token `aws sso login` caches in
//! `~/.aws/sso/cache/<sha1 of the session name or start URL>.json`, exchanged through the portal's
//! `GetRoleCredentials` call (`GET /federation/credentials?role_name=…&account_id=…` with the
//! `x-amz-sso_bearer_token` header).
//!
//! The portal endpoint is `AWS_ENDPOINT_URL_SSO` > `AWS_ENDPOINT_URL` > the profile's
//! `[services]` `sso` entry > profile `endpoint_url`, else
//! `https://portal.sso.{sso_region}.{partition suffix}`. An expired or missing cached token is an
//! error telling the user to run `aws sso login` (this library does not refresh it).

use std::path::PathBuf;
use std::time::SystemTime;

use serde::Deserialize;
use zeroize::{Zeroize, Zeroizing};

use super::sha1::sha1_hex;
use super::{excerpt, time, Credentials, CredentialsContext, ProviderConfig};
use crate::endpoint;
use crate::error::{Error, Result};
use crate::profile::{read_file_capped, ProfileSet, Section, MAX_TOKEN_FILE};

/// A resolved SSO configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SsoConfig {
    /// The sso-session name, for `sso_session` profiles.
    pub(crate) session_name: Option<String>,
    pub(crate) start_url: String,
    pub(crate) sso_region: String,
    pub(crate) account_id: String,
    pub(crate) role_name: String,
}

impl SsoConfig {
    fn cache_key(&self) -> &str {
        self.session_name.as_deref().unwrap_or(&self.start_url)
    }

    fn login_hint(&self, profile: &str) -> String {
        match &self.session_name {
            Some(s) => format!("run `aws sso login --sso-session {s}` (or `--profile {profile}`)"),
            None => format!("run `aws sso login --profile {profile}`"),
        }
    }
}

/// Whether the profile asks for SSO at all.
pub(crate) fn is_sso_profile(p: &Section) -> bool {
    [
        "sso_session",
        "sso_start_url",
        "sso_account_id",
        "sso_role_name",
    ]
    .iter()
    .any(|k| p.get(k).is_some())
}

/// Validate and gather the SSO settings of profile `p`.
pub(crate) fn sso_config(profiles: &ProfileSet, p: &Section) -> Result<SsoConfig> {
    let name = p.name();
    let need = |k: &str| {
        p.get(k).map(str::to_string).ok_or_else(|| {
            Error::credentials(format!("profile `{name}` uses SSO but has no `{k}`"))
        })
    };
    let account_id = need("sso_account_id")?;
    let role_name = need("sso_role_name")?;
    match p.get("sso_session") {
        Some(session) => {
            let s = profiles.sso_session(session).ok_or_else(|| {
                Error::credentials(format!(
                    "profile `{name}` refers to `[sso-session {session}]`, which does not exist"
                ))
            })?;
            let from_session = |k: &str| {
                s.get(k).map(str::to_string).ok_or_else(|| {
                    Error::credentials(format!("`[sso-session {session}]` has no `{k}`"))
                })
            };
            let start_url = from_session("sso_start_url")?;
            let sso_region = from_session("sso_region")?;
            for (k, v) in [("sso_start_url", &start_url), ("sso_region", &sso_region)] {
                if let Some(pv) = p.get(k) {
                    if pv != v {
                        return Err(Error::credentials(format!(
                            "profile `{name}` sets `{k}` differently from `[sso-session {session}]`"
                        )));
                    }
                }
            }
            Ok(SsoConfig {
                session_name: Some(session.to_string()),
                start_url,
                sso_region,
                account_id,
                role_name,
            })
        }
        None => Ok(SsoConfig {
            session_name: None,
            start_url: need("sso_start_url")?,
            sso_region: need("sso_region")?,
            account_id,
            role_name,
        }),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CachedToken {
    access_token: Option<String>,
    expires_at: Option<String>,
}

impl Drop for CachedToken {
    fn drop(&mut self) {
        self.access_token.zeroize();
    }
}

/// The token cache file of a configuration.
pub(crate) fn cache_file(cfg: &ProviderConfig, sso: &SsoConfig) -> Result<PathBuf> {
    let home = cfg.env.home_dir().ok_or_else(|| {
        Error::credentials("cannot find the SSO token cache: no home directory (HOME)")
    })?;
    Ok(home
        .join(".aws")
        .join("sso")
        .join("cache")
        .join(format!("{}.json", sha1_hex(sso.cache_key().as_bytes()))))
}

/// Read the cached access token; errors say how to log in again.
pub(crate) fn cached_token(
    cfg: &ProviderConfig,
    sso: &SsoConfig,
    profile: &str,
    now: SystemTime,
) -> Result<Zeroizing<String>> {
    let path = cache_file(cfg, sso)?;
    let hint = sso.login_hint(profile);
    let bytes = Zeroizing::new(read_file_capped(&path, MAX_TOKEN_FILE).map_err(|e| {
        Error::credentials(format!(
            "no cached SSO token for profile `{profile}` ({}: {e}); {hint}",
            path.display()
        ))
    })?);
    let mut t: CachedToken = serde_json::from_slice(&bytes).map_err(|_| {
        Error::credentials(format!(
            "the cached SSO token {} is not valid JSON; {hint}",
            path.display()
        ))
    })?;
    let token = t
        .access_token
        .take()
        .filter(|s| !s.is_empty())
        .map(Zeroizing::new)
        .ok_or_else(|| {
            Error::credentials(format!(
                "the cached SSO token {} has no accessToken; {hint}",
                path.display()
            ))
        })?;
    let expires = t
        .expires_at
        .as_deref()
        .ok_or("no expiresAt".to_string())
        .and_then(|e| time::parse_rfc3339(e).map_err(|e| format!("an expiresAt that is {e}")))
        .map_err(|what| {
            Error::credentials(format!(
                "the cached SSO token {} has {what}; {hint}",
                path.display()
            ))
        })?;
    if expires <= now {
        return Err(Error::credentials(format!(
            "the SSO session for profile `{profile}` has expired; {hint}"
        )));
    }
    Ok(token)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleCredentialsResponse {
    role_credentials: Option<RoleCredentials>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleCredentials {
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
    expiration: Option<i64>,
}

/// `GetRoleCredentials` for profile `profile_name`.
pub(crate) fn get_role_credentials(
    ctx: &CredentialsContext,
    cfg: &ProviderConfig,
    profiles: &ProfileSet,
    sso: &SsoConfig,
    profile_name: &str,
) -> Result<Credentials> {
    let token = cached_token(cfg, sso, profile_name, SystemTime::now())?;
    endpoint::validate_region(&sso.sso_region)?;
    let base = match endpoint::configured_endpoint_url_for(&cfg.env, None, profiles, "SSO", "sso")?
    {
        Some(u) => u,
        None => format!(
            "https://portal.sso.{}.{}",
            sso.sso_region,
            endpoint::partition_of(&sso.sso_region).dns_suffix
        ),
    };
    let url = format!(
        "{base}/federation/credentials?role_name={}&account_id={}",
        super::http::form_encode(&sso.role_name),
        super::http::form_encode(&sso.account_id)
    );
    let http = cfg.service_http()?;
    let resp = http.send(
        ctx,
        "SSO GetRoleCredentials",
        "GET",
        &url,
        &[("x-amz-sso_bearer_token", token.as_str())],
        None,
    )?;
    if !resp.is_success() {
        let body: serde_json::Value = serde_json::from_slice(&resp.body).unwrap_or_default();
        let msg = body
            .get("message")
            .or_else(|| body.get("Message"))
            .and_then(|m| m.as_str())
            .map(excerpt)
            .unwrap_or_default();
        let hint = if matches!(resp.status, 401 | 403) {
            format!("; {}", sso.login_hint(profile_name))
        } else {
            String::new()
        };
        return Err(Error::credentials(format!(
            "SSO GetRoleCredentials for account {} role {} failed with HTTP {}{}{hint}",
            sso.account_id,
            sso.role_name,
            resp.status,
            if msg.is_empty() {
                String::new()
            } else {
                format!(": {msg}")
            }
        ))
        .with_http_status(resp.status)
        .with_retryable(resp.status >= 500 || resp.status == 429));
    }
    let bad = || {
        Error::credentials(format!(
            "SSO GetRoleCredentials for account {} role {} returned an unexpected body",
            sso.account_id, sso.role_name
        ))
    };
    let r: RoleCredentialsResponse = serde_json::from_slice(&resp.body).map_err(|_| bad())?;
    let rc = r.role_credentials.ok_or_else(bad)?;
    let id = rc.access_key_id.filter(|s| !s.is_empty()).ok_or_else(bad)?;
    let secret = rc
        .secret_access_key
        .filter(|s| !s.is_empty())
        .ok_or_else(bad)?;
    let expiry = rc
        .expiration
        .and_then(time::from_epoch_millis)
        .ok_or_else(bad)?;
    Ok(
        Credentials::new(id, secret, rc.session_token.filter(|s| !s.is_empty()))
            .with_expiry(Some(expiry))
            .with_provider_name("sso"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Env;
    use std::path::Path;

    fn set(cfg: &str, sel: &str) -> ProfileSet {
        ProfileSet::from_texts(Some((Path::new("c"), cfg)), None, sel).unwrap()
    }

    #[test]
    fn session_and_legacy_configs() {
        let s = set(
            "[profile a]\nsso_session = corp\nsso_account_id = 111\nsso_role_name = R\n\
             [sso-session corp]\nsso_start_url = https://x/start\nsso_region = eu-west-1\n\
             [profile b]\nsso_start_url = https://y/start\nsso_region = us-east-2\nsso_account_id = 2\nsso_role_name = Q\n\
             [profile c]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\nsso_region = us-west-2\n\
             [profile d]\nsso_start_url = https://y\nsso_account_id = 2\n\
             [profile e]\nsso_session = nope\nsso_account_id = 1\nsso_role_name = R\n",
            "a",
        );
        let a = sso_config(&s, s.profile("a").unwrap()).unwrap();
        assert_eq!(a.session_name.as_deref(), Some("corp"));
        assert_eq!(a.sso_region, "eu-west-1");
        assert_eq!(a.cache_key(), "corp");
        let b = sso_config(&s, s.profile("b").unwrap()).unwrap();
        assert_eq!(b.cache_key(), "https://y/start");
        for (p, needle) in [
            ("c", "differently"),
            ("d", "sso_role_name"),
            ("e", "does not exist"),
        ] {
            let e = sso_config(&s, s.profile(p).unwrap()).unwrap_err();
            assert!(e.to_string().contains(needle), "{p}: {e}");
        }
    }

    #[test]
    fn cached_token_states() {
        let home = std::env::temp_dir().join(format!("bs-sso-{}", std::process::id()));
        let cache = home.join(".aws/sso/cache");
        std::fs::create_dir_all(&cache).unwrap();
        let cfg = ProviderConfig::new(Env::from_pairs([("HOME", home.to_str().unwrap())]));
        let sso = SsoConfig {
            session_name: Some("dev".into()),
            start_url: "https://x".into(),
            sso_region: "us-east-1".into(),
            account_id: "1".into(),
            role_name: "R".into(),
        };
        let file = cache.join("34c6fceca75e456f25e7e99531e2425c6c1de443.json");
        assert_eq!(cache_file(&cfg, &sso).unwrap(), file);
        let now = time::parse_rfc3339("2025-01-01T00:00:00Z").unwrap();
        let e = cached_token(&cfg, &sso, "p", now).unwrap_err();
        assert!(
            e.to_string().contains("aws sso login --sso-session dev"),
            "{e}"
        );
        std::fs::write(
            &file,
            r#"{"accessToken":"TOKSECRET","expiresAt":"2024-12-31T23:59:59Z"}"#,
        )
        .unwrap();
        let e = cached_token(&cfg, &sso, "p", now).unwrap_err();
        assert!(
            e.to_string().contains("expired") && !e.to_string().contains("TOKSECRET"),
            "{e}"
        );
        std::fs::write(
            &file,
            r#"{"accessToken":"TOKSECRET","expiresAt":"2025-01-01T01:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(
            cached_token(&cfg, &sso, "p", now).unwrap().as_str(),
            "TOKSECRET"
        );
        std::fs::write(&file, "TOKSECRET").unwrap();
        let e = cached_token(&cfg, &sso, "p", now).unwrap_err();
        assert!(!e.to_string().contains("TOKSECRET"), "{e}");
        std::fs::remove_dir_all(&home).unwrap();
    }
}
