//! `bedrock_stream_request`: one InvokeModelWithResponseStream request.

use std::ffi::c_char;

use super::args::{arg_bytes, arg_mut, arg_str, free_boxed, out_ptr, write_boxed};
use super::error::{bedrock_stream_error, Fail};
use super::status::bedrock_stream_status;
use crate::extract::ModelFamily;
use crate::request::{InvokeRequest, PerformanceConfigLatency, ServiceTier, Trace};

/// One InvokeModelWithResponseStream request: model id, the model's JSON body (sent byte for
/// byte) and the optional members of the service model, set with the
/// `bedrock_stream_request_set_*` functions.
///
/// Created by `bedrock_stream_request_new`, freed by `bedrock_stream_request_free`. Calls only
/// read it: one request may be used for any number of calls, from several threads at once, as
/// long as no thread changes or frees it meanwhile. The setters need exclusive access.
/// Values are validated against the service model by the setters (enumerations, the model
/// id) and by the call (combinations such as a guardrail identifier without a version,
/// header-unsafe characters): `BEDROCK_STREAM_STATUS_INVALID_INPUT`, nothing sent.
pub struct bedrock_stream_request {
    inner: InvokeRequest,
}

impl bedrock_stream_request {
    pub(crate) fn inner(&self) -> &InvokeRequest {
        &self.inner
    }
}

/// Create a request for `model_id` (a model id, inference profile id or ARN, UTF-8) with the
/// model's JSON body (`body`, `body_len` bytes, copied and later sent unchanged).
/// `Content-Type` and `X-Amzn-Bedrock-Accept` default to `application/json`.
///
/// `model_id` and `request_out` must not be NULL; `body` may be NULL only when `body_len` is
/// 0. An empty or too long model id, or one with control characters, gives
/// `BEDROCK_STREAM_STATUS_INVALID_INPUT`. On success `*request_out` receives a request the
/// caller frees with `bedrock_stream_request_free`. `err_out` may be NULL; `*err_out` is set
/// only on failure.
///
/// # Safety
///
/// `model_id` is NULL or NUL-terminated; `body` is NULL or valid for reading `body_len` bytes;
/// `request_out` is NULL or valid for writing one pointer; `err_out` is NULL or valid for
/// writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_request_new(
    model_id: *const c_char,
    body: *const u8,
    body_len: usize,
    request_out: *mut *mut bedrock_stream_request,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        out_ptr(request_out, "request_out")?;
        // SAFETY: caller contract.
        let model_id = unsafe { arg_str(model_id, "model_id") }?;
        // SAFETY: caller contract.
        let body = unsafe { arg_bytes(body, body_len, "body") }?;
        let inner = InvokeRequest::new(model_id, body.to_vec());
        inner.path()?;
        // SAFETY: checked not NULL; writable per the contract.
        unsafe { write_boxed(request_out, bedrock_stream_request { inner }) };
        Ok(())
    })
}

/// Free a request. `request` may be NULL (nothing happens). Must not be called while a call
/// that uses the request is running.
///
/// # Safety
///
/// `request` is NULL or a request from `bedrock_stream_request_new` not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_request_free(request: *mut bedrock_stream_request) {
    ffi_boundary!({
        // SAFETY: NULL or handed out by this library and not freed yet (caller contract).
        unsafe { free_boxed(request) }
    })
}

/// Replace the request behind `request` by `f(old)` where `f` gets the checked UTF-8 `value`.
///
/// # Safety
///
/// `request` is NULL or a live request nothing else uses; `value` is NULL or NUL-terminated.
unsafe fn update(
    request: *mut bedrock_stream_request,
    value: *const c_char,
    name: &str,
    f: impl FnOnce(InvokeRequest, &str) -> Result<InvokeRequest, Fail>,
) -> Result<(), Fail> {
    // SAFETY: forwarded contract.
    let r = unsafe { arg_mut(request, "request") }?;
    // SAFETY: forwarded contract.
    let v = unsafe { arg_str(value, name) }?;
    // The builder methods take the request by value; a failing `f` leaves it unchanged.
    let updated = f(r.inner.clone(), v)?;
    r.inner = updated;
    Ok(())
}

/// `contentType` → `Content-Type`: the MIME type of the body (default `application/json`).
///
/// `request` and `content_type` must not be NULL; the string must be UTF-8 and is copied.
/// `err_out` may be NULL; `*err_out` is set only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `content_type` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_request_set_content_type(
    request: *mut bedrock_stream_request,
    content_type: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { update(request, content_type, "content_type", |r, v| Ok(r.content_type(v))) }
    })
}

/// `accept` → `X-Amzn-Bedrock-Accept`: the MIME type of the response chunks (default
/// `application/json`).
///
/// `request` and `accept` must not be NULL; the string must be UTF-8 and is copied.
/// `err_out` may be NULL; `*err_out` is set only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `accept` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_request_set_accept(
    request: *mut bedrock_stream_request,
    accept: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { update(request, accept, "accept", |r, v| Ok(r.accept(v))) }
    })
}

/// `trace` → `X-Amzn-Bedrock-Trace`: `"ENABLED"`, `"DISABLED"` or `"ENABLED_FULL"`; anything
/// else gives `BEDROCK_STREAM_STATUS_INVALID_INPUT`. As for every enum-valued setter, ASCII case
/// and surrounding whitespace are ignored (`"enabled"` works) and the exact wire value is sent.
///
/// `request` and `trace` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `trace` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_request_set_trace(
    request: *mut bedrock_stream_request,
    trace: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { update(request, trace, "trace", |r, v| Ok(r.trace(v.parse::<Trace>()?))) }
    })
}

/// `guardrailIdentifier` → `X-Amzn-Bedrock-GuardrailIdentifier` (an id or ARN). The service
/// refuses an identifier without a version: set both (the call fails with
/// `BEDROCK_STREAM_STATUS_INVALID_INPUT` before sending otherwise).
///
/// `request` and `identifier` must not be NULL; UTF-8, copied. `err_out` may be NULL;
/// `*err_out` is set only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `identifier` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_request_set_guardrail_identifier(
    request: *mut bedrock_stream_request,
    identifier: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe {
            update(request, identifier, "identifier", |r, v| {
                Ok(r.guardrail_identifier(v))
            })
        }
    })
}

/// `guardrailVersion` → `X-Amzn-Bedrock-GuardrailVersion`: `"DRAFT"` or a version number
/// (`"1"` to `"99999999"`), checked when the request is sent. Pair it with
/// `bedrock_stream_request_set_guardrail_identifier`.
///
/// `request` and `version` must not be NULL; UTF-8, copied. `err_out` may be NULL;
/// `*err_out` is set only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `version` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_request_set_guardrail_version(
    request: *mut bedrock_stream_request,
    version: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { update(request, version, "version", |r, v| Ok(r.guardrail_version(v))) }
    })
}

/// `performanceConfigLatency` → `X-Amzn-Bedrock-PerformanceConfig-Latency`: `"standard"` or
/// `"optimized"`; anything else gives `BEDROCK_STREAM_STATUS_INVALID_INPUT`. ASCII case and
/// surrounding whitespace are ignored, as for every enum-valued setter.
///
/// `request` and `latency` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `latency` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_request_set_performance_config_latency(
    request: *mut bedrock_stream_request,
    latency: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe {
            update(request, latency, "latency", |r, v| {
                Ok(r.performance_config_latency(v.parse::<PerformanceConfigLatency>()?))
            })
        }
    })
}

/// `serviceTier` → `X-Amzn-Bedrock-Service-Tier`: `"priority"`, `"default"`, `"flex"` or
/// `"reserved"`; anything else gives `BEDROCK_STREAM_STATUS_INVALID_INPUT`. ASCII case and
/// surrounding whitespace are ignored, as for every enum-valued setter.
///
/// `request` and `tier` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `tier` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_request_set_service_tier(
    request: *mut bedrock_stream_request,
    tier: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe {
            update(request, tier, "tier", |r, v| {
                Ok(r.service_tier(v.parse::<ServiceTier>()?))
            })
        }
    })
}

/// `requestMetadata` → `X-Amzn-Bedrock-Request-Metadata`: a JSON object whose keys and values
/// are strings, at most 8,500 bytes, checked when the request is sent. Sensitive: never
/// logged.
///
/// `request` and `json` must not be NULL; UTF-8, copied. `err_out` may be NULL; `*err_out` is
/// set only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `json` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_request_set_request_metadata(
    request: *mut bedrock_stream_request,
    json: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { update(request, json, "json", |r, v| Ok(r.request_metadata(v))) }
    })
}

/// `projectIdentifier` → `X-Amzn-Bedrock-ProjectIdentifier` (1 to 2048 characters, checked
/// when the request is sent).
///
/// `request` and `project` must not be NULL; UTF-8, copied. `err_out` may be NULL; `*err_out`
/// is set only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `project` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_request_set_project_identifier(
    request: *mut bedrock_stream_request,
    project: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe { update(request, project, "project", |r, v| Ok(r.project_identifier(v))) }
    })
}

/// Not sent to the service: the chunk format the events' text, stop reason and usage are
/// read with (`bedrock_stream_event_text` & co.). By default it is derived from the model id,
/// and when the id does not reveal it (an application inference profile, provisioned, custom
/// or imported model ARN) it is recognised from the first chunk whose shape belongs to one
/// family alone (until then, and for chunks no family's shape fits, no text is extracted).
/// Set it to skip the recognition, or for a model whose chunks look like no family's. One of
/// `"anthropic-claude"`, `"amazon-titan-text"`, `"amazon-nova"`, `"meta-llama"`,
/// `"mistral-text"`, `"mistral-chat"`, `"cohere"`, `"ai21-jamba"`, `"deepseek"`,
/// `"openai-gpt-oss"`, `"unknown"` (recognise it from the chunks); anything else gives
/// `BEDROCK_STREAM_STATUS_INVALID_INPUT`. ASCII case and surrounding whitespace are ignored, as
/// for every enum-valued setter (`_` is also accepted for `-`).
///
/// `request` and `family` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `family` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_request_set_model_family(
    request: *mut bedrock_stream_request,
    family: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let r = unsafe { arg_mut(request, "request") }?;
        // SAFETY: caller contract.
        let v = unsafe { arg_str(family, "family") }?;
        let parsed = v
            .parse::<ModelFamily>()
            .map_err(|e| Fail::invalid_input(e.to_string()))?;
        r.inner = r.inner.clone().model_family(parsed);
        Ok(())
    })
}
