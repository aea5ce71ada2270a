//! `bedrock_stream_config`: the settings a client is built from.

use std::ffi::c_char;
use std::time::Duration;

use super::args::{arg_bytes, arg_mut, arg_opt_str, arg_str, free_boxed, out_ptr, write_boxed};
use super::error::{bedrock_stream_error, Fail};
use super::status::bedrock_stream_status;
use crate::client::ClientBuilder;
use crate::credentials::Credentials;
use crate::Client;

/// Settings for `bedrock_stream_client_new`: an opaque handle changed with the
/// `bedrock_stream_config_set_*` functions.
///
/// Everything not set is resolved from the environment when the client is built, as the AWS
/// SDKs do: region from `AWS_REGION` / `AWS_DEFAULT_REGION` / the profile, endpoint from
/// `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` / `AWS_ENDPOINT_URL`, credentials from
/// `AWS_BEARER_TOKEN_BEDROCK` or `AWS_ACCESS_KEY_ID` & co., proxy from `HTTPS_PROXY` / `NO_PROXY`.
///
/// Created by `bedrock_stream_config_new`, freed by `bedrock_stream_config_free`. A config is
/// only read by `bedrock_stream_client_new` (it may be freed or reused right after). Not
/// thread-safe: one thread at a time may use a config (it may move between threads).
/// The strings passed to the setters are copied.
#[derive(Default)]
pub struct bedrock_stream_config {
    /// The settings; the secrets in it are zeroized when replaced or dropped.
    builder: ClientBuilder,
}

impl bedrock_stream_config {
    /// Build the client these settings describe (the config stays as it is).
    pub(crate) fn build(&self) -> crate::Result<Client> {
        self.builder.clone().build()
    }
}

fn millis(v: u64) -> Option<Duration> {
    (v != 0).then(|| Duration::from_millis(v))
}

/// Create a config with nothing set. On success `*config_out` receives a new config that the
/// caller frees with `bedrock_stream_config_free`.
///
/// `config_out` must not be NULL. `err_out` may be NULL; when not NULL, `*err_out` is set only
/// if the call fails (to an error the caller frees with `bedrock_stream_error_free`).
///
/// # Safety
///
/// `config_out` valid for writing one pointer; `err_out` NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_new(
    config_out: *mut *mut bedrock_stream_config,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        out_ptr(config_out, "config_out")?;
        // SAFETY: checked not NULL; writable per the contract.
        unsafe { write_boxed(config_out, bedrock_stream_config::default()) };
        Ok(())
    })
}

/// Free a config. `config` may be NULL (nothing happens). Clients built from it are not
/// affected.
///
/// # Safety
///
/// `config` is NULL or a config from `bedrock_stream_config_new` not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_free(config: *mut bedrock_stream_config) {
    ffi_boundary!({
        // SAFETY: NULL or handed out by this library and not freed yet (caller contract).
        unsafe { free_boxed(config) }
    })
}

/// Apply `f` to the config behind `config` with a copy of the required UTF-8 string `value`.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `value` is NULL or
/// NUL-terminated.
unsafe fn set_string(
    config: *mut bedrock_stream_config,
    value: *const c_char,
    name: &str,
    f: impl FnOnce(ClientBuilder, &str) -> ClientBuilder,
) -> Result<(), Fail> {
    // SAFETY: forwarded contract.
    let c = unsafe { arg_mut(config, "config") }?;
    // SAFETY: forwarded contract.
    let v = unsafe { arg_str(value, name) }?;
    c.builder = f(std::mem::take(&mut c.builder), v);
    Ok(())
}

/// Apply `f` to the config behind `config`.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread.
unsafe fn set_value(
    config: *mut bedrock_stream_config,
    f: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> Result<(), Fail> {
    // SAFETY: forwarded contract.
    let c = unsafe { arg_mut(config, "config") }?;
    c.builder = f(std::mem::take(&mut c.builder));
    Ok(())
}

/// The AWS region, e.g. `"us-east-1"` (also the SigV4 signing region). An empty string is not
/// "unset": `bedrock_stream_client_new` then fails with `BEDROCK_STREAM_STATUS_CONFIG`.
///
/// `config` and `region` must not be NULL; `region` must be UTF-8 and is copied. Returns
/// `BEDROCK_STREAM_STATUS_NULL_ARGUMENT` or `BEDROCK_STREAM_STATUS_INVALID_UTF8` otherwise
/// (the config is then unchanged). `err_out` may be NULL; `*err_out` is set only on failure.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `region` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_region(
    config: *mut bedrock_stream_config,
    region: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { set_string(config, region, "region", |b, v| b.region(v)) }
    })
}

/// A custom endpoint URL (VPC endpoint, proxy, the local emulator), e.g.
/// `"http://127.0.0.1:8080"`. Requests are still signed for `bedrock` in the region.
/// Validated by `bedrock_stream_client_new` (`BEDROCK_STREAM_STATUS_CONFIG`): an empty string, a
/// URL with user-info or any `@`, a query or a fragment are refused, and the message never
/// repeats the URL.
///
/// `config` and `url` must not be NULL; `url` must be UTF-8 and is copied. Returns
/// `BEDROCK_STREAM_STATUS_NULL_ARGUMENT` or `BEDROCK_STREAM_STATUS_INVALID_UTF8` otherwise
/// (the config is then unchanged). `err_out` may be NULL; `*err_out` is set only on failure.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `url` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_endpoint_url(
    config: *mut bedrock_stream_config,
    url: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { set_string(config, url, "url", |b, v| b.endpoint_url(v)) }
    })
}

/// The shared-config profile to read (instead of `AWS_PROFILE` / `default`). As with the AWS
/// CLI's `--profile`, it wins over the environment: `AWS_BEARER_TOKEN_BEDROCK`,
/// `AWS_ACCESS_KEY_ID` & co. and `AWS_WEB_IDENTITY_TOKEN_FILE` are then not used.
///
/// `config` and `profile` must not be NULL; `profile` must be UTF-8 and is copied. Returns
/// `BEDROCK_STREAM_STATUS_NULL_ARGUMENT` or `BEDROCK_STREAM_STATUS_INVALID_UTF8` otherwise
/// (the config is then unchanged). `err_out` may be NULL; `*err_out` is set only on failure.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `profile` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_profile(
    config: *mut bedrock_stream_config,
    profile: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { set_string(config, profile, "profile", |b, v| b.profile(v)) }
    })
}

/// A Bedrock API key, sent as `Authorization: Bearer` instead of SigV4 signing. Takes
/// precedence over static credentials and over `AWS_BEARER_TOKEN_BEDROCK`.
///
/// `config` and `token` must not be NULL; `token` must be UTF-8 and is copied. Returns
/// `BEDROCK_STREAM_STATUS_NULL_ARGUMENT` or `BEDROCK_STREAM_STATUS_INVALID_UTF8` otherwise
/// (the config is then unchanged). `err_out` may be NULL; `*err_out` is set only on failure.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `token` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_bearer_token(
    config: *mut bedrock_stream_config,
    token: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe {
            set_string(config, token, "token", |b, v| {
                b.bearer_token(v)
            })
        }
    })
}

/// An HTTP(S) proxy URL (`"http://user:pass@host:port"`) used instead of `HTTPS_PROXY` &
/// co. Validated by `bedrock_stream_client_new` (`BEDROCK_STREAM_STATUS_CONFIG`; an empty string
/// is refused too). The password never appears in an error message.
///
/// `config` and `url` must not be NULL; `url` must be UTF-8 and is copied. Returns
/// `BEDROCK_STREAM_STATUS_NULL_ARGUMENT` or `BEDROCK_STREAM_STATUS_INVALID_UTF8` otherwise
/// (the config is then unchanged). `err_out` may be NULL; `*err_out` is set only on failure.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `url` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_proxy(
    config: *mut bedrock_stream_config,
    url: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { set_string(config, url, "url", |b, v| b.proxy(v)) }
    })
}

/// Text appended to the `User-Agent` header.
///
/// `config` and `suffix` must not be NULL; `suffix` must be UTF-8 and is copied. Returns
/// `BEDROCK_STREAM_STATUS_NULL_ARGUMENT` or `BEDROCK_STREAM_STATUS_INVALID_UTF8` otherwise
/// (the config is then unchanged). `err_out` may be NULL; `*err_out` is set only on failure.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `suffix` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_user_agent_suffix(
    config: *mut bedrock_stream_config,
    suffix: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { set_string(config, suffix, "suffix", |b, v| b.user_agent_suffix(v)) }
    })
}

/// Static AWS credentials: access key id, secret access key and, for temporary credentials,
/// a session token. Used instead of the environment's credentials (a bearer token set with
/// `bedrock_stream_config_set_bearer_token` still wins).
///
/// `config`, `access_key_id` and `secret_access_key` must not be NULL; `session_token` may be
/// NULL (no session token). All strings must be UTF-8 and are copied. On failure the config is
/// unchanged. `err_out` may be NULL; `*err_out` is set only on failure.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; each string is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_credentials(
    config: *mut bedrock_stream_config,
    access_key_id: *const c_char,
    secret_access_key: *const c_char,
    session_token: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract (for this and the three strings below).
        let c = unsafe { arg_mut(config, "config") }?;
        // SAFETY: as above.
        let id = unsafe { arg_str(access_key_id, "access_key_id") }?;
        // SAFETY: as above.
        let secret = unsafe { arg_str(secret_access_key, "secret_access_key") }?;
        // SAFETY: as above.
        let token = unsafe { arg_opt_str(session_token, "session_token") }?;
        let credentials = Credentials::new(id, secret, token.map(str::to_owned));
        c.builder = std::mem::take(&mut c.builder).credentials(credentials);
        Ok(())
    })
}

/// When `ignore` is true, `AWS_BEARER_TOKEN_BEDROCK` is not used even when it is set.
///
/// `config` must not be NULL (`BEDROCK_STREAM_STATUS_NULL_ARGUMENT`). `err_out` may be NULL;
/// `*err_out` is set only on failure.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `err_out` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_ignore_env_bearer_token(
    config: *mut bedrock_stream_config,
    ignore: bool,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { set_value(config, |b| b.ignore_env_bearer_token(ignore)) }
    })
}

/// Connect timeout (DNS, TCP, proxy CONNECT and TLS) in milliseconds; 0 switches it off.
/// Default 10 s. Values above 100 years mean no limit (as for every timer).
/// A cancel ends a connect in progress at once.
///
/// `config` must not be NULL (`BEDROCK_STREAM_STATUS_NULL_ARGUMENT`). `err_out` may be NULL;
/// `*err_out` is set only on failure.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `err_out` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_connect_timeout_ms(
    config: *mut bedrock_stream_config,
    ms: u64,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { set_value(config, |b| b.connect_timeout(millis(ms))) }
    })
}

/// Time allowed from sending the request to the response headers, in milliseconds; 0
/// switches it off. Default 300 s.
///
/// `config` must not be NULL (`BEDROCK_STREAM_STATUS_NULL_ARGUMENT`). `err_out` may be NULL;
/// `*err_out` is set only on failure.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `err_out` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_response_headers_timeout_ms(
    config: *mut bedrock_stream_config,
    ms: u64,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { set_value(config, |b| b.response_headers_timeout(millis(ms))) }
    })
}

/// Longest silence allowed on an open stream (no byte at all), in milliseconds; 0 switches
/// it off. Default 60 s (botocore's read timeout). A long generation is never cut while bytes
/// flow.
///
/// `config` must not be NULL (`BEDROCK_STREAM_STATUS_NULL_ARGUMENT`). `err_out` may be NULL;
/// `*err_out` is set only on failure.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `err_out` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_read_idle_timeout_ms(
    config: *mut bedrock_stream_config,
    ms: u64,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { set_value(config, |b| b.read_idle_timeout(millis(ms))) }
    })
}

/// Overall deadline of a call, retries included, in milliseconds; 0 (the default) switches
/// it off. It is checked before every event is delivered: once it passed, no event is.
///
/// `config` must not be NULL (`BEDROCK_STREAM_STATUS_NULL_ARGUMENT`). `err_out` may be NULL;
/// `*err_out` is set only on failure.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `err_out` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_deadline_ms(
    config: *mut bedrock_stream_config,
    ms: u64,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { set_value(config, |b| b.deadline(millis(ms))) }
    })
}

/// Attempts in all, the first one included (1 = never retry; 0 counts as 1). Default 3.
/// Retries happen only before the first event was delivered.
///
/// `config` must not be NULL (`BEDROCK_STREAM_STATUS_NULL_ARGUMENT`). `err_out` may be NULL;
/// `*err_out` is set only on failure.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `err_out` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_max_attempts(
    config: *mut bedrock_stream_config,
    attempts: u32,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { set_value(config, |b| b.max_attempts(attempts)) }
    })
}

/// When `no_proxy` is true, no proxy is used, even when `HTTPS_PROXY` & co. are set (a
/// proxy set with `bedrock_stream_config_set_proxy` is then ignored too).
///
/// `config` must not be NULL (`BEDROCK_STREAM_STATUS_NULL_ARGUMENT`). `err_out` may be NULL;
/// `*err_out` is set only on failure.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `err_out` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_no_proxy(
    config: *mut bedrock_stream_config,
    no_proxy: bool,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { set_value(config, |b| b.proxy_disabled(no_proxy)) }
    })
}

/// Use (or not) the FIPS endpoint, instead of `AWS_USE_FIPS_ENDPOINT` / the profile.
///
/// `config` must not be NULL (`BEDROCK_STREAM_STATUS_NULL_ARGUMENT`). `err_out` may be NULL;
/// `*err_out` is set only on failure.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `err_out` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_use_fips(
    config: *mut bedrock_stream_config,
    use_fips: bool,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { set_value(config, |b| b.use_fips(use_fips)) }
    })
}

/// Use (or not) the dual-stack endpoint, instead of `AWS_USE_DUALSTACK_ENDPOINT` / the
/// profile.
///
/// `config` must not be NULL (`BEDROCK_STREAM_STATUS_NULL_ARGUMENT`). `err_out` may be NULL;
/// `*err_out` is set only on failure.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `err_out` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_use_dual_stack(
    config: *mut bedrock_stream_config,
    use_dual_stack: bool,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { set_value(config, |b| b.use_dual_stack(use_dual_stack)) }
    })
}

/// Retry backoff bounds in milliseconds: the first retry waits a random time below
/// `initial_ms`, doubling per attempt, never more than `max_ms`. Defaults 1000 and 20000.
///
/// `config` must not be NULL. `err_out` may be NULL; `*err_out` is set only on failure.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `err_out` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_retry_backoff_ms(
    config: *mut bedrock_stream_config,
    initial_ms: u64,
    max_ms: u64,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let c = unsafe { arg_mut(config, "config") }?;
        c.builder = std::mem::take(&mut c.builder)
            .retry_backoff(Duration::from_millis(initial_ms), Duration::from_millis(max_ms));
        Ok(())
    })
}

/// Trust the CA certificates of the PEM file at `path` in addition to the built-in roots (for
/// a TLS-inspecting proxy or a private endpoint). The file is read now:
/// `BEDROCK_STREAM_STATUS_CONFIG` when it cannot be read; its contents are checked by
/// `bedrock_stream_client_new`.
///
/// `config` and `path` must not be NULL. On POSIX systems the path is taken as bytes (it need
/// not be UTF-8); elsewhere it must be UTF-8. `err_out` may be NULL; `*err_out` is set only on
/// failure (the config is then unchanged).
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `path` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_ca_bundle_file(
    config: *mut bedrock_stream_config,
    path: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let c = unsafe { arg_mut(config, "config") }?;
        if path.is_null() {
            return Err(Fail::null("path"));
        }
        #[cfg(unix)]
        let path = {
            use std::os::unix::ffi::OsStrExt;
            // SAFETY: not NULL and NUL-terminated (contract).
            let bytes = unsafe { std::ffi::CStr::from_ptr(path) }.to_bytes();
            std::path::PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
        };
        #[cfg(not(unix))]
        // SAFETY: caller contract.
        let path = std::path::PathBuf::from(unsafe { arg_str(path, "path") }?);
        // On failure the config is unchanged.
        c.builder = c.builder.clone().ca_bundle_file(&path)?;
        Ok(())
    })
}

/// Trust the CA certificates of a PEM bundle given in memory (`pem`, `len` bytes; copied), in
/// addition to the built-in roots. Checked by `bedrock_stream_client_new`.
///
/// `config` must not be NULL; `pem` may be NULL only when `len` is 0. `err_out` may be NULL;
/// `*err_out` is set only on failure.
///
/// # Safety
///
/// `config` is NULL or a live config not used by another thread; `pem` is NULL or valid for
/// reading `len` bytes; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_config_set_ca_bundle_pem(
    config: *mut bedrock_stream_config,
    pem: *const u8,
    len: usize,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let c = unsafe { arg_mut(config, "config") }?;
        // SAFETY: caller contract.
        let pem = unsafe { arg_bytes(pem, len, "pem") }?;
        c.builder = std::mem::take(&mut c.builder).ca_bundle_pem(pem);
        Ok(())
    })
}
