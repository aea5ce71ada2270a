//! Amazon Bedrock API keys (`Authorization: Bearer …`) and how they compete with SigV4.

use std::fmt;
use std::sync::Arc;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::ProvideCredentials;
use crate::error::{Error, Result};
use crate::profile::Env;

/// The environment variable botocore derives for the signing name `bedrock`.
pub(crate) const BEARER_ENV: &str = "AWS_BEARER_TOKEN_BEDROCK";

/// An Amazon Bedrock API key, sent as `Authorization: Bearer <token>`. `Debug` never shows it;
/// it is overwritten with zeros when dropped ([`ZeroizeOnDrop`]).
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(String);

impl Zeroize for BearerToken {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl Drop for BearerToken {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for BearerToken {}

impl BearerToken {
    /// A token; it must be non-empty and free of control characters (CR/LF would split the
    /// header) and surrounding whitespace is removed.
    pub fn new(token: impl Into<String>) -> Result<BearerToken> {
        let t = zeroize::Zeroizing::new(token.into());
        let trimmed = t.trim();
        if trimmed.is_empty() {
            return Err(Error::credentials("the bearer token is empty"));
        }
        if trimmed.chars().any(|c| c.is_control()) {
            return Err(Error::credentials(
                "the bearer token contains control characters",
            ));
        }
        Ok(BearerToken(trimmed.to_string()))
    }

    /// `AWS_BEARER_TOKEN_BEDROCK`: `Ok(None)` when unset, an error when set but empty or
    /// invalid (a set-but-broken token never silently falls back to other credentials).
    pub fn from_env() -> Result<Option<BearerToken>> {
        bearer_from_env(&Env::real())
    }

    /// The token (secret).
    pub fn token(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(** redacted **)")
    }
}

pub(crate) fn bearer_from_env(env: &Env) -> Result<Option<BearerToken>> {
    match env.get_raw(BEARER_ENV) {
        None => Ok(None),
        Some(v) => BearerToken::new(v).map(Some).map_err(|e| {
            Error::credentials(format!(
                "{BEARER_ENV} is set but unusable ({}); unset it, or disable the environment \
                 bearer token in the client configuration",
                e.message()
            ))
        }),
    }
}

/// What the application configured in code.
#[derive(Clone, Default)]
pub(crate) struct AuthSettings {
    pub(crate) bearer: Option<BearerToken>,
    pub(crate) credentials: Option<Arc<dyn ProvideCredentials>>,
    /// Ignore `AWS_BEARER_TOKEN_BEDROCK` (for example when a stale key would shadow the role).
    pub(crate) ignore_env_bearer: bool,
    /// A profile was named in code: it wins over `AWS_BEARER_TOKEN_BEDROCK` (and, in the
    /// chain, over the environment's keys), as the AWS CLI does with `--profile`.
    pub(crate) explicit_profile: bool,
}

impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSettings")
            .field("bearer", &self.bearer)
            .field("credentials", &self.credentials)
            .field("ignore_env_bearer", &self.ignore_env_bearer)
            .field("explicit_profile", &self.explicit_profile)
            .finish()
    }
}

/// The authentication a client uses.
#[derive(Clone, Debug)]
pub(crate) enum AuthChoice {
    /// `Authorization: Bearer`.
    Bearer(BearerToken),
    /// SigV4 with these credentials.
    SigV4(Arc<dyn ProvideCredentials>),
}

/// Precedence: explicit bearer token > explicit AWS credentials > `AWS_BEARER_TOKEN_BEDROCK`
/// (unless ignored, or a profile was named in code) > `chain()` (environment credentials and the
/// rest of the default chain). `chain` is only called when needed.
pub(crate) fn resolve_auth(
    settings: &AuthSettings,
    env: &Env,
    chain: impl FnOnce() -> Arc<dyn ProvideCredentials>,
) -> Result<AuthChoice> {
    if let Some(b) = &settings.bearer {
        return Ok(AuthChoice::Bearer(b.clone()));
    }
    if let Some(c) = &settings.credentials {
        return Ok(AuthChoice::SigV4(c.clone()));
    }
    if !settings.ignore_env_bearer && !settings.explicit_profile {
        if let Some(b) = bearer_from_env(env)? {
            return Ok(AuthChoice::Bearer(b));
        }
    }
    Ok(AuthChoice::SigV4(chain()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Credentials;

    fn chain() -> Arc<dyn ProvideCredentials> {
        Arc::new(Credentials::new("CHAIN", "x", None))
    }

    fn kind(a: &AuthChoice) -> String {
        match a {
            AuthChoice::Bearer(b) => format!("bearer:{}", b.token()),
            AuthChoice::SigV4(p) => {
                format!("sigv4:{}", p.provide_credentials().unwrap().access_key_id())
            }
        }
    }

    #[test]
    fn precedence_every_pair() {
        let env_tok = Env::from_pairs([(BEARER_ENV, "envtok")]);
        let none = Env::from_pairs::<&str, &str>([]);
        let explicit_b = Some(BearerToken::new("explicit").unwrap());
        let explicit_c: Option<Arc<dyn ProvideCredentials>> =
            Some(Arc::new(Credentials::new("EXPLICIT", "x", None)));
        let s = |b: bool, c: bool, ignore: bool| AuthSettings {
            bearer: if b { explicit_b.clone() } else { None },
            credentials: if c { explicit_c.clone() } else { None },
            ignore_env_bearer: ignore,
            explicit_profile: false,
        };
        let r = |st: AuthSettings, env: &Env| kind(&resolve_auth(&st, env, chain).unwrap());
        // explicit bearer > explicit credentials
        assert_eq!(r(s(true, true, false), &env_tok), "bearer:explicit");
        // explicit bearer > env bearer
        assert_eq!(r(s(true, false, false), &env_tok), "bearer:explicit");
        // explicit credentials > env bearer
        assert_eq!(r(s(false, true, false), &env_tok), "sigv4:EXPLICIT");
        // env bearer > chain
        assert_eq!(r(s(false, false, false), &env_tok), "bearer:envtok");
        // env bearer disabled → chain
        assert_eq!(r(s(false, false, true), &env_tok), "sigv4:CHAIN");
        // nothing → chain
        assert_eq!(r(s(false, false, false), &none), "sigv4:CHAIN");
        // an explicit profile → chain, whatever the environment's token
        let named = AuthSettings {
            explicit_profile: true,
            ..s(false, false, false)
        };
        assert_eq!(r(named.clone(), &env_tok), "sigv4:CHAIN");
        // ... but code-given credentials still come first
        let named_b = AuthSettings {
            explicit_profile: true,
            ..s(true, false, false)
        };
        assert_eq!(r(named_b, &env_tok), "bearer:explicit");
    }

    #[test]
    fn bearer_token_is_zeroized_on_drop() {
        fn zeroize_on_drop<T: ZeroizeOnDrop>() {}
        zeroize_on_drop::<BearerToken>();
        let mut b = BearerToken::new("bedrock-api-key-SECRET").unwrap();
        b.zeroize();
        assert_eq!(b.token(), "");
    }

    #[test]
    fn broken_env_token_is_an_error_not_a_fallback() {
        for bad in ["", "  ", "a\r\nX-Injected: 1"] {
            let env = Env::from_pairs([(BEARER_ENV, bad)]);
            let e = resolve_auth(&AuthSettings::default(), &env, chain).unwrap_err();
            assert!(e.to_string().contains(BEARER_ENV), "{e}");
            assert!(!e.to_string().contains("X-Injected"), "{e}");
        }
        // ... unless it is ignored
        let env = Env::from_pairs([(BEARER_ENV, "")]);
        let st = AuthSettings {
            ignore_env_bearer: true,
            ..AuthSettings::default()
        };
        assert!(matches!(
            resolve_auth(&st, &env, chain).unwrap(),
            AuthChoice::SigV4(_)
        ));
    }

    #[test]
    fn debug_redacts() {
        let b = BearerToken::new(" bedrock-api-key-SECRET ").unwrap();
        assert_eq!(b.token(), "bedrock-api-key-SECRET");
        assert!(!format!("{b:?}").contains("SECRET"));
        let st = AuthSettings {
            bearer: Some(b),
            ..AuthSettings::default()
        };
        assert!(!format!("{st:?}").contains("SECRET"));
    }
}
