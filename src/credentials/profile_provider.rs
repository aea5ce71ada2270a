//! Credentials from the shared `config` / `credentials` files.
//!
//! The selected profile is resolved into a chain, as the AWS CLI and SDKs do:
//!
//! 1. A profile with `role_arn` (and no `web_identity_token_file`) is a role to assume with the
//!    credentials of its `source_profile` (followed recursively; a cycle is an error, except a
//!    profile naming itself, which then uses its own static keys) or of its `credential_source`
//!    (`Environment`, `Ec2InstanceMetadata`, `EcsContainer`). Setting both, or neither, is an
//!    error.
//! 2. From the second profile of the chain on, static keys win over that profile's own
//!    `role_arn`.
//! 3. The base of the chain is, by priority: `role_arn` + `web_identity_token_file` (STS
//!    `AssumeRoleWithWebIdentity`), SSO (`sso_session` or the legacy `sso_start_url` keys),
//!    static keys (`aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`),
//!    `credential_process`.
//!
//! Roles are then assumed one after the other through STS `AssumeRole` (`external_id`,
//! `role_session_name`, `duration_seconds` of each profile). `mfa_serial` is refused: a library
//! cannot prompt for the code. A profile with none of these keys is "not configured" (the
//! [`DefaultChain`](super::DefaultChain) moves on); every other problem is an error.

use super::container::ContainerProvider;
use super::imds::ImdsProvider;
use super::process::run_credential_process;
use super::sso::{get_role_credentials, is_sso_profile, sso_config, SsoConfig};
use super::sts::{assume_role, assume_role_with_web_identity, sts_endpoint, AssumeRoleParams};
use super::web_identity::read_token_file;
use super::{
    load_env_credentials, Credentials, CredentialsContext, Loaded, ProvideCredentials,
    ProviderConfig, DEFAULT_PROCESS_TIMEOUT,
};
use crate::error::{Error, Result};
use crate::profile::{ProfileSet, Section};

/// Keys that make a profile a credential source.
const CREDENTIAL_KEYS: &[&str] = &[
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "role_arn",
    "source_profile",
    "credential_source",
    "credential_process",
    "web_identity_token_file",
    "sso_session",
    "sso_start_url",
    "sso_account_id",
    "sso_role_name",
];

/// Credentials from a profile of the shared files (`AWS_PROFILE`, else `default`, unless a name is
/// given).
///
/// Files are re-read at each call. Temporary credentials (roles, SSO, processes) are fetched at
/// each call: wrap the provider in a [`CachingProvider`](super::CachingProvider) (the
/// [`DefaultChain`](super::DefaultChain) does).
#[derive(Debug, Clone, Default)]
pub struct ProfileProvider {
    cfg: ProviderConfig,
}

impl ProfileProvider {
    /// The profile named by `AWS_PROFILE`, else `default`.
    pub fn new() -> Self {
        ProfileProvider::default()
    }

    /// Use this profile instead of `AWS_PROFILE` / `default` (it must exist).
    pub fn profile_name(mut self, name: impl Into<String>) -> Self {
        self.cfg.profile_name = Some(name.into());
        self
    }

    /// The region whose STS endpoint is used for roles (default: `AWS_REGION`,
    /// `AWS_DEFAULT_REGION`, the profile's `region`, else the global endpoint).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.cfg.region = Some(region.into());
        self
    }

    pub(crate) fn with_config(mut self, cfg: ProviderConfig) -> Self {
        self.cfg = cfg;
        self
    }

    pub(crate) fn load(&self, ctx: &CredentialsContext) -> Result<Loaded> {
        let profiles = self.cfg.profiles()?;
        let Some(plan) = resolve_chain(&profiles)? else {
            return Ok(Loaded::NotConfigured(format!(
                "profile `{}` has no credentials",
                profiles.selected_name()
            )));
        };
        execute(ctx, &self.cfg, &profiles, &plan).map(Loaded::Found)
    }
}

impl ProvideCredentials for ProfileProvider {
    fn provide_credentials(&self) -> Result<Credentials> {
        self.provide_credentials_with(&CredentialsContext::new())
    }

    fn provide_credentials_with(&self, ctx: &CredentialsContext) -> Result<Credentials> {
        match self.load(ctx)? {
            Loaded::Found(c) => Ok(c),
            Loaded::NotConfigured(why) => Err(Error::credentials(why)),
        }
    }
}

/// A named `credential_source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NamedSource {
    Environment,
    Ec2InstanceMetadata,
    EcsContainer,
}

/// Where the first credentials of the chain come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Base {
    Static {
        profile: String,
        creds: Credentials,
    },
    WebIdentity {
        role_arn: String,
        token_file: String,
        session_name: Option<String>,
    },
    Sso {
        profile: String,
        sso: SsoConfig,
    },
    Process {
        command: String,
    },
    Named(NamedSource),
}

/// One role to assume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoleStep {
    pub(crate) profile: String,
    pub(crate) params: AssumeRoleParams,
}

/// The flattened chain: the base, then the roles in the order they are assumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) base: Base,
    pub(crate) roles: Vec<RoleStep>,
}

fn has_static(p: &Section) -> bool {
    [
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
    ]
    .iter()
    .any(|k| p.get(k).is_some())
}

fn static_creds(p: &Section) -> Result<Credentials> {
    let name = p.name();
    let id = p.get("aws_access_key_id");
    let secret = p.get("aws_secret_access_key");
    match (id, secret) {
        (Some(id), Some(secret)) => {
            Ok(
                Credentials::new(id, secret, p.get("aws_session_token").map(str::to_string))
                    .with_provider_name("profile"),
            )
        }
        (None, _) => Err(Error::credentials(format!(
            "profile `{name}` has no `aws_access_key_id`"
        ))),
        (_, None) => Err(Error::credentials(format!(
            "profile `{name}` has `aws_access_key_id` but no `aws_secret_access_key`"
        ))),
    }
}

fn role_step(p: &Section, role_arn: &str) -> Result<RoleStep> {
    if p.get("mfa_serial").is_some() {
        return Err(Error::credentials(format!(
            "profile `{}` sets `mfa_serial`: assuming that role needs an MFA code, which this \
             library cannot prompt for",
            p.name()
        )));
    }
    let duration_seconds = match p.get("duration_seconds") {
        None => None,
        Some(d) => Some(d.parse::<u32>().map_err(|_| {
            Error::credentials(format!(
                "`duration_seconds` of profile `{}` is not a number",
                p.name()
            ))
        })?),
    };
    Ok(RoleStep {
        profile: p.name().to_string(),
        params: AssumeRoleParams {
            role_arn: role_arn.to_string(),
            session_name: p.get("role_session_name").map(str::to_string),
            external_id: p.get("external_id").map(str::to_string),
            duration_seconds,
        },
    })
}

fn named_source(p: &Section, source: &str) -> Result<NamedSource> {
    match source {
        "Environment" => Ok(NamedSource::Environment),
        "Ec2InstanceMetadata" => Ok(NamedSource::Ec2InstanceMetadata),
        "EcsContainer" => Ok(NamedSource::EcsContainer),
        other => Err(Error::credentials(format!(
            "profile `{}` has `credential_source = {}`; expected Environment, \
             Ec2InstanceMetadata or EcsContainer",
            p.name(),
            super::excerpt(other)
        ))),
    }
}

/// The base provider of a profile that is not (or no longer) a role link.
fn base_of(profiles: &ProfileSet, p: &Section) -> Result<Base> {
    let name = p.name();
    if let Some(token_file) = p.get("web_identity_token_file") {
        let role_arn = p.get("role_arn").ok_or_else(|| {
            Error::credentials(format!(
                "profile `{name}` has `web_identity_token_file` but no `role_arn`"
            ))
        })?;
        return Ok(Base::WebIdentity {
            role_arn: role_arn.to_string(),
            token_file: token_file.to_string(),
            session_name: p.get("role_session_name").map(str::to_string),
        });
    }
    if is_sso_profile(p) {
        return Ok(Base::Sso {
            profile: name.to_string(),
            sso: sso_config(profiles, p)?,
        });
    }
    if has_static(p) {
        return Ok(Base::Static {
            profile: name.to_string(),
            creds: static_creds(p)?,
        });
    }
    if let Some(cmd) = p.get("credential_process") {
        return Ok(Base::Process {
            command: cmd.to_string(),
        });
    }
    if p.get("credential_source").is_some() {
        return Err(Error::credentials(format!(
            "profile `{name}` has `credential_source` but no `role_arn`"
        )));
    }
    if p.get("source_profile").is_some() {
        return Err(Error::credentials(format!(
            "profile `{name}` has `source_profile` but no `role_arn`"
        )));
    }
    Err(Error::credentials(format!(
        "profile `{name}` has no credentials (static keys, role_arn, credential_process, SSO or \
         web identity)"
    )))
}

/// Resolve the selected profile into a [`Plan`]; `Ok(None)` when it has no credential keys.
pub(crate) fn resolve_chain(profiles: &ProfileSet) -> Result<Option<Plan>> {
    let selected = profiles.selected_name().to_string();
    match profiles.selected() {
        Some(p) if CREDENTIAL_KEYS.iter().any(|k| p.get(k).is_some()) => {}
        _ => return Ok(None),
    }
    let mut name = selected;
    let mut visited: Vec<String> = Vec::new();
    let mut roles = Vec::new();
    let base = loop {
        let p = profiles.profile(&name).ok_or_else(|| {
            Error::credentials(format!(
                "profile `{name}` (the source_profile of `{}`) does not exist",
                visited.last().map(String::as_str).unwrap_or("?")
            ))
        })?;
        if visited.contains(&name) {
            visited.push(name);
            return Err(Error::credentials(format!(
                "the source_profile chain has a loop: {}",
                visited.join(" -> ")
            )));
        }
        visited.push(name.clone());
        if visited.len() > 1 && has_static(p) {
            break Base::Static {
                profile: name.clone(),
                creds: static_creds(p)?,
            };
        }
        let role_arn = p
            .get("role_arn")
            .filter(|_| p.get("web_identity_token_file").is_none());
        let Some(role_arn) = role_arn else {
            break base_of(profiles, p)?;
        };
        roles.push(role_step(p, role_arn)?);
        match (p.get("source_profile"), p.get("credential_source")) {
            (Some(_), Some(_)) => {
                return Err(Error::credentials(format!(
                    "profile `{name}` sets both `source_profile` and `credential_source`"
                )))
            }
            (None, None) => {
                return Err(Error::credentials(format!(
                    "profile `{name}` has `role_arn` but neither `source_profile` nor \
                     `credential_source`"
                )))
            }
            (Some(src), None) if src == name => {
                if !has_static(p) {
                    return Err(Error::credentials(format!(
                        "profile `{name}` is its own source_profile but has no static keys"
                    )));
                }
                break Base::Static {
                    profile: name.clone(),
                    creds: static_creds(p)?,
                };
            }
            (Some(src), None) => name = src.to_string(),
            (None, Some(source)) => break Base::Named(named_source(p, source)?),
        }
    };
    roles.reverse();
    Ok(Some(Plan { base, roles }))
}

/// Run a plan: get the base credentials, then assume each role in turn.
pub(crate) fn execute(
    ctx: &CredentialsContext,
    cfg: &ProviderConfig,
    profiles: &ProfileSet,
    plan: &Plan,
) -> Result<Credentials> {
    let sts = || -> Result<_> { Ok((sts_endpoint(cfg, profiles)?, cfg.service_http()?)) };
    let mut creds = match &plan.base {
        Base::Static { creds, .. } => creds.clone(),
        Base::WebIdentity {
            role_arn,
            token_file,
            session_name,
        } => {
            let token = read_token_file(&cfg.env.expand_tilde(token_file))?;
            let (ep, http) = sts()?;
            assume_role_with_web_identity(
                ctx,
                &http,
                &ep,
                role_arn,
                session_name.as_deref(),
                &token,
            )?
        }
        Base::Sso { profile, sso } => get_role_credentials(ctx, cfg, profiles, sso, profile)?,
        Base::Process { command } => run_credential_process(command, DEFAULT_PROCESS_TIMEOUT, ctx)?,
        Base::Named(NamedSource::Environment) => {
            load_env_credentials(&cfg.env)?.ok_or_else(|| {
                Error::credentials(
                "credential_source = Environment, but AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY \
                 are not set",
            )
            })?
        }
        Base::Named(NamedSource::Ec2InstanceMetadata) => {
            match ImdsProvider::new().with_config(cfg.clone()).load(ctx)? {
                Loaded::Found(c) => c,
                Loaded::NotConfigured(why) => {
                    return Err(Error::credentials(format!(
                        "credential_source = Ec2InstanceMetadata, but {why}"
                    )))
                }
            }
        }
        Base::Named(NamedSource::EcsContainer) => {
            match ContainerProvider::new()
                .with_config(cfg.clone())
                .load(ctx)?
            {
                Loaded::Found(c) => c,
                Loaded::NotConfigured(why) => {
                    return Err(Error::credentials(format!(
                        "credential_source = EcsContainer, but {why}"
                    )))
                }
            }
        }
    };
    if !plan.roles.is_empty() {
        let (ep, http) = sts()?;
        for step in &plan.roles {
            creds = assume_role(ctx, &http, &ep, &creds, &step.params).map_err(|e| {
                let msg = format!("profile `{}`: {}", step.profile, e.message());
                e.with_message(msg)
            })?;
        }
    }
    Ok(creds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn plan(config: &str, creds: &str, selected: &str) -> Result<Option<Plan>> {
        let set = ProfileSet::from_texts(
            Some((Path::new("config"), config)),
            Some((Path::new("credentials"), creds)),
            selected,
        )
        .unwrap();
        resolve_chain(&set)
    }

    fn roles(p: &Plan) -> Vec<&str> {
        p.roles.iter().map(|r| r.params.role_arn.as_str()).collect()
    }

    #[test]
    fn not_configured_profiles() {
        assert_eq!(plan("", "", "default").unwrap(), None);
        assert_eq!(
            plan("[default]\nregion = us-east-1\n", "", "default").unwrap(),
            None
        );
    }

    #[test]
    fn static_keys_and_partial_keys() {
        let p = plan(
            "",
            "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n",
            "default",
        )
        .unwrap()
        .unwrap();
        assert!(matches!(&p.base, Base::Static { creds, .. } if creds.access_key_id() == "AK"));
        assert!(p.roles.is_empty());
        let e = plan("", "[default]\naws_access_key_id = AK\n", "default").unwrap_err();
        assert!(e.to_string().contains("aws_secret_access_key"), "{e}");
        let e = plan("", "[default]\naws_secret_access_key = SK\n", "default").unwrap_err();
        assert!(!e.to_string().contains("SK\""), "{e}");
    }

    #[test]
    fn role_chain_with_source_profiles() {
        let cfg = "\
[profile a]
role_arn = arn:role/A
source_profile = b
external_id = ext
role_session_name = sess
duration_seconds = 900
[profile b]
role_arn = arn:role/B
source_profile = c
[profile c]
aws_access_key_id = AKC
aws_secret_access_key = SKC
role_arn = arn:role/ignored-because-static-wins
source_profile = d
";
        let p = plan(cfg, "", "a").unwrap().unwrap();
        assert!(matches!(&p.base, Base::Static { profile, .. } if profile == "c"));
        assert_eq!(roles(&p), vec!["arn:role/B", "arn:role/A"]);
        let a = &p.roles[1].params;
        assert_eq!(a.external_id.as_deref(), Some("ext"));
        assert_eq!(a.session_name.as_deref(), Some("sess"));
        assert_eq!(a.duration_seconds, Some(900));
    }

    #[test]
    fn selected_profile_role_wins_over_its_own_static_keys() {
        let cfg = "[profile a]\nrole_arn = arn:role/A\nsource_profile = b\naws_access_key_id = X\naws_secret_access_key = Y\n\
                   [profile b]\naws_access_key_id = AKB\naws_secret_access_key = SKB\n";
        let p = plan(cfg, "", "a").unwrap().unwrap();
        assert!(matches!(&p.base, Base::Static { profile, .. } if profile == "b"));
        assert_eq!(roles(&p), vec!["arn:role/A"]);
    }

    #[test]
    fn self_reference_and_loops() {
        let p = plan(
            "[profile a]\nrole_arn = arn:role/A\nsource_profile = a\naws_access_key_id = K\naws_secret_access_key = S\n",
            "",
            "a",
        )
        .unwrap()
        .unwrap();
        assert!(matches!(&p.base, Base::Static { profile, .. } if profile == "a"));
        assert_eq!(roles(&p), vec!["arn:role/A"]);
        let e = plan(
            "[profile a]\nrole_arn = arn:role/A\nsource_profile = a\n",
            "",
            "a",
        )
        .unwrap_err();
        assert!(e.to_string().contains("own source_profile"), "{e}");
        let e = plan(
            "[profile a]\nrole_arn = r1\nsource_profile = b\n[profile b]\nrole_arn = r2\nsource_profile = c\n[profile c]\nrole_arn = r3\nsource_profile = a\n",
            "",
            "a",
        )
        .unwrap_err();
        assert!(e.to_string().contains("a -> b -> c -> a"), "{e}");
        let e = plan(
            "[profile a]\nrole_arn = r1\nsource_profile = missing\n",
            "",
            "a",
        )
        .unwrap_err();
        assert!(e.to_string().contains("`missing`"), "{e}");
    }

    #[test]
    fn credential_source_and_conflicts() {
        for (src, want) in [
            ("Environment", NamedSource::Environment),
            ("Ec2InstanceMetadata", NamedSource::Ec2InstanceMetadata),
            ("EcsContainer", NamedSource::EcsContainer),
        ] {
            let p = plan(
                &format!("[default]\nrole_arn = r\ncredential_source = {src}\n"),
                "",
                "default",
            )
            .unwrap()
            .unwrap();
            assert_eq!(p.base, Base::Named(want));
        }
        for (cfg, needle) in [
            ("[default]\nrole_arn = r\ncredential_source = Bogus\n", "expected Environment"),
            ("[default]\nrole_arn = r\ncredential_source = Environment\nsource_profile = x\n", "both"),
            ("[default]\nrole_arn = r\n", "neither"),
            ("[default]\ncredential_source = Environment\n", "no `role_arn`"),
            ("[default]\nsource_profile = x\n", "no `role_arn`"),
            ("[default]\nrole_arn = r\nsource_profile = b\nmfa_serial = arn:mfa\n[profile b]\naws_access_key_id=a\naws_secret_access_key=b\n", "MFA"),
            ("[default]\nweb_identity_token_file = /t\n", "no `role_arn`"),
            ("[default]\nrole_arn = r\nsource_profile = b\nduration_seconds = soon\n[profile b]\naws_access_key_id=a\naws_secret_access_key=b\n", "duration_seconds"),
        ] {
            let e = plan(cfg, "", "default").unwrap_err();
            assert!(e.to_string().contains(needle), "{cfg}: {e}");
        }
    }

    #[test]
    fn base_priorities() {
        // web identity beats everything in the same profile
        let p = plan(
            "[default]\nrole_arn = arn:w\nweb_identity_token_file = /tok\nsource_profile = x\ncredential_process = cmd\n",
            "",
            "default",
        )
        .unwrap()
        .unwrap();
        assert!(matches!(&p.base, Base::WebIdentity { role_arn, .. } if role_arn == "arn:w"));
        assert!(p.roles.is_empty());
        // SSO beats static keys and credential_process
        let p = plan(
            "[default]\nsso_start_url = https://s\nsso_region = us-east-1\nsso_account_id = 1\nsso_role_name = R\ncredential_process = cmd\n",
            "[default]\naws_access_key_id = a\naws_secret_access_key = b\n",
            "default",
        )
        .unwrap()
        .unwrap();
        assert!(matches!(&p.base, Base::Sso { .. }));
        // static keys beat credential_process
        let p = plan(
            "[default]\ncredential_process = cmd\n",
            "[default]\naws_access_key_id = a\naws_secret_access_key = b\n",
            "default",
        )
        .unwrap()
        .unwrap();
        assert!(matches!(&p.base, Base::Static { .. }));
        let p = plan("[default]\ncredential_process = cmd --x\n", "", "default")
            .unwrap()
            .unwrap();
        assert_eq!(
            p.base,
            Base::Process {
                command: "cmd --x".into()
            }
        );
        // a role sourced from an SSO profile
        let p = plan(
            "[profile r]\nrole_arn = arn:r\nsource_profile = s\n[profile s]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n[sso-session corp]\nsso_start_url = https://x\nsso_region = eu-west-1\n",
            "",
            "r",
        )
        .unwrap()
        .unwrap();
        assert!(matches!(&p.base, Base::Sso { profile, .. } if profile == "s"));
        assert_eq!(roles(&p), vec!["arn:r"]);
    }
}
