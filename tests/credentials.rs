//! Credential providers end to end: fixtures in a temporary HOME, and the emulator on loopback
//! standing in for STS, SSO, the container endpoint and IMDS (`emulator::identity`).
//!
//! These tests change process environment variables, so every test holds `ENV_LOCK` for its
//! whole duration (tests in one binary run on parallel threads).
#![cfg(feature = "emulator")]

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bedrock_stream::credentials::{
    AssumeRoleProvider, BearerToken, CachingProvider, ContainerProvider, CredentialsContext,
    DefaultChain, EnvironmentProvider, ImdsProvider, ProcessProvider, ProfileProvider,
    WebIdentityProvider,
};
use bedrock_stream::emulator::identity::{
    IdentityEndpoint, IdentityServices, CONTAINER_PATH, IMDS_ROLE_NAME, ISSUED_ACCESS_KEY_ID,
    ISSUED_SECRET_ACCESS_KEY, ISSUED_SESSION_TOKEN,
};
use bedrock_stream::emulator::{Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
use bedrock_stream::{
    CancelHandle, Client, Credentials, ErrorKind, InvokeRequest, ProvideCredentials, Timer,
};

static ENV_LOCK: Mutex<()> = Mutex::new(());
static DIR_SEQ: AtomicUsize = AtomicUsize::new(0);

/// Holds the environment lock, a clean environment (no `AWS_*`, no proxy variables, `HOME` in
/// a fresh temporary directory, IMDS disabled unless a test points it at the emulator) and
/// restores everything on drop.
struct TestEnv {
    saved: Vec<(OsString, Option<OsString>)>,
    home: PathBuf,
    _lock: MutexGuard<'static, ()>,
}

impl TestEnv {
    fn new() -> TestEnv {
        let lock = ENV_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let mut names: HashSet<OsString> = std::env::vars_os()
            .map(|(k, _)| k)
            .filter(|k| {
                let k = k.to_string_lossy().to_ascii_uppercase();
                k.starts_with("AWS_")
                    || matches!(
                        k.as_str(),
                        "HTTP_PROXY" | "HTTPS_PROXY" | "ALL_PROXY" | "NO_PROXY"
                    )
            })
            .collect();
        names.insert("HOME".into());
        let saved: Vec<_> = names
            .into_iter()
            .map(|k| {
                let v = std::env::var_os(&k);
                (k, v)
            })
            .collect();
        for (k, _) in &saved {
            std::env::remove_var(k);
        }
        let home = std::env::temp_dir().join(format!(
            "bs-credentials-{}-{}",
            std::process::id(),
            DIR_SEQ.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(home.join(".aws/sso/cache")).unwrap();
        let mut env = TestEnv {
            saved,
            home,
            _lock: lock,
        };
        let home = env.home.to_str().unwrap().to_string();
        env.set("HOME", &home);
        env.set("AWS_EC2_METADATA_DISABLED", "true");
        env
    }

    fn set(&mut self, k: &str, v: &str) {
        if !self.saved.iter().any(|(n, _)| n == k) {
            self.saved.push((k.into(), std::env::var_os(k)));
        }
        std::env::set_var(k, v);
    }

    fn unset(&mut self, k: &str) {
        if !self.saved.iter().any(|(n, _)| n == k) {
            self.saved.push((k.into(), std::env::var_os(k)));
        }
        std::env::remove_var(k);
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.home.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Point the SDK-standard variables at the emulator's identity endpoints.
    fn point_at(&mut self, ids: &IdentityServices, emu: &Emulator) {
        for (k, v) in ids.env_vars(&emu.endpoint_url()) {
            if k != "AWS_CONTAINER_CREDENTIALS_FULL_URI" && k != "AWS_EC2_METADATA_SERVICE_ENDPOINT"
            {
                self.set(&k, &v);
            }
        }
        self.set("AWS_REGION", "us-east-1");
    }

    fn enable_container(&mut self, emu: &Emulator) {
        let uri = format!("{}{CONTAINER_PATH}", emu.endpoint_url());
        self.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri);
    }

    fn enable_imds(&mut self, emu: &Emulator) {
        self.unset("AWS_EC2_METADATA_DISABLED");
        self.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", &emu.endpoint_url());
    }

    fn enable_web_identity(&mut self, token: &str) {
        let f = self.write("token/web-identity", token);
        self.set("AWS_WEB_IDENTITY_TOKEN_FILE", f.to_str().unwrap());
        self.set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web");
        self.set("AWS_ROLE_SESSION_NAME", "web-session");
    }

    fn enable_env_keys(&mut self) {
        self.set("AWS_ACCESS_KEY_ID", "AKIDFROMENV");
        self.set("AWS_SECRET_ACCESS_KEY", "env-secret-value");
    }

    fn enable_profile_keys(&self) {
        self.write(
            ".aws/credentials",
            "[default]\naws_access_key_id = AKIDFROMPROFILE\naws_secret_access_key = profile-secret-value\n",
        );
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        for (k, v) in &self.saved {
            match v {
                Some(v) => std::env::set_var(k, v),
                None => std::env::remove_var(k),
            }
        }
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// An emulator whose Bedrock endpoint accepts the default key pair, the profile/env fixtures
/// and the credentials the fake identity endpoints issue.
fn start() -> (IdentityServices, Emulator) {
    let ids = IdentityServices::new();
    let emu = Emulator::builder()
        .add_credentials(
            ISSUED_ACCESS_KEY_ID,
            ISSUED_SECRET_ACCESS_KEY,
            Some(ISSUED_SESSION_TOKEN),
        )
        .add_credentials("AKIDFROMPROFILE", "profile-secret-value", None)
        .add_credentials("AKIDFROMENV", "env-secret-value", None)
        .handler(ids.handler())
        .start()
        .unwrap();
    (ids, emu)
}

const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const BODY: &str = r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":20,"messages":[{"role":"user","content":"hi"}]}"#;

/// Send one streaming request signed with `provider`; return the access key the emulator saw.
fn invoke_with(provider: impl ProvideCredentials + 'static, emu: &Emulator) -> String {
    let client = Client::builder()
        .region("us-east-1")
        .endpoint_url(emu.endpoint_url())
        .ignore_env_bearer_token(true)
        .credentials_provider(provider)
        .build()
        .unwrap();
    let stream = client
        .invoke_model_with_response_stream(&InvokeRequest::new(MODEL, BODY))
        .unwrap();
    let events: Vec<_> = stream.collect::<Result<Vec<_>, _>>().unwrap();
    assert!(!events.is_empty());
    let last = emu
        .requests()
        .into_iter()
        .rfind(|r| r.model_id.is_some())
        .unwrap();
    match last.auth {
        bedrock_stream::emulator::AuthOutcome::SigV4 { access_key_id, .. } => access_key_id,
        other => panic!("not accepted: {other:?}"),
    }
}

#[test]
fn web_identity_from_env_through_fake_sts_signs_a_bedrock_request() {
    let mut env = TestEnv::new();
    let (ids, emu) = start();
    env.point_at(&ids, &emu);
    env.enable_web_identity("jwt-token-value");
    ids.web_identity_token("jwt-token-value");
    let chain = DefaultChain::new();
    let c = chain.provide_credentials().unwrap();
    assert_eq!(c.access_key_id(), ISSUED_ACCESS_KEY_ID);
    assert_eq!(c.session_token(), Some(ISSUED_SESSION_TOKEN));
    assert!(c.expiry().is_some());
    let calls = ids.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].endpoint,
        Some(IdentityEndpoint::AssumeRoleWithWebIdentity)
    );
    assert_eq!(
        calls[0].role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/web")
    );
    assert_eq!(calls[0].role_session_name.as_deref(), Some("web-session"));
    assert_eq!(invoke_with(chain, &emu), ISSUED_ACCESS_KEY_ID);
    // Cached: the Bedrock call did not go back to STS.
    assert_eq!(
        ids.call_count(IdentityEndpoint::AssumeRoleWithWebIdentity),
        1
    );
}

#[test]
fn a_broken_web_identity_setup_is_an_error_not_a_fall_through() {
    let mut env = TestEnv::new();
    let (ids, emu) = start();
    env.point_at(&ids, &emu);
    env.enable_profile_keys();
    env.enable_container(&emu);
    env.set("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token");
    env.set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web");
    let e = DefaultChain::new().provide_credentials().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert!(e.to_string().contains("web identity"), "{e}");
    // The role ARN alone is missing its token file → not configured; the profile wins.
    env.unset("AWS_WEB_IDENTITY_TOKEN_FILE");
    let c = DefaultChain::new().provide_credentials().unwrap();
    assert_eq!(c.access_key_id(), "AKIDFROMPROFILE");
    // A rejected token is an STS error, again without falling through.
    env.enable_web_identity("wrong");
    ids.web_identity_token("right");
    let e = DefaultChain::new().provide_credentials().unwrap_err();
    assert_eq!(e.code(), Some("InvalidIdentityToken"), "{e}");
    assert_eq!(ids.call_count(IdentityEndpoint::Container), 0);
}

/// The five chain sources, in chain order, each configured alone and then with every later one:
/// the earlier always wins, and the later one is never called.
#[test]
fn chain_precedence_for_every_pair() {
    let names = [
        "environment",
        "web identity",
        "profile",
        "container",
        "imds",
    ];
    let provider_names = [
        "environment",
        "sts-web-identity",
        "profile",
        "container",
        "imds",
    ];
    for first in 0..names.len() {
        for second in first..names.len() {
            let mut env = TestEnv::new();
            let (ids, emu) = start();
            env.point_at(&ids, &emu);
            for i in [first, second] {
                match i {
                    0 => env.enable_env_keys(),
                    1 => env.enable_web_identity("jwt"),
                    2 => env.enable_profile_keys(),
                    3 => env.enable_container(&emu),
                    _ => env.enable_imds(&emu),
                }
            }
            let c = DefaultChain::new()
                .provide_credentials()
                .unwrap_or_else(|e| panic!("{} + {}: {e}", names[first], names[second]));
            assert_eq!(
                c.provider_name(),
                provider_names[first],
                "{} + {}",
                names[first],
                names[second]
            );
            if second != first {
                let later = match second {
                    1 => ids.call_count(IdentityEndpoint::AssumeRoleWithWebIdentity),
                    3 => ids.call_count(IdentityEndpoint::Container),
                    4 => ids.call_count(IdentityEndpoint::ImdsToken),
                    _ => 0,
                };
                assert_eq!(later, 0, "{} was consulted", names[second]);
            }
        }
    }
}

#[test]
fn nothing_configured_lists_every_source() {
    let _env = TestEnv::new();
    let e = DefaultChain::new().provide_credentials().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    for needle in [
        "environment",
        "web identity",
        "profile",
        "container",
        "IMDS",
    ] {
        assert!(e.message().contains(needle), "{e}");
    }
}

#[test]
fn profile_role_chain_through_fake_sts_with_sigv4_checked() {
    let env = TestEnv::new();
    let (ids, emu) = start();
    // The second hop is signed with the credentials of the first.
    ids.source_credentials(
        ISSUED_ACCESS_KEY_ID,
        ISSUED_SECRET_ACCESS_KEY,
        Some(ISSUED_SESSION_TOKEN),
    );
    ids.require_external_id("arn:aws:iam::123456789012:role/top", "ext-1");
    env.write(
        ".aws/config",
        &format!(
            "[profile top]\nrole_arn = arn:aws:iam::123456789012:role/top\nsource_profile = middle\n\
             external_id = ext-1\nrole_session_name = top-session\nregion = us-east-1\n\
             services = local\n\
             [profile middle]\nrole_arn = arn:aws:iam::123456789012:role/middle\nsource_profile = base\n\
             [profile base]\naws_access_key_id = {DEFAULT_ACCESS_KEY_ID}\naws_secret_access_key = {DEFAULT_SECRET_ACCESS_KEY}\n\
             [services local]\nsts =\n  endpoint_url = {}\n",
            emu.endpoint_url()
        ),
    );
    let c = ProfileProvider::new()
        .profile_name("top")
        .provide_credentials()
        .unwrap();
    assert_eq!(c.access_key_id(), ISSUED_ACCESS_KEY_ID);
    let calls = ids.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(
        calls[0].role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/middle")
    );
    assert_eq!(
        calls[0].caller_access_key_id.as_deref(),
        Some(DEFAULT_ACCESS_KEY_ID)
    );
    assert_eq!(
        calls[1].role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/top")
    );
    assert_eq!(
        calls[1].caller_access_key_id.as_deref(),
        Some(ISSUED_ACCESS_KEY_ID)
    );
    assert_eq!(calls[1].external_id.as_deref(), Some("ext-1"));
    assert_eq!(calls[1].role_session_name.as_deref(), Some("top-session"));

    // A denied role is an error naming the profile and STS's code.
    ids.deny_role("arn:aws:iam::123456789012:role/top");
    let e = ProfileProvider::new()
        .profile_name("top")
        .provide_credentials()
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"));
    assert!(e.message().contains("profile `top`"), "{e}");
}

#[test]
fn assume_role_provider_with_wrong_source_key_is_refused_by_sts() {
    let mut env = TestEnv::new();
    let (ids, emu) = start();
    env.point_at(&ids, &emu);
    let p = AssumeRoleProvider::new(
        "arn:aws:iam::123456789012:role/x",
        Arc::new(Credentials::new("AKIDUNKNOWN", "not-the-secret", None)),
    );
    let e = p.provide_credentials().unwrap_err();
    assert_eq!(e.code(), Some("InvalidClientTokenId"), "{e}");
    let p = AssumeRoleProvider::new(
        "arn:aws:iam::123456789012:role/x",
        Arc::new(Credentials::new(
            DEFAULT_ACCESS_KEY_ID,
            "wrong-secret",
            None,
        )),
    );
    let e = p.provide_credentials().unwrap_err();
    assert_eq!(e.code(), Some("SignatureDoesNotMatch"), "{e}");
    let p = AssumeRoleProvider::new(
        "arn:aws:iam::123456789012:role/x",
        Arc::new(Credentials::new(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_SECRET_ACCESS_KEY,
            None,
        )),
    )
    .session_name("explicit")
    .duration_seconds(900);
    assert_eq!(
        p.provide_credentials().unwrap().access_key_id(),
        ISSUED_ACCESS_KEY_ID
    );
    let last = ids.calls().pop().unwrap();
    assert_eq!(last.duration_seconds.as_deref(), Some("900"));
}

/// SHA-1 of the sso-session name "dev" (the AWS CLI's cache file name).
const DEV_CACHE_FILE: &str = ".aws/sso/cache/34c6fceca75e456f25e7e99531e2425c6c1de443.json";

#[test]
fn sso_session_profile_uses_the_cached_token() {
    let mut env = TestEnv::new();
    let (ids, emu) = start();
    env.point_at(&ids, &emu);
    ids.sso_access_token("sso-access-token-value");
    env.write(
        ".aws/config",
        "[profile sso]\nsso_session = dev\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n\
         [sso-session dev]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
    );
    env.write(
        DEV_CACHE_FILE,
        r#"{"accessToken":"sso-access-token-value","expiresAt":"2999-01-01T00:00:00Z","region":"us-east-1","startUrl":"https://example.awsapps.com/start"}"#,
    );
    env.set("AWS_PROFILE", "sso");
    let c = DefaultChain::new().provide_credentials().unwrap();
    assert_eq!(c.provider_name(), "sso");
    assert_eq!(c.access_key_id(), ISSUED_ACCESS_KEY_ID);
    let call = ids.calls().pop().unwrap();
    assert_eq!(call.sso_account_id.as_deref(), Some("111122223333"));
    assert_eq!(call.sso_role_name.as_deref(), Some("ReadOnly"));

    // An expired cached token: an error that says how to log in, and no call.
    env.write(
        DEV_CACHE_FILE,
        r#"{"accessToken":"sso-access-token-value","expiresAt":"2001-01-01T00:00:00Z"}"#,
    );
    let before = ids.calls().len();
    let e = ProfileProvider::new().provide_credentials().unwrap_err();
    assert!(e.message().contains("aws sso login"), "{e}");
    assert_eq!(ids.calls().len(), before);

    // A token the portal rejects.
    env.write(
        DEV_CACHE_FILE,
        r#"{"accessToken":"revoked","expiresAt":"2999-01-01T00:00:00Z"}"#,
    );
    let e = ProfileProvider::new().provide_credentials().unwrap_err();
    assert_eq!(e.http_status(), Some(401), "{e}");
}

#[cfg(unix)]
#[test]
fn credential_process_profile_and_provider() {
    let mut env = TestEnv::new();
    let script = env.write(
        "bin/creds.sh",
        "#!/bin/sh\nprintf '%s' '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROCESS\", \"SecretAccessKey\": \"process-secret\", \"SessionToken\": \"process-token\", \"Expiration\": \"2999-01-01T00:00:00Z\"}'\n",
    );
    env.write(
        ".aws/config",
        &format!(
            "[profile p]\ncredential_process = sh {}\n",
            script.display()
        ),
    );
    env.set("AWS_PROFILE", "p");
    let c = DefaultChain::new().provide_credentials().unwrap();
    assert_eq!(c.access_key_id(), "AKIDPROCESS");
    assert_eq!(c.provider_name(), "process");
    assert!(c.expiry().is_some());
    let c = ProcessProvider::new(format!("sh '{}'", script.display()))
        .provide_credentials()
        .unwrap();
    assert_eq!(c.session_token(), Some("process-token"));
}

#[test]
fn container_endpoint_with_token_file_and_wrong_token() {
    let mut env = TestEnv::new();
    let (ids, emu) = start();
    ids.container_authorization("container-auth-token");
    env.enable_container(&emu);
    env.enable_imds(&emu);
    let tf = env.write("token/container", "container-auth-token\n");
    env.set(
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        tf.to_str().unwrap(),
    );
    let c = ContainerProvider::new().provide_credentials().unwrap();
    assert_eq!(c.provider_name(), "container");
    assert_eq!(c.access_key_id(), ISSUED_ACCESS_KEY_ID);
    assert!(ids.calls().last().unwrap().had_token);
    // The token from the file wins over the variable.
    env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong");
    assert!(ContainerProvider::new().provide_credentials().is_ok());
    // A wrong token: an error, never IMDS.
    env.unset("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    let e = DefaultChain::new().provide_credentials().unwrap_err();
    assert!(e.message().contains("401"), "{e}");
    assert_eq!(ids.call_count(IdentityEndpoint::ImdsToken), 0);
    // A full URI outside the allow-list is refused before any request.
    env.set(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "http://169.254.169.254/latest/meta-data",
    );
    let e = ContainerProvider::new().provide_credentials().unwrap_err();
    assert!(e.message().contains("not allowed"), "{e}");
}

#[test]
fn imds_v2_flow_v1_fallback_and_no_role() {
    let mut env = TestEnv::new();
    let (ids, emu) = start();
    env.enable_imds(&emu);
    let c = ImdsProvider::new().provide_credentials().unwrap();
    assert_eq!(c.provider_name(), "imds");
    let eps: Vec<_> = ids
        .calls()
        .iter()
        .map(|c| (c.endpoint, c.had_token))
        .collect();
    assert_eq!(
        eps,
        vec![
            (Some(IdentityEndpoint::ImdsToken), false),
            (Some(IdentityEndpoint::ImdsRole), true),
            (Some(IdentityEndpoint::ImdsCredentials), true),
        ]
    );
    // Token PUT forbidden (IMDSv1-only proxy): falls back to v1 like botocore...
    ids.imds_token_status(Some(403)).imds_allow_v1(true);
    let c = ImdsProvider::new().provide_credentials().unwrap();
    assert_eq!(c.access_key_id(), ISSUED_ACCESS_KEY_ID);
    assert!(!ids.calls().last().unwrap().had_token);
    // ... unless v1 is disabled.
    env.set("AWS_EC2_METADATA_V1_DISABLED", "true");
    let e = ImdsProvider::new().provide_credentials().unwrap_err();
    assert!(e.message().contains("IMDSv1 is disabled"), "{e}");
    env.unset("AWS_EC2_METADATA_V1_DISABLED");
    // No role attached: not available, so the chain reports no credentials.
    ids.imds_token_status(None).imds_role(None);
    let e = DefaultChain::new().provide_credentials().unwrap_err();
    assert!(e.message().contains("no IAM role"), "{e}");
    // The role name the instance reports is used.
    ids.imds_role(Some(IMDS_ROLE_NAME));
    assert!(ImdsProvider::new().provide_credentials().is_ok());
    // Disabled: not even a token request.
    let before = ids.call_count(IdentityEndpoint::ImdsToken);
    env.set("AWS_EC2_METADATA_DISABLED", "true");
    assert!(ImdsProvider::new().provide_credentials().is_err());
    assert_eq!(ids.call_count(IdentityEndpoint::ImdsToken), before);
}

/// The source hands out credentials that have already expired, twice: an error (they are never
/// used), after exactly two fetches. Then 64 threads share one chain whose cache is empty:
/// exactly one refresh happens and every thread gets the new session.
#[test]
fn expired_credentials_are_refused_then_refreshed_once_for_64_threads() {
    let mut env = TestEnv::new();
    let (ids, emu) = start();
    env.point_at(&ids, &emu);
    env.enable_web_identity("jwt");
    ids.expired_next(2)
        .issue_credentials("ASIAFIRST", "first-secret", "first-token");
    let chain = Arc::new(DefaultChain::new());
    let e = chain.provide_credentials().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert!(e.message().contains("already expired"), "{e}");
    assert_eq!(
        ids.call_count(IdentityEndpoint::AssumeRoleWithWebIdentity),
        2
    );
    ids.issue_credentials("ASIASECOND", "second-secret", "second-token");
    let start = Arc::new(Barrier::new(64));
    let threads: Vec<_> = (0..64)
        .map(|_| {
            let chain = chain.clone();
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                chain.provide_credentials().unwrap()
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap().session_token(), Some("second-token"));
    }
    assert_eq!(
        ids.call_count(IdentityEndpoint::AssumeRoleWithWebIdentity),
        3
    );
}

/// Credentials inside the refresh window while STS fails: the still-valid ones keep being used.
#[test]
fn a_failed_refresh_keeps_valid_credentials() {
    let mut env = TestEnv::new();
    let (ids, emu) = start();
    env.point_at(&ids, &emu);
    env.enable_web_identity("jwt");
    ids.credentials_lifetime(Duration::from_secs(120)); // inside the 5-minute window
    let cache = CachingProvider::new(WebIdentityProvider::from_env());
    let first = cache.provide_credentials().unwrap();
    ids.fail_next(IdentityEndpoint::AssumeRoleWithWebIdentity, 503)
        .fail_next(IdentityEndpoint::AssumeRoleWithWebIdentity, 503);
    let again = cache.provide_credentials().unwrap();
    assert_eq!(again, first);
    // One refresh attempt (with its single retry), then back-off.
    assert_eq!(
        ids.call_count(IdentityEndpoint::AssumeRoleWithWebIdentity),
        3
    );
}

#[test]
fn explicit_profile_and_aws_profile_and_file_overrides() {
    let mut env = TestEnv::new();
    env.write(
        ".aws/config",
        "[profile a]\naws_access_key_id = AKIDCONFIGA\naws_secret_access_key = s\n\
         [profile b]\naws_access_key_id = AKIDCONFIGB\naws_secret_access_key = s\n",
    );
    env.write(".aws/credentials", "[b]\naws_access_key_id = AKIDCREDSB\n");
    env.set("AWS_PROFILE", "a");
    let id = |p: ProfileProvider| p.provide_credentials().unwrap().access_key_id().to_string();
    assert_eq!(id(ProfileProvider::new()), "AKIDCONFIGA");
    // explicit name beats AWS_PROFILE; the credentials file beats the config file per key
    assert_eq!(id(ProfileProvider::new().profile_name("b")), "AKIDCREDSB");
    // AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE move the files
    let other = env.write(
        "elsewhere/config",
        "[profile a]\naws_access_key_id = AKIDMOVED\naws_secret_access_key = s\n",
    );
    env.set("AWS_CONFIG_FILE", other.to_str().unwrap());
    assert_eq!(id(ProfileProvider::new()), "AKIDMOVED");
    // a missing explicit profile is an error
    let e = ProfileProvider::new()
        .profile_name("zzz")
        .provide_credentials()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    // environment keys beat the profile, and half-set keys are an error (no fall-through)
    env.set("AWS_SECRET_ACCESS_KEY", "only-the-secret");
    let e = DefaultChain::new().provide_credentials().unwrap_err();
    assert!(e.message().contains("AWS_ACCESS_KEY_ID"), "{e}");
    assert!(EnvironmentProvider::new().provide_credentials().is_err());
}

/// Every secret involved in these scenarios, and every Debug / error text they produce.
#[test]
fn no_secret_in_any_debug_or_error_message() {
    let mut env = TestEnv::new();
    let (ids, emu) = start();
    env.point_at(&ids, &emu);
    let secrets = [
        ISSUED_SECRET_ACCESS_KEY,
        ISSUED_SESSION_TOKEN,
        "jwt-secret-token",
        "sso-secret-token",
        "container-secret-token",
        "bedrock-api-key-secret",
        "profile-secret-value",
        "env-secret-value",
        "printed-by-process",
    ];
    let mut texts: Vec<String> = Vec::new();

    // Successful providers and their credentials.
    env.enable_web_identity("jwt-secret-token");
    let chain = DefaultChain::new();
    let c = chain.provide_credentials().unwrap();
    texts.push(format!("{c:?} {chain:?}"));
    texts.push(format!("{:?}", WebIdentityProvider::from_env()));
    texts.push(format!("{ids:?} {:?}", ids.calls()));
    let b = BearerToken::new("bedrock-api-key-secret").unwrap();
    texts.push(format!("{b:?}"));

    // Failures.
    ids.web_identity_token("other");
    texts.push(
        WebIdentityProvider::from_env()
            .provide_credentials()
            .unwrap_err()
            .to_string(),
    );
    env.unset("AWS_WEB_IDENTITY_TOKEN_FILE");
    env.set("AWS_SECRET_ACCESS_KEY", "env-secret-value");
    let e = DefaultChain::new().provide_credentials().unwrap_err();
    texts.push(format!("{e} {e:?}"));
    env.unset("AWS_SECRET_ACCESS_KEY");
    env.set(
        "AWS_BEARER_TOKEN_BEDROCK",
        "bedrock-api-key-secret\r\nX-Injected: 1",
    );
    let e = BearerToken::from_env().unwrap_err();
    texts.push(format!("{e} {e:?}"));
    env.unset("AWS_BEARER_TOKEN_BEDROCK");

    ids.sso_access_token("only-this");
    env.write(
        ".aws/config",
        "[profile sso]\nsso_session = dev\nsso_account_id = 1\nsso_role_name = R\n\
         [sso-session dev]\nsso_start_url = https://x\nsso_region = us-east-1\n\
         [profile half]\naws_secret_access_key = profile-secret-value\n\
         [profile proc]\ncredential_process = sh -c 'echo printed-by-process; exit 1'\n\
         [profile badjson]\ncredential_process = sh -c 'echo {\"Version\":1,\"SecretAccessKey\":\"printed-by-process\"}'\n",
    );
    env.write(
        DEV_CACHE_FILE,
        r#"{"accessToken":"sso-secret-token","expiresAt":"2999-01-01T00:00:00Z"}"#,
    );
    for p in ["sso", "half", "proc", "badjson"] {
        let provider = ProfileProvider::new().profile_name(p);
        texts.push(format!("{provider:?}"));
        if let Err(e) = provider.provide_credentials() {
            texts.push(format!("{e} {e:?}"));
        } else if cfg!(unix) || p == "sso" || p == "half" {
            panic!("profile {p} should fail");
        }
    }
    ids.container_authorization("expected");
    env.set(
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "container-secret-token",
    );
    env.enable_container(&emu);
    let e = ContainerProvider::new().provide_credentials().unwrap_err();
    texts.push(format!("{e} {e:?}"));

    for t in &texts {
        for s in secrets {
            assert!(!t.contains(s), "secret {s:?} leaked in: {t}");
        }
    }
    assert!(texts.len() >= 12);
}

// ---------------------------------------------------------------------------------------------
// Cancel and deadline during credential resolution
// ---------------------------------------------------------------------------------------------

/// How long a call may take to notice a cancel or a deadline.
const PROMPT: Duration = Duration::from_secs(2);

/// A client using the default chain (nothing explicit) against `emu`.
fn chain_client(emu: &Emulator, deadline: Option<Duration>) -> Client {
    Client::builder()
        .region("us-east-1")
        .endpoint_url(emu.endpoint_url())
        .deadline(deadline)
        .build()
        .unwrap()
}

/// Start a streaming call on another thread.
fn spawn_call(
    client: &Client,
    cancel: &CancelHandle,
) -> std::thread::JoinHandle<bedrock_stream::Result<()>> {
    let client = client.clone();
    let cancel = cancel.clone();
    std::thread::spawn(move || {
        client
            .invoke_model_with_response_stream_cancellable(&InvokeRequest::new(MODEL, BODY), cancel)
            .map(drop)
    })
}

/// Whether the emulator received a Bedrock request.
fn bedrock_requests(emu: &Emulator) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.model_id.is_some())
        .count()
}

#[derive(Debug, Clone, Copy)]
enum Source {
    WebIdentity,
    ProfileRole,
    Sso,
    Container,
    Imds,
}

/// Configure `source` as the only credential source, its endpoint stalled.
fn stalled_source(env: &mut TestEnv, ids: &IdentityServices, emu: &Emulator, source: Source) {
    env.point_at(ids, emu);
    // IMDS and STS would otherwise give up on their own after a few seconds: make their own
    // timeouts long, so only the call's cancel or deadline can end the fetch in time.
    env.set("AWS_METADATA_SERVICE_TIMEOUT", "60");
    let endpoint = match source {
        Source::WebIdentity => {
            env.enable_web_identity("jwt");
            IdentityEndpoint::AssumeRoleWithWebIdentity
        }
        Source::ProfileRole => {
            env.write(
                ".aws/config",
                &format!(
                    "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n\
                     [profile base]\naws_access_key_id = {DEFAULT_ACCESS_KEY_ID}\naws_secret_access_key = {DEFAULT_SECRET_ACCESS_KEY}\n"
                ),
            );
            env.set("AWS_PROFILE", "role");
            IdentityEndpoint::AssumeRole
        }
        Source::Sso => {
            env.write(
                ".aws/config",
                "[profile sso]\nsso_session = dev\nsso_account_id = 111122223333\nsso_role_name = R\n\
                 [sso-session dev]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
            );
            env.write(
                DEV_CACHE_FILE,
                r#"{"accessToken":"sso-token","expiresAt":"2999-01-01T00:00:00Z"}"#,
            );
            env.set("AWS_PROFILE", "sso");
            IdentityEndpoint::SsoGetRoleCredentials
        }
        Source::Container => {
            env.enable_container(emu);
            IdentityEndpoint::Container
        }
        Source::Imds => {
            env.enable_imds(emu);
            IdentityEndpoint::ImdsToken
        }
    };
    ids.stall(endpoint);
}

/// STS (web identity and assume role), SSO, the container endpoint and IMDS each hang: a cancel
/// ends the call within 2 s, with `Cancelled`, and nothing reaches Bedrock.
#[test]
fn a_cancel_ends_a_hung_identity_endpoint_fetch() {
    for source in [
        Source::WebIdentity,
        Source::ProfileRole,
        Source::Sso,
        Source::Container,
        Source::Imds,
    ] {
        let mut env = TestEnv::new();
        let (ids, emu) = start();
        stalled_source(&mut env, &ids, &emu, source);
        let client = chain_client(&emu, None);
        let cancel = CancelHandle::new();
        let call = spawn_call(&client, &cancel);
        assert!(
            ids.wait_stalled(1, Duration::from_secs(30)),
            "{source:?}: no request reached the endpoint"
        );
        let t0 = Instant::now();
        cancel.cancel();
        let e = call.join().unwrap().unwrap_err();
        let took = t0.elapsed();
        ids.release_stalled();
        assert_eq!(e.kind(), ErrorKind::Cancelled, "{source:?}: {e}");
        assert!(took < PROMPT, "{source:?}: the cancel took {took:?}");
        assert_eq!(bedrock_requests(&emu), 0, "{source:?}");
    }
}

/// The same with a 500 ms deadline instead of a cancel: a deadline timeout within 2 s.
#[test]
fn a_deadline_ends_a_hung_identity_endpoint_fetch() {
    for source in [
        Source::WebIdentity,
        Source::ProfileRole,
        Source::Sso,
        Source::Container,
        Source::Imds,
    ] {
        let mut env = TestEnv::new();
        let (ids, emu) = start();
        stalled_source(&mut env, &ids, &emu, source);
        let client = chain_client(&emu, Some(Duration::from_millis(500)));
        let t0 = Instant::now();
        let e = client
            .invoke_model_with_response_stream(&InvokeRequest::new(MODEL, BODY))
            .unwrap_err();
        let took = t0.elapsed();
        ids.release_stalled();
        assert_eq!(e.kind(), ErrorKind::Timeout, "{source:?}: {e}");
        assert_eq!(e.timer(), Some(Timer::Deadline), "{source:?}: {e}");
        assert!(took < PROMPT, "{source:?}: the deadline took {took:?}");
        assert_eq!(bedrock_requests(&emu), 0, "{source:?}");
    }
}

/// A `credential_process` script that writes its pid to `pidfile` and then hangs, or prints
/// credentials when `okfile` exists.
#[cfg(unix)]
fn hanging_process(env: &TestEnv, name: &str) -> (PathBuf, PathBuf, String) {
    let pidfile = env.home.join(format!("{name}.pid"));
    let okfile = env.home.join(format!("{name}.ok"));
    let script = env.write(
        &format!("bin/{name}.sh"),
        &format!(
            "#!/bin/sh\n\
             if [ -e '{ok}' ]; then\n\
             printf '%s' '{{\"Version\": 1, \"AccessKeyId\": \"AKIDFROMPROFILE\", \"SecretAccessKey\": \"profile-secret-value\"}}'\n\
             exit 0\n\
             fi\n\
             echo $$ > '{pid}.tmp' && mv '{pid}.tmp' '{pid}'\n\
             exec sleep 600\n",
            ok = okfile.display(),
            pid = pidfile.display()
        ),
    );
    (pidfile, okfile, format!("sh '{}'", script.display()))
}

/// Wait until the script has written its pid (it is then running its `sleep`).
#[cfg(unix)]
fn wait_pid(pidfile: &std::path::Path) -> String {
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(p) = std::fs::read_to_string(pidfile) {
            if !p.trim().is_empty() {
                return p.trim().to_string();
            }
        }
        assert!(Instant::now() < end, "the credential process did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Whether process `pid` exists (`kill -0`).
#[cfg(unix)]
fn alive(pid: &str) -> bool {
    std::process::Command::new("kill")
        .args(["-0", pid])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// A hung `credential_process`: a cancel ends the call within 2 s and the command is killed
/// (and reaped: its pid is gone).
#[cfg(unix)]
#[test]
fn a_cancel_kills_a_hung_credential_process() {
    let mut env = TestEnv::new();
    let (_ids, emu) = start();
    let (pidfile, _ok, command) = hanging_process(&env, "hang");
    env.write(
        ".aws/config",
        &format!("[profile p]\ncredential_process = {command}\n"),
    );
    env.set("AWS_PROFILE", "p");
    let client = chain_client(&emu, None);
    let cancel = CancelHandle::new();
    let call = spawn_call(&client, &cancel);
    let pid = wait_pid(&pidfile);
    assert!(alive(&pid));
    let t0 = Instant::now();
    cancel.cancel();
    let e = call.join().unwrap().unwrap_err();
    assert!(t0.elapsed() < PROMPT, "the cancel took {:?}", t0.elapsed());
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    assert!(!alive(&pid), "the credential process {pid} still runs");
    assert_eq!(bedrock_requests(&emu), 0);
}

/// The same with a 500 ms deadline.
#[cfg(unix)]
#[test]
fn a_deadline_kills_a_hung_credential_process() {
    let mut env = TestEnv::new();
    let (_ids, emu) = start();
    let (pidfile, _ok, command) = hanging_process(&env, "hang");
    env.write(
        ".aws/config",
        &format!("[profile p]\ncredential_process = {command}\n"),
    );
    env.set("AWS_PROFILE", "p");
    let client = chain_client(&emu, Some(Duration::from_millis(500)));
    let t0 = Instant::now();
    let e = client
        .invoke_model_with_response_stream(&InvokeRequest::new(MODEL, BODY))
        .unwrap_err();
    assert!(
        t0.elapsed() < PROMPT,
        "the deadline took {:?}",
        t0.elapsed()
    );
    assert_eq!(e.timer(), Some(Timer::Deadline), "{e}");
    let pid = wait_pid(&pidfile);
    assert!(!alive(&pid), "the credential process {pid} still runs");
}

/// Without a cancel or deadline, the process's own timeout kills it.
#[cfg(unix)]
#[test]
fn a_credential_process_that_runs_too_long_is_killed() {
    let env = TestEnv::new();
    let (pidfile, _ok, command) = hanging_process(&env, "slow");
    let t0 = Instant::now();
    let e = ProcessProvider::new(command)
        .timeout(Duration::from_millis(300))
        .provide_credentials()
        .unwrap_err();
    assert!(t0.elapsed() < PROMPT, "took {:?}", t0.elapsed());
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert!(e.message().contains("did not finish within"), "{e}");
    let pid = wait_pid(&pidfile);
    assert!(!alive(&pid), "the credential process {pid} still runs");
}

/// A thread waiting on the cache while another thread's refresh runs a hung process gives up
/// on its own cancel (and deadline) at once; the refresh goes on until its own call is
/// cancelled, which kills the process; the cache then works again.
#[cfg(unix)]
#[test]
fn a_cache_waiter_gives_up_on_its_own_cancel_while_another_thread_refreshes() {
    let env = TestEnv::new();
    let (pidfile, okfile, command) = hanging_process(&env, "held");
    let cache = Arc::new(CachingProvider::new(ProcessProvider::new(command)));
    let cancel_a = CancelHandle::new();
    let refresher = {
        let cache = cache.clone();
        let ctx = CredentialsContext::new().with_cancel(cancel_a.clone());
        std::thread::spawn(move || cache.provide_credentials_with(&ctx))
    };
    let pid = wait_pid(&pidfile);
    let cancel_b = CancelHandle::new();
    let waiter = {
        let cache = cache.clone();
        let ctx = CredentialsContext::new().with_cancel(cancel_b.clone());
        std::thread::spawn(move || cache.provide_credentials_with(&ctx))
    };
    let end = Instant::now() + Duration::from_secs(30);
    while cache.waiting_threads() < 1 {
        assert!(Instant::now() < end, "the second thread never waited");
        std::thread::yield_now();
    }
    let t0 = Instant::now();
    cancel_b.cancel();
    let e = waiter.join().unwrap().unwrap_err();
    assert!(t0.elapsed() < PROMPT, "the waiter took {:?}", t0.elapsed());
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    // A waiter with a deadline gives up when it passes.
    let ctx = CredentialsContext::new().with_deadline(Instant::now() + Duration::from_millis(200));
    let e = cache.provide_credentials_with(&ctx).unwrap_err();
    assert_eq!(e.timer(), Some(Timer::Deadline), "{e}");
    // The refresh itself is still running.
    assert!(alive(&pid));
    cancel_a.cancel();
    assert_eq!(
        refresher.join().unwrap().unwrap_err().kind(),
        ErrorKind::Cancelled
    );
    assert!(!alive(&pid), "the credential process {pid} still runs");
    std::fs::write(&okfile, "").unwrap();
    assert_eq!(
        cache.provide_credentials().unwrap().access_key_id(),
        "AKIDFROMPROFILE"
    );
}

// ---------------------------------------------------------------------------------------------
// Bounded input
// ---------------------------------------------------------------------------------------------

/// A command printing far more than 1 MiB: a clear error naming the limit, quickly, without
/// the output in it.
#[cfg(unix)]
#[test]
fn a_credential_process_printing_too_much_is_refused() {
    let env = TestEnv::new();
    let script = env.write(
        "bin/flood.sh",
        "#!/bin/sh\nexec head -c 50000000 /dev/zero\n",
    );
    let t0 = Instant::now();
    let e = ProcessProvider::new(format!("sh '{}'", script.display()))
        .provide_credentials()
        .unwrap_err();
    assert!(t0.elapsed() < PROMPT, "took {:?}", t0.elapsed());
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert!(
        e.message()
            .contains("more than the 1 MiB limit on standard output"),
        "{e}"
    );
}

/// Oversized token, token-cache, config and CA bundle files: errors naming the file and the
/// limit, never the contents.
#[test]
fn oversized_local_files_are_refused_with_the_limit() {
    let mut env = TestEnv::new();
    let big = |mib: usize| "SECRETCONTENT".repeat(mib * (1 << 20) / 13 + 1);
    // Web identity token file (1 MiB).
    let token = env.write("token/web-identity", &big(1));
    env.set("AWS_WEB_IDENTITY_TOKEN_FILE", token.to_str().unwrap());
    env.set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web");
    let e = WebIdentityProvider::from_env()
        .provide_credentials()
        .unwrap_err();
    let m = e.to_string();
    assert!(m.contains("1 MiB") && m.contains("web-identity"), "{m}");
    assert!(!m.contains("SECRETCONTENT"));
    env.unset("AWS_WEB_IDENTITY_TOKEN_FILE");
    env.unset("AWS_ROLE_ARN");
    // Container authorization token file (1 MiB).
    env.set(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "http://127.0.0.1:9/creds",
    );
    let tf = env.write("token/container", &big(1));
    env.set(
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        tf.to_str().unwrap(),
    );
    let m = ContainerProvider::new()
        .provide_credentials()
        .unwrap_err()
        .to_string();
    assert!(m.contains("1 MiB") && m.contains("token/container"), "{m}");
    assert!(!m.contains("SECRETCONTENT"));
    env.unset("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    env.unset("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    // SSO token cache (1 MiB).
    env.write(
        ".aws/config",
        "[profile sso]\nsso_session = dev\nsso_account_id = 1\nsso_role_name = R\n\
         [sso-session dev]\nsso_start_url = https://x\nsso_region = us-east-1\n",
    );
    env.write(DEV_CACHE_FILE, &big(1));
    let m = ProfileProvider::new()
        .profile_name("sso")
        .provide_credentials()
        .unwrap_err()
        .to_string();
    assert!(m.contains("1 MiB") && m.contains(".json"), "{m}");
    assert!(!m.contains("SECRETCONTENT"));
    // The shared config file (4 MiB).
    let config = env.write(".aws/config", &format!("[default]\n# {}\n", big(4)));
    let e = ProfileProvider::new().provide_credentials().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    let m = e.to_string();
    assert!(
        m.contains("4 MiB") && m.contains(config.to_str().unwrap()),
        "{m}"
    );
    assert!(!m.contains("SECRETCONTENT"));
    let e = Client::builder().region("us-east-1").build().unwrap_err();
    assert!(e.to_string().contains("4 MiB"), "{e}");
    std::fs::remove_file(&config).unwrap();
    // The CA bundle (4 MiB).
    let bundle = env.write("ca.pem", &big(4));
    env.set("AWS_CA_BUNDLE", bundle.to_str().unwrap());
    let e = Client::builder().region("us-east-1").build().unwrap_err();
    let m = e.to_string();
    assert!(m.contains("4 MiB") && m.contains("ca.pem"), "{m}");
}

// ---------------------------------------------------------------------------------------------
// An explicit profile wins over the environment
// ---------------------------------------------------------------------------------------------

/// The access key the emulator saw on the last Bedrock request.
fn last_signer(emu: &Emulator) -> String {
    let last = emu
        .requests()
        .into_iter()
        .rfind(|r| r.model_id.is_some())
        .expect("a Bedrock request");
    match last.auth {
        bedrock_stream::emulator::AuthOutcome::SigV4 { access_key_id, .. } => access_key_id,
        other => format!("{other:?}"),
    }
}

/// The profile `named` with the profile keys; the environment's keys, bearer token and web
/// identity all set (each one would sign otherwise).
fn named_profile_env(env: &mut TestEnv, ids: &IdentityServices, emu: &Emulator) {
    env.point_at(ids, emu);
    env.write(
        ".aws/config",
        "[profile named]\naws_access_key_id = AKIDFROMPROFILE\naws_secret_access_key = profile-secret-value\n",
    );
    env.enable_env_keys();
    env.set("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-from-env");
    env.enable_web_identity("jwt");
}

#[test]
fn an_explicit_profile_wins_over_environment_keys_and_bearer_token() {
    let mut env = TestEnv::new();
    let (ids, emu) = start();
    named_profile_env(&mut env, &ids, &emu);
    let invoke = |b: bedrock_stream::ClientBuilder| {
        let client = b
            .region("us-east-1")
            .endpoint_url(emu.endpoint_url())
            .build()
            .unwrap();
        client
            .invoke_model_with_response_stream(&InvokeRequest::new(MODEL, BODY))
            .map(drop)
    };
    invoke(Client::builder().profile("named")).unwrap();
    assert_eq!(last_signer(&emu), "AKIDFROMPROFILE");
    // Each environment source alone, too.
    for keep in [
        "AWS_ACCESS_KEY_ID",
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ] {
        named_profile_env(&mut env, &ids, &emu);
        for k in [
            "AWS_ACCESS_KEY_ID",
            "AWS_BEARER_TOKEN_BEDROCK",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
        ] {
            if k != keep {
                env.unset(k);
            }
        }
        invoke(Client::builder().profile("named")).unwrap();
        assert_eq!(last_signer(&emu), "AKIDFROMPROFILE", "with {keep}");
    }
    named_profile_env(&mut env, &ids, &emu);
    assert_eq!(
        ids.call_count(IdentityEndpoint::AssumeRoleWithWebIdentity),
        0
    );
    // AWS_PROFILE is not an explicit profile: the environment's keys still come first, as in
    // the AWS CLI (and the bearer token before them).
    env.set("AWS_PROFILE", "named");
    env.unset("AWS_BEARER_TOKEN_BEDROCK");
    invoke(Client::builder()).unwrap();
    assert_eq!(last_signer(&emu), "AKIDFROMENV");
    // DefaultChain::with_profile is explicit too.
    let c = DefaultChain::with_profile("named")
        .provide_credentials()
        .unwrap();
    assert_eq!(c.access_key_id(), "AKIDFROMPROFILE");
}

/// The C API: `bedrock_stream_config_set_profile` wins over the environment the same way.
#[test]
#[cfg(feature = "capi")]
fn an_explicit_profile_wins_in_the_c_api() {
    use std::ffi::CString;
    use std::ptr::{null, null_mut};
    #[repr(C)]
    struct Opaque {
        _p: [u8; 0],
    }
    extern "C" {
        fn bedrock_stream_config_new(out: *mut *mut Opaque, err: *mut *mut Opaque) -> i32;
        fn bedrock_stream_config_free(c: *mut Opaque);
        fn bedrock_stream_config_set_region(
            c: *mut Opaque,
            v: *const i8,
            err: *mut *mut Opaque,
        ) -> i32;
        fn bedrock_stream_config_set_endpoint_url(
            c: *mut Opaque,
            v: *const i8,
            err: *mut *mut Opaque,
        ) -> i32;
        fn bedrock_stream_config_set_profile(
            c: *mut Opaque,
            v: *const i8,
            err: *mut *mut Opaque,
        ) -> i32;
        fn bedrock_stream_client_new(
            c: *const Opaque,
            out: *mut *mut Opaque,
            err: *mut *mut Opaque,
        ) -> i32;
        fn bedrock_stream_client_free(c: *mut Opaque);
        fn bedrock_stream_request_new(
            model: *const i8,
            body: *const u8,
            len: usize,
            out: *mut *mut Opaque,
            err: *mut *mut Opaque,
        ) -> i32;
        fn bedrock_stream_request_free(r: *mut Opaque);
        fn bedrock_stream_client_open(
            c: *const Opaque,
            r: *const Opaque,
            cancel: *const Opaque,
            out: *mut *mut Opaque,
            err: *mut *mut Opaque,
        ) -> i32;
        fn bedrock_stream_stream_free(s: *mut Opaque);
    }
    let mut env = TestEnv::new();
    let (ids, emu) = start();
    named_profile_env(&mut env, &ids, &emu);
    let region = CString::new("us-east-1").unwrap();
    let url = CString::new(emu.endpoint_url()).unwrap();
    let profile = CString::new("named").unwrap();
    let model = CString::new(MODEL).unwrap();
    // SAFETY: the documented contract of each function: live handles, NUL-terminated strings,
    // NULL error outputs (allowed), every handle freed once.
    unsafe {
        let mut config = null_mut();
        assert_eq!(bedrock_stream_config_new(&mut config, null_mut()), 0);
        assert_eq!(
            bedrock_stream_config_set_region(config, region.as_ptr(), null_mut()),
            0
        );
        assert_eq!(
            bedrock_stream_config_set_endpoint_url(config, url.as_ptr(), null_mut()),
            0
        );
        assert_eq!(
            bedrock_stream_config_set_profile(config, profile.as_ptr(), null_mut()),
            0
        );
        let mut client = null_mut();
        assert_eq!(
            bedrock_stream_client_new(config, &mut client, null_mut()),
            0
        );
        bedrock_stream_config_free(config);
        let mut request = null_mut();
        assert_eq!(
            bedrock_stream_request_new(
                model.as_ptr(),
                BODY.as_ptr(),
                BODY.len(),
                &mut request,
                null_mut()
            ),
            0
        );
        let mut stream = null_mut();
        let rc = bedrock_stream_client_open(client, request, null(), &mut stream, null_mut());
        assert_eq!(rc, 0, "bedrock_stream_client_open failed");
        bedrock_stream_stream_free(stream);
        bedrock_stream_request_free(request);
        bedrock_stream_client_free(client);
    }
    assert_eq!(last_signer(&emu), "AKIDFROMPROFILE");
}

/// The CLI: `--profile` wins over the environment the same way.
#[cfg(feature = "cli")]
#[test]
fn an_explicit_profile_wins_in_the_cli() {
    let mut env = TestEnv::new();
    let (ids, emu) = start();
    named_profile_env(&mut env, &ids, &emu);
    let body = env.write("body.json", BODY);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bedrock-stream"))
        .args(["--profile", "named", "--endpoint-url", &emu.endpoint_url()])
        .args([
            "invoke",
            "--model-id",
            MODEL,
            "--body",
            body.to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(last_signer(&emu), "AKIDFROMPROFILE");
}

// ---------------------------------------------------------------------------------------------
// Credentials already expired on arrival
// ---------------------------------------------------------------------------------------------

/// The container endpoint hands out credentials that have already expired: they are fetched
/// again; expired again, the call fails with a credentials error and nothing is signed with
/// them. Directly (no cache) and through the default chain.
#[test]
fn expired_container_credentials_are_fetched_again_then_refused() {
    let mut env = TestEnv::new();
    let (ids, emu) = start();
    env.enable_container(&emu);
    let direct = Client::builder()
        .region("us-east-1")
        .endpoint_url(emu.endpoint_url())
        .credentials_provider(ContainerProvider::new())
        .build()
        .unwrap();
    let call = |c: &Client| {
        c.invoke_model_with_response_stream(&InvokeRequest::new(MODEL, BODY))
            .map(drop)
    };
    ids.expired_next(1);
    call(&direct).unwrap();
    assert_eq!(ids.call_count(IdentityEndpoint::Container), 2);
    assert_eq!(last_signer(&emu), ISSUED_ACCESS_KEY_ID);
    let before = bedrock_requests(&emu);
    ids.expired_next(2);
    let e = call(&direct).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials, "{e}");
    assert!(e.message().contains("already expired"), "{e}");
    assert_eq!(ids.call_count(IdentityEndpoint::Container), 4);
    assert_eq!(bedrock_requests(&emu), before);
    // Through the chain's cache.
    ids.expired_next(2);
    let e = call(&chain_client(&emu, None)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials, "{e}");
    assert_eq!(ids.call_count(IdentityEndpoint::Container), 6);
    assert_eq!(bedrock_requests(&emu), before);
}

/// `ttl_without_expiry(Duration::MAX)` means "keep for good", not a panic.
#[test]
fn a_huge_cache_ttl_is_no_limit() {
    let mut env = TestEnv::new();
    env.enable_env_keys();
    let cache = CachingProvider::new(EnvironmentProvider::new()).ttl_without_expiry(Duration::MAX);
    assert_eq!(
        cache.provide_credentials().unwrap().access_key_id(),
        "AKIDFROMENV"
    );
    env.unset("AWS_ACCESS_KEY_ID");
    assert_eq!(
        cache.provide_credentials().unwrap().access_key_id(),
        "AKIDFROMENV"
    );
}
