//! Fake AWS identity endpoints for tests: STS (`AssumeRole`, `AssumeRoleWithWebIdentity`), IAM
//! Identity Center (`GetRoleCredentials`), the ECS / EKS container credentials endpoint and EC2
//! instance metadata (IMDSv2), served by the [`Emulator`](super::Emulator) through its
//! [`handler`](super::EmulatorBuilder::handler) hook on the same loopback port.
//!
//! ```
//! use bedrock_stream::emulator::identity::{IdentityServices, ISSUED_ACCESS_KEY_ID,
//!     ISSUED_SECRET_ACCESS_KEY, ISSUED_SESSION_TOKEN};
//! use bedrock_stream::emulator::Emulator;
//!
//! let ids = IdentityServices::new();
//! let emulator = Emulator::builder()
//!     // Bedrock accepts the credentials the fake STS / SSO / container / IMDS hand out.
//!     .session_credentials(ISSUED_ACCESS_KEY_ID, ISSUED_SECRET_ACCESS_KEY, ISSUED_SESSION_TOKEN)
//!     .handler(ids.handler())
//!     .start()
//!     .unwrap();
//! // Point the SDK-standard variables at it (in a test process or a child process):
//! for (name, value) in ids.env_vars(&emulator.endpoint_url()) {
//!     println!("{name}={value}");
//! }
//! ```
//!
//! Routes (any other path is left to the emulator, which answers `404`):
//! * `POST /` with a form body: STS. `AssumeRole` must be SigV4-signed for service `sts` (any
//!   region) by one of the source identities ([`IdentityServices::source_credentials`]; default
//!   the emulator's [`DEFAULT_ACCESS_KEY_ID`](super::DEFAULT_ACCESS_KEY_ID) /
//!   [`DEFAULT_SECRET_ACCESS_KEY`](super::DEFAULT_SECRET_ACCESS_KEY)).
//!   `AssumeRoleWithWebIdentity` needs an accepted token (by default any non-empty one).
//! * `GET /federation/credentials?role_name=…&account_id=…` with `x-amz-sso_bearer_token`: SSO.
//! * `GET /v2/credentials/…` (ECS) or `GET /v1/credentials` (EKS Pod Identity): the container
//!   endpoint, checking `Authorization` when a token is configured.
//! * `PUT /latest/api/token`, `GET /latest/meta-data/iam/security-credentials/[role]`: IMDSv2
//!   (IMDSv1 requests without a token are refused unless allowed).
//!
//! Every call is recorded ([`IdentityServices::calls`]) and can be made to fail
//! ([`IdentityServices::fail_next`]), to hang ([`IdentityServices::stall`], for cancel and
//! deadline tests) or to hand out credentials that have already expired
//! ([`IdentityServices::expired_next`]).

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;

use super::http::{HttpRequest, HttpResponse};
use super::sigv4::{verify, AuthConfig, Identity};
use super::Handler;
use crate::credentials::time::format_rfc3339;
use crate::credentials::xml::escape;

/// Access key id of the credentials every fake endpoint issues (unless changed).
pub const ISSUED_ACCESS_KEY_ID: &str = "ASIAEMULATORISSUED01";
/// Secret access key of the issued credentials.
pub const ISSUED_SECRET_ACCESS_KEY: &str = "emulator-issued-secret";
/// Session token of the issued credentials.
pub const ISSUED_SESSION_TOKEN: &str = "emulator-issued-session-token";
/// The path of the fake ECS container endpoint (use with
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:PORT/v2/credentials/emulator`).
pub const CONTAINER_PATH: &str = "/v2/credentials/emulator";
/// The IAM role name the fake IMDS reports (unless changed).
pub const IMDS_ROLE_NAME: &str = "emulator-instance-role";

/// One fake endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdentityEndpoint {
    /// STS `AssumeRole`.
    AssumeRole,
    /// STS `AssumeRoleWithWebIdentity`.
    AssumeRoleWithWebIdentity,
    /// SSO `GetRoleCredentials`.
    SsoGetRoleCredentials,
    /// The container credentials endpoint.
    Container,
    /// IMDS `PUT /latest/api/token`.
    ImdsToken,
    /// IMDS role list (`…/security-credentials/`).
    ImdsRole,
    /// IMDS role credentials (`…/security-credentials/{role}`).
    ImdsCredentials,
}

/// A recorded call.
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct IdentityCall {
    /// Which endpoint (`None` for an STS request with an unknown action).
    pub endpoint: Option<IdentityEndpoint>,
    /// The HTTP status answered.
    pub status: u16,
    /// `RoleArn` (STS).
    pub role_arn: Option<String>,
    /// `RoleSessionName` (STS).
    pub role_session_name: Option<String>,
    /// `ExternalId` (STS `AssumeRole`).
    pub external_id: Option<String>,
    /// `DurationSeconds` (STS `AssumeRole`).
    pub duration_seconds: Option<String>,
    /// Access key id that signed an `AssumeRole`.
    pub caller_access_key_id: Option<String>,
    /// `account_id` / `role_name` (SSO).
    pub sso_account_id: Option<String>,
    /// `role_name` (SSO).
    pub sso_role_name: Option<String>,
    /// Whether an IMDS request carried a session token / a container request an
    /// `Authorization` header / an SSO request its bearer token.
    pub had_token: bool,
}

impl fmt::Debug for IdentityCall {
    // Tokens are never recorded; these fields are not secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityCall")
            .field("endpoint", &self.endpoint)
            .field("status", &self.status)
            .field("role_arn", &self.role_arn)
            .field("role_session_name", &self.role_session_name)
            .field("caller_access_key_id", &self.caller_access_key_id)
            .field("had_token", &self.had_token)
            .finish_non_exhaustive()
    }
}

struct State {
    sources: Vec<Identity>,
    accept_any_source: bool,
    web_identity_tokens: Vec<String>,
    sso_tokens: Vec<String>,
    container_token: Option<String>,
    imds_role: Option<String>,
    imds_allow_v1: bool,
    imds_token_status: Option<u16>,
    imds_tokens: Vec<String>,
    issued: (String, String, String),
    lifetime: Duration,
    denied_roles: Vec<String>,
    external_ids: HashMap<String, String>,
    fail_next: HashMap<IdentityEndpoint, VecDeque<u16>>,
    /// Endpoints whose requests are held without an answer.
    stalled: HashSet<IdentityEndpoint>,
    /// Requests held right now.
    held: usize,
    /// Incremented by [`IdentityServices::release_stalled`].
    releases: u64,
    /// How many of the next issued credentials are already expired.
    expired_next: usize,
    calls: Vec<IdentityCall>,
}

/// The longest a stalled request is held when nobody releases it (so that an emulator whose
/// test forgot to release can still shut down).
const MAX_STALL: Duration = Duration::from_secs(60);

/// The fake identity endpoints, shared between the test and the emulator's handler.
#[derive(Clone)]
pub struct IdentityServices {
    state: Arc<Mutex<State>>,
    /// Signalled when a request is held or the held ones are released.
    stall_changed: Arc<Condvar>,
}

impl fmt::Debug for IdentityServices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityServices")
            .field("calls", &self.lock().calls.len())
            .finish_non_exhaustive()
    }
}

impl Default for IdentityServices {
    fn default() -> Self {
        IdentityServices::new()
    }
}

impl IdentityServices {
    /// Defaults: `AssumeRole` signed by the emulator's default key pair, any web identity token,
    /// any SSO token, no container token required, IMDS role [`IMDS_ROLE_NAME`] (IMDSv2 only),
    /// credentials [`ISSUED_ACCESS_KEY_ID`] / … valid for one hour.
    pub fn new() -> Self {
        IdentityServices {
            state: Arc::new(Mutex::new(State {
                sources: vec![Identity {
                    access_key_id: super::DEFAULT_ACCESS_KEY_ID.into(),
                    secret_access_key: super::DEFAULT_SECRET_ACCESS_KEY.into(),
                    session_token: None,
                }],
                accept_any_source: false,
                web_identity_tokens: Vec::new(),
                sso_tokens: Vec::new(),
                container_token: None,
                imds_role: Some(IMDS_ROLE_NAME.into()),
                imds_allow_v1: false,
                imds_token_status: None,
                imds_tokens: Vec::new(),
                issued: (
                    ISSUED_ACCESS_KEY_ID.into(),
                    ISSUED_SECRET_ACCESS_KEY.into(),
                    ISSUED_SESSION_TOKEN.into(),
                ),
                lifetime: Duration::from_secs(3600),
                denied_roles: Vec::new(),
                external_ids: HashMap::new(),
                fail_next: HashMap::new(),
                stalled: HashSet::new(),
                held: 0,
                releases: 0,
                expired_next: 0,
                calls: Vec::new(),
            })),
            stall_changed: Arc::new(Condvar::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Also accept `AssumeRole` calls signed with this identity (a session token when `Some`).
    pub fn source_credentials(
        &self,
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
    ) -> &Self {
        self.lock().sources.push(Identity {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: session_token.map(String::from),
        });
        self
    }

    /// Accept any (or no) signature on `AssumeRole`.
    pub fn accept_any_source(&self) -> &Self {
        self.lock().accept_any_source = true;
        self
    }

    /// Accept only these web identity tokens (default: any non-empty token).
    pub fn web_identity_token(&self, token: &str) -> &Self {
        self.lock().web_identity_tokens.push(token.into());
        self
    }

    /// Accept only these SSO access tokens (default: any non-empty token).
    pub fn sso_access_token(&self, token: &str) -> &Self {
        self.lock().sso_tokens.push(token.into());
        self
    }

    /// Require this `Authorization` value on the container endpoint.
    pub fn container_authorization(&self, token: &str) -> &Self {
        self.lock().container_token = Some(token.into());
        self
    }

    /// The IMDS role name (`None`: the instance has no role, the list answers `404`).
    pub fn imds_role(&self, role: Option<&str>) -> &Self {
        self.lock().imds_role = role.map(String::from);
        self
    }

    /// Answer IMDS requests without a session token (IMDSv1).
    pub fn imds_allow_v1(&self, allow: bool) -> &Self {
        self.lock().imds_allow_v1 = allow;
        self
    }

    /// Answer every IMDS token `PUT` with this status (e.g. `403`, `405`) instead of a token.
    pub fn imds_token_status(&self, status: Option<u16>) -> &Self {
        self.lock().imds_token_status = status;
        self
    }

    /// The credentials handed out from now on.
    pub fn issue_credentials(
        &self,
        access_key_id: &str,
        secret_access_key: &str,
        session_token: &str,
    ) -> &Self {
        self.lock().issued = (
            access_key_id.into(),
            secret_access_key.into(),
            session_token.into(),
        );
        self
    }

    /// How long issued credentials are valid (default one hour; may be zero).
    pub fn credentials_lifetime(&self, lifetime: Duration) -> &Self {
        self.lock().lifetime = lifetime;
        self
    }

    /// `AssumeRole` / `AssumeRoleWithWebIdentity` on this role answer `403 AccessDenied`.
    pub fn deny_role(&self, role_arn: &str) -> &Self {
        self.lock().denied_roles.push(role_arn.into());
        self
    }

    /// `AssumeRole` on this role requires this `ExternalId`.
    pub fn require_external_id(&self, role_arn: &str, external_id: &str) -> &Self {
        self.lock()
            .external_ids
            .insert(role_arn.into(), external_id.into());
        self
    }

    /// The next call to `endpoint` answers `status` with the service's error shape.
    pub fn fail_next(&self, endpoint: IdentityEndpoint, status: u16) -> &Self {
        self.lock()
            .fail_next
            .entry(endpoint)
            .or_default()
            .push_back(status);
        self
    }

    /// Hold every request to `endpoint` without answering (the endpoint "hangs") until
    /// [`release_stalled`](IdentityServices::release_stalled), at most one minute. Wait for the
    /// requests to arrive with [`wait_stalled`](IdentityServices::wait_stalled).
    pub fn stall(&self, endpoint: IdentityEndpoint) -> &Self {
        self.lock().stalled.insert(endpoint);
        self
    }

    /// Stop stalling and answer the held requests (normally, or with their injected failure).
    pub fn release_stalled(&self) -> &Self {
        let mut st = self.lock();
        st.stalled.clear();
        st.releases += 1;
        self.stall_changed.notify_all();
        self
    }

    /// Block until at least `n` requests are held, or `timeout` passes; returns whether they
    /// are.
    pub fn wait_stalled(&self, n: usize, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        let mut st = self.lock();
        while st.held < n {
            let now = Instant::now();
            if now >= end {
                return false;
            }
            st = self
                .stall_changed
                .wait_timeout(st, end - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }

    /// How many requests are held right now.
    pub fn stalled_requests(&self) -> usize {
        self.lock().held
    }

    /// The next `n` credentials handed out (by any endpoint) expired one minute ago.
    pub fn expired_next(&self, n: usize) -> &Self {
        self.lock().expired_next = n;
        self
    }

    /// Hold the request when its endpoint is stalled.
    fn maybe_stall(&self, endpoint: Option<IdentityEndpoint>) {
        let Some(endpoint) = endpoint else {
            return;
        };
        let mut st = self.lock();
        if !st.stalled.contains(&endpoint) {
            return;
        }
        let release = st.releases;
        let end = Instant::now() + MAX_STALL;
        st.held += 1;
        self.stall_changed.notify_all();
        while st.releases == release {
            let now = Instant::now();
            if now >= end {
                break;
            }
            st = self
                .stall_changed
                .wait_timeout(st, end - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        st.held -= 1;
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<IdentityCall> {
        self.lock().calls.clone()
    }

    /// How many calls `endpoint` received.
    pub fn call_count(&self, endpoint: IdentityEndpoint) -> usize {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.endpoint == Some(endpoint))
            .count()
    }

    /// The standard variables that point an AWS SDK (or this crate) at the fake endpoints of an
    /// emulator listening at `endpoint_url`: `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL_SSO`,
    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI`, `AWS_EC2_METADATA_SERVICE_ENDPOINT`.
    pub fn env_vars(&self, endpoint_url: &str) -> Vec<(String, String)> {
        let base = endpoint_url.trim_end_matches('/');
        vec![
            ("AWS_ENDPOINT_URL_STS".into(), base.to_string()),
            ("AWS_ENDPOINT_URL_SSO".into(), base.to_string()),
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI".into(),
                format!("{base}{CONTAINER_PATH}"),
            ),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT".into(), base.to_string()),
        ]
    }

    /// The handler to install with [`EmulatorBuilder::handler`](super::EmulatorBuilder::handler).
    pub fn handler(&self) -> Handler {
        let me = self.clone();
        Arc::new(move |req: &HttpRequest| me.handle(req))
    }

    /// Answer one request, or `None` when it is not for an identity endpoint.
    pub fn handle(&self, req: &HttpRequest) -> Option<HttpResponse> {
        let path = req.path.as_str();
        self.maybe_stall(endpoint_of(req));
        let (endpoint, resp, call) = if req.method == "POST" && (path == "/" || path.is_empty()) {
            self.sts(req)
        } else if req.method == "GET" && path == "/federation/credentials" {
            self.sso(req)
        } else if req.method == "GET"
            && (path.starts_with("/v2/credentials/") || path == "/v1/credentials")
        {
            self.container(req)
        } else if path == "/latest/api/token" || path.starts_with("/latest/meta-data/iam/") {
            self.imds(req)
        } else {
            return None;
        };
        let mut call = call;
        call.endpoint = endpoint;
        call.status = resp.status;
        self.lock().calls.push(call);
        Some(resp)
    }

    fn take_failure(&self, endpoint: IdentityEndpoint) -> Option<u16> {
        self.lock()
            .fail_next
            .get_mut(&endpoint)
            .and_then(VecDeque::pop_front)
    }

    fn issue(&self) -> (String, String, String, String) {
        let mut st = self.lock();
        let exp = if st.expired_next > 0 {
            st.expired_next -= 1;
            format_rfc3339(SystemTime::now() - Duration::from_secs(60))
        } else {
            format_rfc3339(SystemTime::now() + st.lifetime)
        };
        (
            st.issued.0.clone(),
            st.issued.1.clone(),
            st.issued.2.clone(),
            exp,
        )
    }

    // ---- STS ----------------------------------------------------------------------------

    fn sts(&self, req: &HttpRequest) -> (Option<IdentityEndpoint>, HttpResponse, IdentityCall) {
        let form = parse_form(&String::from_utf8_lossy(&req.body));
        let get = |k: &str| form.get(k).cloned();
        let mut call = IdentityCall {
            role_arn: get("RoleArn"),
            role_session_name: get("RoleSessionName"),
            external_id: get("ExternalId"),
            duration_seconds: get("DurationSeconds"),
            ..IdentityCall::default()
        };
        let action = get("Action").unwrap_or_default();
        let endpoint = match action.as_str() {
            "AssumeRole" => IdentityEndpoint::AssumeRole,
            "AssumeRoleWithWebIdentity" => IdentityEndpoint::AssumeRoleWithWebIdentity,
            other => {
                let msg =
                    format!("Could not find operation {other} for version NO_VERSION_SPECIFIED");
                return (None, sts_error(400, "InvalidAction", &msg), call);
            }
        };
        if let Some(status) = self.take_failure(endpoint) {
            let code = match status {
                403 => "AccessDenied",
                400 => "ValidationError",
                401..=499 => "Throttling",
                _ => "ServiceUnavailable",
            };
            return (
                Some(endpoint),
                sts_error(status, code, "injected failure"),
                call,
            );
        }
        if form.get("Version").map(String::as_str) != Some("2011-06-15") {
            return (
                Some(endpoint),
                sts_error(400, "InvalidParameterValue", "Version must be 2011-06-15"),
                call,
            );
        }
        let Some(role_arn) = call.role_arn.clone().filter(|r| r.starts_with("arn:")) else {
            return (
                Some(endpoint),
                sts_error(
                    400,
                    "ValidationError",
                    "1 validation error detected: Value at 'roleArn' failed to satisfy constraint",
                ),
                call,
            );
        };
        let session_ok = call.role_session_name.as_deref().is_some_and(|s| {
            (2..=64).contains(&s.len())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c))
        });
        if !session_ok {
            return (
                Some(endpoint),
                sts_error(400, "ValidationError", "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint"),
                call,
            );
        }
        match endpoint {
            IdentityEndpoint::AssumeRole => {
                // Verify the SigV4 signature for service `sts`, in whatever region was signed.
                let region = req
                    .header("authorization")
                    .and_then(|a| a.split("Credential=").nth(1))
                    .and_then(|c| c.split('/').nth(2))
                    .unwrap_or("us-east-1")
                    .to_string();
                let (sources, any) = {
                    let st = self.lock();
                    (st.sources.clone(), st.accept_any_source)
                };
                let cfg = AuthConfig {
                    identities: sources,
                    bearer_tokens: Vec::new(),
                    expired_session_tokens: Vec::new(),
                    region,
                    service: "sts".into(),
                    max_skew_secs: 15 * 60,
                    accept_any: any,
                };
                match verify(req, &cfg, super::time::now_unix()) {
                    Ok(super::AuthOutcome::SigV4 { access_key_id, .. }) => {
                        call.caller_access_key_id = Some(access_key_id)
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let code = match e.error_type {
                            "UnrecognizedClientException" => "InvalidClientTokenId",
                            "InvalidSignatureException" => "SignatureDoesNotMatch",
                            "MissingAuthenticationTokenException" => "MissingAuthenticationToken",
                            "ExpiredTokenException" => "ExpiredToken",
                            other => other,
                        };
                        return (Some(endpoint), sts_error(e.status, code, &e.message), call);
                    }
                }
                let required = self.lock().external_ids.get(&role_arn).cloned();
                if let Some(want) = required {
                    if call.external_id.as_deref() != Some(want.as_str()) {
                        return (
                            Some(endpoint),
                            sts_error(403, "AccessDenied", &format!("User is not authorized to perform: sts:AssumeRole on resource: {role_arn}")),
                            call,
                        );
                    }
                }
            }
            _ => {
                let token = form.get("WebIdentityToken").cloned().unwrap_or_default();
                call.had_token = !token.is_empty();
                let accepted = {
                    let st = self.lock();
                    !token.is_empty()
                        && (st.web_identity_tokens.is_empty()
                            || st.web_identity_tokens.contains(&token))
                };
                if !accepted {
                    return (
                        Some(endpoint),
                        sts_error(
                            400,
                            "InvalidIdentityToken",
                            "Couldn't retrieve verification key from your identity provider",
                        ),
                        call,
                    );
                }
            }
        }
        if self.lock().denied_roles.contains(&role_arn) {
            return (
                Some(endpoint),
                sts_error(
                    403,
                    "AccessDenied",
                    &format!("Not authorized to perform sts:AssumeRole on {role_arn}"),
                ),
                call,
            );
        }
        let (id, secret, token, exp) = self.issue();
        let action = if endpoint == IdentityEndpoint::AssumeRole {
            "AssumeRole"
        } else {
            "AssumeRoleWithWebIdentity"
        };
        let session = call.role_session_name.clone().unwrap_or_default();
        let body = format!(
            "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n\
             <{action}Result>\n\
             <AssumedRoleUser><Arn>{}</Arn><AssumedRoleId>AROAEMULATOR:{}</AssumedRoleId></AssumedRoleUser>\n\
             <Credentials>\n\
             <AccessKeyId>{}</AccessKeyId>\n\
             <SecretAccessKey>{}</SecretAccessKey>\n\
             <SessionToken>{}</SessionToken>\n\
             <Expiration>{}</Expiration>\n\
             </Credentials>\n\
             </{action}Result>\n\
             <ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata>\n\
             </{action}Response>\n",
            escape(&role_arn),
            escape(&session),
            escape(&id),
            escape(&secret),
            escape(&token),
            exp,
            request_id()
        );
        (
            Some(endpoint),
            HttpResponse::new(200, "text/xml", body),
            call,
        )
    }

    // ---- SSO ----------------------------------------------------------------------------

    fn sso(&self, req: &HttpRequest) -> (Option<IdentityEndpoint>, HttpResponse, IdentityCall) {
        let endpoint = Some(IdentityEndpoint::SsoGetRoleCredentials);
        let q = parse_form(&req.query);
        let token = req
            .header("x-amz-sso_bearer_token")
            .unwrap_or("")
            .to_string();
        let call = IdentityCall {
            sso_account_id: q.get("account_id").cloned(),
            sso_role_name: q.get("role_name").cloned(),
            had_token: !token.is_empty(),
            ..IdentityCall::default()
        };
        let err = |status: u16, ty: &str, msg: &str| {
            HttpResponse::json(status, &json!({ "message": msg }))
                .with_header("x-amzn-ErrorType", ty)
                .with_header("x-amzn-RequestId", &request_id())
        };
        if let Some(status) = self.take_failure(IdentityEndpoint::SsoGetRoleCredentials) {
            return (
                endpoint,
                err(status, "InjectedFailure", "injected failure"),
                call,
            );
        }
        if call.sso_account_id.is_none() || call.sso_role_name.is_none() {
            return (
                endpoint,
                err(
                    400,
                    "InvalidRequestException",
                    "role_name and account_id are required",
                ),
                call,
            );
        }
        let accepted = {
            let st = self.lock();
            !token.is_empty() && (st.sso_tokens.is_empty() || st.sso_tokens.contains(&token))
        };
        if !accepted {
            return (
                endpoint,
                err(
                    401,
                    "UnauthorizedException",
                    "Session token not found or invalid",
                ),
                call,
            );
        }
        let (id, secret, token, exp) = self.issue();
        let exp_ms = crate::credentials::time::parse_rfc3339(&exp)
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let body = json!({"roleCredentials": {
            "accessKeyId": id, "secretAccessKey": secret, "sessionToken": token,
            "expiration": exp_ms
        }});
        (endpoint, HttpResponse::json(200, &body), call)
    }

    // ---- container --------------------------------------------------------------------------

    fn container(
        &self,
        req: &HttpRequest,
    ) -> (Option<IdentityEndpoint>, HttpResponse, IdentityCall) {
        let endpoint = Some(IdentityEndpoint::Container);
        let auth = req.header("authorization").map(str::to_string);
        let call = IdentityCall {
            had_token: auth.is_some(),
            ..IdentityCall::default()
        };
        if let Some(status) = self.take_failure(IdentityEndpoint::Container) {
            let body = json!({"code": "InjectedFailure", "message": "injected failure"});
            return (endpoint, HttpResponse::json(status, &body), call);
        }
        let want = self.lock().container_token.clone();
        if let Some(want) = want {
            if auth.as_deref() != Some(want.as_str()) {
                let body = json!({"code": "AccessDeniedException", "message": "Unable to authorize the request"});
                return (endpoint, HttpResponse::json(401, &body), call);
            }
        }
        let (id, secret, token, exp) = self.issue();
        let body = json!({
            "AccessKeyId": id, "SecretAccessKey": secret, "Token": token, "Expiration": exp,
            "RoleArn": "arn:aws:iam::123456789012:role/emulator-task-role"
        });
        (endpoint, HttpResponse::json(200, &body), call)
    }

    // ---- IMDS ---------------------------------------------------------------------------

    fn imds(&self, req: &HttpRequest) -> (Option<IdentityEndpoint>, HttpResponse, IdentityCall) {
        let text =
            |status: u16, body: &str| HttpResponse::new(status, "text/plain", body.to_string());
        if req.path == "/latest/api/token" {
            let endpoint = Some(IdentityEndpoint::ImdsToken);
            let call = IdentityCall::default();
            if req.method != "PUT" {
                return (endpoint, text(405, "Method Not Allowed"), call);
            }
            if let Some(status) = self.take_failure(IdentityEndpoint::ImdsToken) {
                return (endpoint, text(status, "injected failure"), call);
            }
            if let Some(status) = self.lock().imds_token_status {
                return (endpoint, text(status, "Forbidden"), call);
            }
            let ttl = req
                .header("x-aws-ec2-metadata-token-ttl-seconds")
                .and_then(|v| v.trim().parse::<u32>().ok());
            if !ttl.is_some_and(|t| (1..=21600).contains(&t)) {
                return (endpoint, text(400, "Bad Request"), call);
            }
            let token = format!("imds-token-{:016x}", fastrand::u64(..));
            self.lock().imds_tokens.push(token.clone());
            return (
                endpoint,
                text(200, &token).with_header(
                    "x-aws-ec2-metadata-token-ttl-seconds",
                    &ttl.unwrap_or(0).to_string(),
                ),
                call,
            );
        }
        let rest = req
            .path
            .strip_prefix("/latest/meta-data/iam/security-credentials")
            .unwrap_or("!");
        let endpoint = if rest == "/" || rest.is_empty() {
            IdentityEndpoint::ImdsRole
        } else {
            IdentityEndpoint::ImdsCredentials
        };
        let token = req.header("x-aws-ec2-metadata-token").map(str::to_string);
        let call = IdentityCall {
            had_token: token.is_some(),
            ..IdentityCall::default()
        };
        if req.method != "GET" || rest == "!" {
            return (Some(endpoint), text(404, "Not Found"), call);
        }
        if let Some(status) = self.take_failure(endpoint) {
            return (Some(endpoint), text(status, "injected failure"), call);
        }
        let (role, allowed) = {
            let st = self.lock();
            let allowed = match &token {
                Some(t) => st.imds_tokens.contains(t),
                None => st.imds_allow_v1,
            };
            (st.imds_role.clone(), allowed)
        };
        if !allowed {
            return (Some(endpoint), text(401, "Unauthorized"), call);
        }
        let Some(role) = role else {
            return (Some(endpoint), text(404, "Not Found"), call);
        };
        if endpoint == IdentityEndpoint::ImdsRole {
            return (Some(endpoint), text(200, &role), call);
        }
        if rest.trim_start_matches('/').trim_end_matches('/') != role {
            return (Some(endpoint), text(404, "Not Found"), call);
        }
        let (id, secret, token, exp) = self.issue();
        let body = json!({
            "Code": "Success", "LastUpdated": format_rfc3339(SystemTime::now()),
            "Type": "AWS-HMAC", "AccessKeyId": id, "SecretAccessKey": secret,
            "Token": token, "Expiration": exp
        });
        (Some(endpoint), HttpResponse::json(200, &body), call)
    }
}

/// Which endpoint a request is for (`None`: not an identity endpoint, or an unknown action).
fn endpoint_of(req: &HttpRequest) -> Option<IdentityEndpoint> {
    let path = req.path.as_str();
    if req.method == "POST" && (path == "/" || path.is_empty()) {
        let form = parse_form(&String::from_utf8_lossy(&req.body));
        return match form.get("Action").map(String::as_str) {
            Some("AssumeRole") => Some(IdentityEndpoint::AssumeRole),
            Some("AssumeRoleWithWebIdentity") => Some(IdentityEndpoint::AssumeRoleWithWebIdentity),
            _ => None,
        };
    }
    if path == "/federation/credentials" {
        return Some(IdentityEndpoint::SsoGetRoleCredentials);
    }
    if path.starts_with("/v2/credentials/") || path == "/v1/credentials" {
        return Some(IdentityEndpoint::Container);
    }
    if path == "/latest/api/token" {
        return Some(IdentityEndpoint::ImdsToken);
    }
    match path.strip_prefix("/latest/meta-data/iam/security-credentials") {
        Some("" | "/") => Some(IdentityEndpoint::ImdsRole),
        Some(_) => Some(IdentityEndpoint::ImdsCredentials),
        None => None,
    }
}

fn request_id() -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        fastrand::u32(..),
        fastrand::u16(..),
        fastrand::u16(..0x1000),
        fastrand::u16(..0x1000),
        fastrand::u64(..1 << 48)
    )
}

fn sts_error(status: u16, code: &str, message: &str) -> HttpResponse {
    let kind = if status >= 500 { "Receiver" } else { "Sender" };
    let body = format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n\
         <Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error>\n\
         <RequestId>{}</RequestId>\n</ErrorResponse>\n",
        escape(code),
        escape(message),
        request_id()
    );
    HttpResponse::new(status, "text/xml", body)
}

/// Decode `a=b&c=d` (`+` is a space).
fn parse_form(s: &str) -> HashMap<String, String> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |x: &str| {
                percent_encoding::percent_decode_str(&x.replace('+', " "))
                    .decode_utf8()
                    .ok()
                    .map(|c| c.into_owned())
            };
            Some((dec(k)?, dec(v)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(
        method: &str,
        path: &str,
        query: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            path: path.into(),
            query: query.into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn web_identity_and_unknown_actions() {
        let ids = IdentityServices::new();
        ids.web_identity_token("good");
        let form = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&RoleSessionName=s1&WebIdentityToken=";
        let r = ids
            .handle(&req("POST", "/", "", &[], &format!("{form}good")))
            .unwrap();
        assert_eq!(r.status, 200);
        let body = String::from_utf8(r.body).unwrap();
        assert!(body.contains(ISSUED_ACCESS_KEY_ID), "{body}");
        let r = ids
            .handle(&req("POST", "/", "", &[], &format!("{form}bad")))
            .unwrap();
        assert_eq!(r.status, 400);
        assert!(String::from_utf8(r.body)
            .unwrap()
            .contains("InvalidIdentityToken"));
        let r = ids
            .handle(&req(
                "POST",
                "/",
                "",
                &[],
                "Action=GetCallerIdentity&Version=2011-06-15",
            ))
            .unwrap();
        assert_eq!(r.status, 400);
        assert!(ids.handle(&req("GET", "/other", "", &[], "")).is_none());
        let calls = ids.calls();
        assert_eq!(calls.len(), 3);
        assert_eq!(calls[0].role_arn.as_deref(), Some("arn:aws:iam::1:role/r"));
        assert_eq!(
            ids.call_count(IdentityEndpoint::AssumeRoleWithWebIdentity),
            2
        );
    }

    #[test]
    fn unsigned_assume_role_is_refused() {
        let ids = IdentityServices::new();
        let r = ids
            .handle(&req(
                "POST",
                "/",
                "",
                &[],
                "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Ax&RoleSessionName=abc",
            ))
            .unwrap();
        assert_eq!(r.status, 403);
        assert!(String::from_utf8(r.body)
            .unwrap()
            .contains("MissingAuthenticationToken"));
    }

    #[test]
    fn imds_requires_a_token_unless_v1_allowed() {
        let ids = IdentityServices::new();
        let r = ids
            .handle(&req(
                "GET",
                "/latest/meta-data/iam/security-credentials/",
                "",
                &[],
                "",
            ))
            .unwrap();
        assert_eq!(r.status, 401);
        let r = ids
            .handle(&req(
                "PUT",
                "/latest/api/token",
                "",
                &[("x-aws-ec2-metadata-token-ttl-seconds", "21600")],
                "",
            ))
            .unwrap();
        assert_eq!(r.status, 200);
        let tok = String::from_utf8(r.body).unwrap();
        let h = [("x-aws-ec2-metadata-token", tok.as_str())];
        let r = ids
            .handle(&req(
                "GET",
                "/latest/meta-data/iam/security-credentials/",
                "",
                &h,
                "",
            ))
            .unwrap();
        assert_eq!(String::from_utf8(r.body).unwrap(), IMDS_ROLE_NAME);
        let path = format!("/latest/meta-data/iam/security-credentials/{IMDS_ROLE_NAME}");
        let r = ids.handle(&req("GET", &path, "", &h, "")).unwrap();
        assert_eq!(r.status, 200);
        ids.imds_allow_v1(true);
        let r = ids.handle(&req("GET", &path, "", &[], "")).unwrap();
        assert_eq!(r.status, 200);
        let r = ids
            .handle(&req("PUT", "/latest/api/token", "", &[], ""))
            .unwrap();
        assert_eq!(r.status, 400);
    }
}
