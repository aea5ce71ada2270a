//! `AssumeRoleWithWebIdentity` from `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`
//! (+ `AWS_ROLE_SESSION_NAME`): EKS IAM Roles for Service Accounts, GitHub Actions OIDC, ...

use std::path::{Path, PathBuf};

use super::sts::{assume_role_with_web_identity, sts_endpoint};
use zeroize::Zeroizing;

use super::{Credentials, CredentialsContext, Loaded, ProvideCredentials, ProviderConfig};
use crate::error::{Error, Result};
use crate::profile::{read_file_capped, MAX_TOKEN_FILE};

/// Web identity federation through STS `AssumeRoleWithWebIdentity`.
///
/// [`WebIdentityProvider::from_env`] reads the standard variables at each call; the token file
/// is re-read at each call too (Kubernetes rotates it). A token file that is set but unreadable
/// or empty is an error. Each call is an STS request: wrap it in a
/// [`CachingProvider`](super::CachingProvider) (the [`DefaultChain`](super::DefaultChain) does).
#[derive(Debug, Clone)]
pub struct WebIdentityProvider {
    source: Source,
    cfg: ProviderConfig,
}

#[derive(Debug, Clone)]
enum Source {
    Env,
    Explicit {
        role_arn: String,
        token_file: PathBuf,
        session_name: Option<String>,
    },
}

impl WebIdentityProvider {
    /// From `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN` and `AWS_ROLE_SESSION_NAME`.
    pub fn from_env() -> Self {
        WebIdentityProvider {
            source: Source::Env,
            cfg: ProviderConfig::default(),
        }
    }

    /// An explicit role and token file.
    pub fn new(role_arn: impl Into<String>, token_file: impl Into<PathBuf>) -> Self {
        WebIdentityProvider {
            source: Source::Explicit {
                role_arn: role_arn.into(),
                token_file: token_file.into(),
                session_name: None,
            },
            cfg: ProviderConfig::default(),
        }
    }

    /// The `RoleSessionName` (explicit providers; default `bedrock-stream-<unix millis>`).
    pub fn session_name(mut self, name: impl Into<String>) -> Self {
        if let Source::Explicit { session_name, .. } = &mut self.source {
            *session_name = Some(name.into());
        }
        self
    }

    /// The region whose STS endpoint is called.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.cfg.region = Some(region.into());
        self
    }

    pub(crate) fn with_config(mut self, cfg: ProviderConfig) -> Self {
        self.cfg = cfg;
        self
    }

    pub(crate) fn load(&self, ctx: &CredentialsContext) -> Result<Loaded> {
        let (role_arn, token_file, session_name) = match &self.source {
            Source::Explicit {
                role_arn,
                token_file,
                session_name,
            } => (role_arn.clone(), token_file.clone(), session_name.clone()),
            Source::Env => {
                let env = &self.cfg.env;
                let Some(file) = env.get("AWS_WEB_IDENTITY_TOKEN_FILE") else {
                    return Ok(Loaded::NotConfigured(
                        "AWS_WEB_IDENTITY_TOKEN_FILE is not set".into(),
                    ));
                };
                let Some(role) = env.get("AWS_ROLE_ARN") else {
                    return Err(Error::credentials(
                        "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not",
                    ));
                };
                (
                    role,
                    env.expand_tilde(&file),
                    env.get("AWS_ROLE_SESSION_NAME"),
                )
            }
        };
        let token = read_token_file(&token_file)?;
        let profiles = self.cfg.profiles()?;
        let ep = sts_endpoint(&self.cfg, &profiles)?;
        let creds = assume_role_with_web_identity(
            ctx,
            &self.cfg.service_http()?,
            &ep,
            &role_arn,
            session_name.as_deref(),
            &token,
        )?;
        Ok(Loaded::Found(creds))
    }
}

/// Read a web identity token file (at most [`MAX_TOKEN_FILE`]): trimmed, non-empty.
pub(crate) fn read_token_file(path: &Path) -> Result<Zeroizing<String>> {
    read_trimmed_token(path, "the web identity token file")
}

/// Read a token file (at most [`MAX_TOKEN_FILE`], UTF-8): trimmed, non-empty. `what` names it
/// in errors; the contents never appear in them.
pub(crate) fn read_trimmed_token(path: &Path, what: &str) -> Result<Zeroizing<String>> {
    let raw =
        Zeroizing::new(read_file_capped(path, MAX_TOKEN_FILE).map_err(|e| {
            Error::credentials(format!("cannot read {what} {}: {e}", path.display()))
        })?);
    let text = std::str::from_utf8(&raw)
        .map_err(|_| Error::credentials(format!("{what} {} is not valid UTF-8", path.display())))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(Error::credentials(format!(
            "{what} {} is empty",
            path.display()
        )));
    }
    Ok(Zeroizing::new(token.to_string()))
}

impl ProvideCredentials for WebIdentityProvider {
    fn provide_credentials(&self) -> Result<Credentials> {
        self.provide_credentials_with(&CredentialsContext::new())
    }

    fn provide_credentials_with(&self, ctx: &CredentialsContext) -> Result<Credentials> {
        self.load(ctx)?
            .or_not_configured("web identity is not configured")
    }
}
