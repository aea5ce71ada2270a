//! [`DefaultChain`]: the standard order of credential sources.

use std::sync::Arc;

use super::cache::CachingProvider;
use super::container::ContainerProvider;
use super::http::HttpSettings;
use super::imds::ImdsProvider;
use super::profile_provider::ProfileProvider;
use super::web_identity::WebIdentityProvider;
use super::{
    load_env_credentials, Credentials, CredentialsContext, Loaded, ProvideCredentials,
    ProviderConfig,
};
use crate::error::{Error, Result};

/// The default credential chain, cached by a [`CachingProvider`]:
///
/// 1. environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`);
/// 2. web identity (`AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`, `AWS_ROLE_SESSION_NAME`);
/// 3. the shared-files profile (`AWS_PROFILE` or the one given, else `default`);
/// 4. the ECS / EKS container endpoint;
/// 5. EC2 instance metadata (IMDSv2).
///
/// A source that is configured but fails (a half-set key pair, an unreadable token file, an STS
/// error, a broken profile) stops the chain with its error: it never falls through to a later,
/// possibly broader, principal. When no source is configured, the error lists why each one was
/// skipped.
///
/// An explicit profile ([`DefaultChain::with_profile`], `ClientBuilder::profile`, the CLI's
/// `--profile`, `bedrock_stream_config_set_profile`) wins over the environment, as in the AWS
/// CLI and botocore: sources 1 and 2 are skipped, so `AWS_ACCESS_KEY_ID` & co. and
/// `AWS_WEB_IDENTITY_TOKEN_FILE` never sign in its place. (`AWS_PROFILE` is not explicit: the
/// environment keys still come first.)
#[derive(Debug, Clone)]
pub struct DefaultChain {
    inner: Arc<CachingProvider>,
}

#[derive(Debug)]
struct Chain {
    cfg: ProviderConfig,
}

impl Default for DefaultChain {
    fn default() -> Self {
        DefaultChain::new()
    }
}

impl DefaultChain {
    /// The chain with the profile from `AWS_PROFILE` (else `default`).
    pub fn new() -> Self {
        DefaultChain::with_config(ProviderConfig::default())
    }

    /// The chain with an explicit profile name (overrides `AWS_PROFILE`; it must exist).
    pub fn with_profile(name: impl Into<String>) -> Self {
        DefaultChain::with_config(ProviderConfig::default().with_profile_name(Some(name.into())))
    }

    /// The chain for settings (crate-internal: the client passes its profile, region and the
    /// TLS / proxy settings for STS and SSO).
    pub(crate) fn with_config(cfg: ProviderConfig) -> Self {
        DefaultChain {
            inner: Arc::new(CachingProvider::new(Chain { cfg })),
        }
    }

    /// Settings for the client: explicit profile name, region, and STS/SSO HTTP settings.
    pub(crate) fn for_client(
        profile: Option<String>,
        region: Option<String>,
        http: Option<HttpSettings>,
    ) -> Self {
        let mut cfg = ProviderConfig::default()
            .with_profile_name(profile)
            .with_region(region);
        if let Some(h) = http {
            cfg = cfg.with_service_http(h);
        }
        DefaultChain::with_config(cfg)
    }
}

impl ProvideCredentials for DefaultChain {
    fn provide_credentials(&self) -> Result<Credentials> {
        self.inner.provide_credentials()
    }

    fn provide_credentials_with(&self, ctx: &CredentialsContext) -> Result<Credentials> {
        self.inner.provide_credentials_with(ctx)
    }
}

impl ProvideCredentials for Chain {
    fn provide_credentials(&self) -> Result<Credentials> {
        self.provide_credentials_with(&CredentialsContext::new())
    }

    fn provide_credentials_with(&self, ctx: &CredentialsContext) -> Result<Credentials> {
        let cfg = &self.cfg;
        let mut skipped = Vec::new();
        let explicit_profile = cfg.explicit_profile();
        if let Some(p) = explicit_profile {
            skipped.push(format!(
                "environment and web identity: not used with the explicit profile `{p}`"
            ));
        } else {
            match load_env_credentials(&cfg.env)? {
                Some(c) => return Ok(c),
                None => skipped.push("environment: AWS_ACCESS_KEY_ID is not set".to_string()),
            }
        }
        let web_identity = || -> Result<Loaded> {
            if explicit_profile.is_some() {
                return Ok(Loaded::NotConfigured(String::new()));
            }
            WebIdentityProvider::from_env()
                .with_config(cfg.clone())
                .load(ctx)
        };
        let sources: [(&str, &dyn Fn() -> Result<Loaded>); 4] = [
            ("web identity", &web_identity),
            ("profile", &|| {
                ProfileProvider::new().with_config(cfg.clone()).load(ctx)
            }),
            ("container", &|| {
                ContainerProvider::new().with_config(cfg.clone()).load(ctx)
            }),
            ("IMDS", &|| {
                ImdsProvider::new().with_config(cfg.clone()).load(ctx)
            }),
        ];
        for (name, load) in sources {
            match load() {
                Ok(Loaded::Found(c)) => return Ok(c),
                Ok(Loaded::NotConfigured(why)) if why.is_empty() => {}
                Ok(Loaded::NotConfigured(why)) => skipped.push(format!("{name}: {why}")),
                Err(e) if matches!(e.kind(), crate::ErrorKind::Cancelled) => return Err(e),
                Err(e) => {
                    let msg = format!("{name} credentials: {}", e.message());
                    return Err(e.with_message(msg));
                }
            }
        }
        Err(Error::credentials(format!(
            "no AWS credentials found ({})",
            skipped.join("; ")
        )))
    }
}
