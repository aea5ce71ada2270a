//! `bedrock_stream_converse_request`: one Converse / ConverseStream request, built from C
//! without writing JSON (`bedrock_stream_converse_request_add_*` / `_set_*`), or given as JSON
//! text (`bedrock_stream_converse_request_from_json`). The calls, events, accumulator and
//! results are in `converse_stream.rs`.

use std::ffi::c_char;

use serde_json::Value;

use super::args::{arg_bytes, arg_mut, arg_opt_str, arg_str, out_ptr, write_out};
use super::error::{bedrock_stream_error, Fail};
use super::status::bedrock_stream_status;
use crate::converse::{
    CachePointBlock, ContentBlock, ConverseJson, ConverseRequest, DocumentBlock, DocumentFormat,
    GuardrailConfiguration, GuardrailStreamProcessingMode, GuardrailTrace, ImageBlock, ImageFormat,
    InferenceConfiguration, Message, PerformanceConfigLatency, Role, ServiceTierType, ToolChoice,
    ToolResultBlock, ToolResultContentBlock, ToolResultStatus, ToolSpecification, ToolUseBlock,
};
use crate::Error;

/// Most `requestMetadata` entries the service model allows.
const MAX_REQUEST_METADATA: usize = 16;
/// Most `inferenceConfig.stopSequences` the service model allows.
const MAX_STOP_SEQUENCES: usize = 2500;

/// One Converse or ConverseStream request: the model id and the members of the request body.
///
/// Built with `bedrock_stream_converse_request_new` and the `bedrock_stream_converse_request_*`
/// functions (a message, then its blocks; tools, system prompt, inference and guardrail
/// settings...), or from JSON text with `bedrock_stream_converse_request_from_json`. Freed with
/// `bedrock_stream_converse_request_free`.
///
/// Each function checks its values against the service model (enumerations, lengths, ranges,
/// JSON syntax) and fails with `BEDROCK_STREAM_STATUS_INVALID_INPUT` without changing the
/// request. Enumerated values (roles, formats, statuses...) ignore ASCII case and surrounding
/// whitespace and are sent as the service spells them.
///
/// Calls only read the request: one request may be used by several calls, from several threads
/// at once, as long as no thread changes or frees it meanwhile. The builder functions need
/// exclusive access.
pub struct bedrock_stream_converse_request {
    typed: ConverseRequest,
    /// The JSON text of `bedrock_stream_converse_request_from_json`, sent byte for byte until
    /// the request is changed (then the typed request is serialised instead).
    json: Option<ConverseJson>,
}

impl bedrock_stream_converse_request {
    /// The checked body for ConverseStream (`stream`) or Converse.
    pub(crate) fn body(&self, stream: bool) -> Result<ConverseJson, Error> {
        match &self.json {
            Some(j) => Ok(j.clone()),
            None => self.typed.to_json(stream),
        }
    }

    /// Append a finished message (the next turn).
    pub(crate) fn push_message(&mut self, message: Message) {
        self.json = None;
        self.typed
            .messages
            .get_or_insert_with(Vec::new)
            .push(message);
    }
}

/// Change the request behind `request` with `f`, which checks everything before it changes
/// anything (so a failure leaves the request as it was).
///
/// # Safety
///
/// `request` is NULL or a live request nothing else uses.
unsafe fn update(
    request: *mut bedrock_stream_converse_request,
    f: impl FnOnce(&mut ConverseRequest) -> Result<(), Fail>,
) -> Result<(), Fail> {
    // SAFETY: forwarded contract.
    let r = unsafe { arg_mut(request, "request") }?;
    f(&mut r.typed)?;
    r.json = None;
    Ok(())
}

/// The last message, to which blocks are added.
fn last_message(req: &mut ConverseRequest) -> Result<&mut Message, Fail> {
    req.messages
        .as_mut()
        .and_then(|m| m.last_mut())
        .ok_or_else(|| {
            Fail::invalid_input(
                "the request has no message yet: call bedrock_stream_converse_request_add_message \
                 before adding blocks",
            )
        })
}

/// Add `block` to the last message.
///
/// # Safety
///
/// As [`update`].
unsafe fn add_block(
    request: *mut bedrock_stream_converse_request,
    block: impl FnOnce() -> Result<ContentBlock, Fail>,
) -> Result<(), Fail> {
    // SAFETY: forwarded contract.
    unsafe {
        update(request, |r| {
            let m = last_message(r)?;
            m.content.push(block()?);
            Ok(())
        })
    }
}

/// An enumerated value of the service model: the entry of `known` that `value` names (ASCII
/// case and surrounding whitespace ignored), spelled as the service spells it.
pub(crate) fn known_str(
    value: &str,
    known: &'static [&'static str],
    member: &str,
) -> Result<&'static str, Fail> {
    let v = value.trim();
    known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(v))
        .copied()
        .ok_or_else(|| {
            Fail::invalid_input(format!(
                "{member} {value:?} is not one of: {}",
                known.join(", ")
            ))
        })
}

/// [`known_str`] as the enumeration's type.
fn known<T: From<&'static str>>(
    value: &str,
    known: &'static [&'static str],
    member: &str,
) -> Result<T, Fail> {
    known_str(value, known, member).map(T::from)
}

/// A string of `min..=max` characters (the service model's `min`/`max` count characters).
fn length(value: &str, min: usize, max: usize, member: &str) -> Result<(), Fail> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(Fail::invalid_input(format!(
            "{member} has {n} characters; the service model allows {min} to {max}"
        )));
    }
    Ok(())
}

/// `ToolName` (`[a-zA-Z0-9_-]{1,64}`) or `ToolUseId` (`[a-zA-Z0-9_.:-]{1,64}`, `extra` = `.:`).
fn identifier(value: &str, extra: &str, member: &str) -> Result<(), Fail> {
    length(value, 1, 64, member)?;
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-' || extra.contains(*c)))
    {
        return Err(Fail::invalid_input(format!(
            "{member} {value:?} contains {c:?}; only ASCII letters, digits, `_`, `-`{} are allowed",
            if extra.is_empty() {
                String::new()
            } else {
                format!(" and `{extra}`")
            }
        )));
    }
    Ok(())
}

/// JSON text as a value.
fn json(text: &str, member: &str) -> Result<Value, Fail> {
    serde_json::from_str(text)
        .map_err(|e| Fail::invalid_input(format!("{member} is not valid JSON: {e}")))
}

/// JSON text that must be an object.
fn json_object(text: &str, member: &str) -> Result<Value, Fail> {
    let v = json(text, member)?;
    if !v.is_object() {
        return Err(Fail::invalid_input(format!(
            "{member} must be a JSON object ({{...}})"
        )));
    }
    Ok(v)
}

/// A value of `0.0..=1.0` (`temperature`, `topP`).
fn unit_interval(v: f32, member: &str) -> Result<f32, Fail> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(Fail::invalid_input(format!(
            "{member} {v} is outside the range 0 to 1"
        )))
    }
}

fn tool_result_status(status: Option<&str>) -> Result<Option<ToolResultStatus>, Fail> {
    status
        .map(|s| known(s, ToolResultStatus::KNOWN, "the tool result status"))
        .transpose()
}

/// Create an empty Converse / ConverseStream request for `model_id` (a model id, inference
/// profile id or ARN, prompt ARN...; UTF-8, copied). Add at least one user message before
/// sending it.
///
/// `model_id` and `request_out` must not be NULL. An empty or too long model id, or one with
/// control characters, gives `BEDROCK_STREAM_STATUS_INVALID_INPUT`. On success `*request_out`
/// receives a request the caller frees with `bedrock_stream_converse_request_free`. `err_out`
/// may be NULL; `*err_out` is set only on failure.
///
/// # Safety
///
/// `model_id` is NULL or NUL-terminated; `request_out` is NULL or valid for writing one
/// pointer; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_new(
    model_id: *const c_char,
    request_out: *mut *mut bedrock_stream_converse_request,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        out_ptr(request_out, "request_out")?;
        // SAFETY: caller contract.
        let model_id = unsafe { arg_str(model_id, "model_id") }?;
        crate::request::validate_model_id(model_id)?;
        let request = Box::into_raw(Box::new(bedrock_stream_converse_request {
            typed: ConverseRequest::new(model_id),
            json: None,
        }));
        // SAFETY: checked not NULL; writable per the contract.
        unsafe { write_out(request_out, request) };
        Ok(())
    })
}

/// Create a request for `model_id` whose body is the JSON text `json`: the members of
/// ConverseStreamRequest (or ConverseRequest) without `modelId`, as the service model names
/// them, e.g. `{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}`.
///
/// The text is checked now: it must be a JSON object, without `modelId`, with only members of
/// the service model, of the model's types (unknown union members and enumeration values are
/// accepted: the service adds them often); else `BEDROCK_STREAM_STATUS_INVALID_INPUT` with the
/// line and column. It is then sent byte for byte. The builder functions may still be used on
/// the request (e.g. `bedrock_stream_converse_request_append_message` for the next turn): from
/// then on the request is sent as this library serialises it (the same members and values).
/// A ConverseStream-only member (`guardrailConfig.streamProcessingMode`) makes
/// `bedrock_stream_client_converse` fail with `BEDROCK_STREAM_STATUS_INVALID_INPUT`.
///
/// `model_id`, `json` and `request_out` must not be NULL; both strings are UTF-8 and copied.
/// On success `*request_out` receives a request the caller frees with
/// `bedrock_stream_converse_request_free`. `err_out` may be NULL; `*err_out` is set only on
/// failure.
///
/// # Safety
///
/// `model_id` and `json` are NULL or NUL-terminated; `request_out` is NULL or valid for
/// writing one pointer; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_from_json(
    model_id: *const c_char,
    json: *const c_char,
    request_out: *mut *mut bedrock_stream_converse_request,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        out_ptr(request_out, "request_out")?;
        // SAFETY: caller contract.
        let model_id = unsafe { arg_str(model_id, "model_id") }?;
        // SAFETY: caller contract.
        let text = unsafe { arg_str(json, "json") }?;
        let checked = ConverseJson::parse(model_id, text, true)?;
        let typed = checked.to_request()?;
        let request = Box::into_raw(Box::new(bedrock_stream_converse_request {
            typed,
            json: Some(checked),
        }));
        // SAFETY: checked not NULL; writable per the contract.
        unsafe { write_out(request_out, request) };
        Ok(())
    })
}

/// Free a request. `request` may be NULL (nothing happens). Must not be called while a call
/// that uses the request is running.
///
/// # Safety
///
/// `request` is NULL or a request from this library not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_free(
    request: *mut bedrock_stream_converse_request,
) {
    ffi_boundary!({
        if !request.is_null() {
            // SAFETY: from `Box::into_raw` in this file, not freed yet.
            drop(unsafe { Box::from_raw(request) });
        }
    })
}

/// `messages`: start a new message with `role` (`"user"` or `"assistant"`). The
/// `bedrock_stream_converse_request_add_*` block functions add to the last message started.
/// The conversation must start with a user message (the service refuses it otherwise).
///
/// `request` and `role` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `role` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_message(
    request: *mut bedrock_stream_converse_request,
    role: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let role = unsafe { arg_str(role, "role") }?;
        let role: Role = known(role, &["user", "assistant"], "the message role")?;
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                r.messages
                    .get_or_insert_with(Vec::new)
                    .push(Message::new(role, Vec::new()));
                Ok(())
            })
        }
    })
}

/// Add a `text` block to the last message (UTF-8, copied).
///
/// `request` and `text` must not be NULL. Fails with `BEDROCK_STREAM_STATUS_INVALID_INPUT`
/// when no message was started. `err_out` may be NULL; `*err_out` is set only on failure (the
/// request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `text` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_text(
    request: *mut bedrock_stream_converse_request,
    text: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let text = unsafe { arg_str(text, "text") }?;
        // SAFETY: caller contract.
        unsafe { add_block(request, || Ok(ContentBlock::Text(text.to_owned()))) }
    })
}

/// Add an `image` block to the last message: `format` is `"png"`, `"jpeg"`, `"gif"` or
/// `"webp"`; the image is the `len` bytes at `data` (copied, at least one byte; sent as
/// base64).
///
/// `request`, `format` and `data` must not be NULL. `err_out` may be NULL; `*err_out` is set
/// only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `format` is NULL or
/// NUL-terminated; `data` is NULL or valid for reading `len` bytes; `err_out` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_image(
    request: *mut bedrock_stream_converse_request,
    format: *const c_char,
    data: *const u8,
    len: usize,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let format = unsafe { arg_str(format, "format") }?;
        let format: ImageFormat = known(format, ImageFormat::KNOWN, "the image format")?;
        // SAFETY: caller contract.
        let bytes = unsafe { arg_bytes(data, len, "data") }?;
        if bytes.is_empty() {
            return Err(Fail::invalid_input("the image is empty (0 bytes)"));
        }
        // SAFETY: caller contract.
        unsafe {
            add_block(request, || {
                Ok(ContentBlock::Image(ImageBlock::bytes(format, bytes)))
            })
        }
    })
}

/// Add a `document` block to the last message: `format` is one of `"pdf"`, `"csv"`, `"doc"`,
/// `"docx"`, `"xls"`, `"xlsx"`, `"html"`, `"txt"`, `"md"`; `name` (1 to 200 characters)
/// names it to the model; the document is the `len` bytes at `data` (copied, at least one
/// byte; sent as base64).
///
/// `request`, `format`, `name` and `data` must not be NULL. `err_out` may be NULL; `*err_out`
/// is set only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `format` and `name` are NULL or
/// NUL-terminated; `data` is NULL or valid for reading `len` bytes; `err_out` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_document(
    request: *mut bedrock_stream_converse_request,
    format: *const c_char,
    name: *const c_char,
    data: *const u8,
    len: usize,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let format = unsafe { arg_str(format, "format") }?;
        let format: DocumentFormat = known(format, DocumentFormat::KNOWN, "the document format")?;
        // SAFETY: caller contract.
        let name = unsafe { arg_str(name, "name") }?;
        length(name, 1, 200, "the document name")?;
        // SAFETY: caller contract.
        let bytes = unsafe { arg_bytes(data, len, "data") }?;
        if bytes.is_empty() {
            return Err(Fail::invalid_input("the document is empty (0 bytes)"));
        }
        // SAFETY: caller contract.
        unsafe {
            add_block(request, || {
                Ok(ContentBlock::Document(DocumentBlock::bytes(
                    format, name, bytes,
                )))
            })
        }
    })
}

/// Add a `toolUse` block to the last message (an assistant message written by the program,
/// e.g. replaying a conversation): `tool_use_id` (`[a-zA-Z0-9_.:-]`, 1 to 64 characters),
/// the tool's `name` (`[a-zA-Z0-9_-]`, 1 to 64 characters) and its input as JSON text.
/// To send back the model's own message use `bedrock_stream_converse_request_append_message`.
///
/// `request`, `tool_use_id`, `name` and `input_json` must not be NULL. `err_out` may be NULL;
/// `*err_out` is set only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_tool_use(
    request: *mut bedrock_stream_converse_request,
    tool_use_id: *const c_char,
    name: *const c_char,
    input_json: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let id = unsafe { arg_str(tool_use_id, "tool_use_id") }?;
        identifier(id, ".:", "the tool use id")?;
        // SAFETY: caller contract.
        let name = unsafe { arg_str(name, "name") }?;
        identifier(name, "", "the tool name")?;
        // SAFETY: caller contract.
        let input = json(unsafe { arg_str(input_json, "input_json") }?, "the tool input")?;
        // SAFETY: caller contract.
        unsafe {
            add_block(request, || {
                Ok(ContentBlock::ToolUse(ToolUseBlock {
                    tool_use_id: id.to_owned(),
                    name: name.to_owned(),
                    input,
                    r#type: None,
                }))
            })
        }
    })
}

/// Add a `toolResult` block holding one JSON value to the last message (a user message
/// answering the model's tool uses): `tool_use_id` is the id of the `toolUse` it answers,
/// `json` the result as JSON text, `status` `"success"`, `"error"` or NULL (not sent).
///
/// `request`, `tool_use_id` and `json` must not be NULL. `err_out` may be NULL; `*err_out` is
/// set only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_tool_result_json(
    request: *mut bedrock_stream_converse_request,
    tool_use_id: *const c_char,
    json: *const c_char,
    status: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let id = unsafe { arg_str(tool_use_id, "tool_use_id") }?;
        identifier(id, ".:", "the tool use id")?;
        // SAFETY: caller contract.
        let value = self::json(unsafe { arg_str(json, "json") }?, "the tool result")?;
        // SAFETY: caller contract.
        let status = tool_result_status(unsafe { arg_opt_str(status, "status") }?)?;
        // SAFETY: caller contract.
        unsafe {
            add_block(request, || {
                Ok(ContentBlock::ToolResult(ToolResultBlock {
                    tool_use_id: id.to_owned(),
                    content: vec![ToolResultContentBlock::Json(value)],
                    status,
                    r#type: None,
                }))
            })
        }
    })
}

/// Add a `toolResult` block holding one text to the last message: as
/// `bedrock_stream_converse_request_add_tool_result_json`, with the result as plain text
/// (UTF-8, copied).
///
/// `request`, `tool_use_id` and `text` must not be NULL; `status` may be NULL. `err_out` may
/// be NULL; `*err_out` is set only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_tool_result_text(
    request: *mut bedrock_stream_converse_request,
    tool_use_id: *const c_char,
    text: *const c_char,
    status: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let id = unsafe { arg_str(tool_use_id, "tool_use_id") }?;
        identifier(id, ".:", "the tool use id")?;
        // SAFETY: caller contract.
        let text = unsafe { arg_str(text, "text") }?;
        // SAFETY: caller contract.
        let status = tool_result_status(unsafe { arg_opt_str(status, "status") }?)?;
        // SAFETY: caller contract.
        unsafe {
            add_block(request, || {
                Ok(ContentBlock::ToolResult(ToolResultBlock {
                    tool_use_id: id.to_owned(),
                    content: vec![ToolResultContentBlock::Text(text.to_owned())],
                    status,
                    r#type: None,
                }))
            })
        }
    })
}

/// Add a `cachePoint` block (type `default`) to the last message: a prompt-cache checkpoint
/// after the blocks before it (for models with prompt caching).
///
/// `request` must not be NULL. `err_out` may be NULL; `*err_out` is set only on failure (the
/// request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `err_out` is NULL or valid for
/// writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_cache_point(
    request: *mut bedrock_stream_converse_request,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe {
            add_block(request, || {
                Ok(ContentBlock::CachePoint(CachePointBlock::default()))
            })
        }
    })
}

/// `system`: add a text block to the system prompt (UTF-8, copied, not empty).
///
/// `request` and `text` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `text` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_system_text(
    request: *mut bedrock_stream_converse_request,
    text: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let text = unsafe { arg_str(text, "text") }?;
        if text.is_empty() {
            return Err(Fail::invalid_input(
                "a system text block must not be empty",
            ));
        }
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                *r = std::mem::take(r).system_text(text);
                Ok(())
            })
        }
    })
}

/// `toolConfig.tools`: offer the model a tool. `name` is `[a-zA-Z0-9_-]`, 1 to 64 characters;
/// `description` (may be NULL: not sent) tells the model what the tool does; `input_schema_json`
/// is the JSON Schema of the tool's input, as JSON text (an object, e.g.
/// `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`).
///
/// `request`, `name` and `input_schema_json` must not be NULL. `err_out` may be NULL;
/// `*err_out` is set only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_tool(
    request: *mut bedrock_stream_converse_request,
    name: *const c_char,
    description: *const c_char,
    input_schema_json: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let name = unsafe { arg_str(name, "name") }?;
        identifier(name, "", "the tool name")?;
        // SAFETY: caller contract.
        let description = unsafe { arg_opt_str(description, "description") }?;
        if description == Some("") {
            return Err(Fail::invalid_input(
                "the tool description must not be empty (pass NULL for none)",
            ));
        }
        // SAFETY: caller contract.
        let schema = unsafe { arg_str(input_schema_json, "input_schema_json") }?;
        let schema = json_object(schema, "the tool's input schema")?;
        let mut spec = ToolSpecification::new(name, schema);
        spec.description = description.map(str::to_owned);
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                *r = std::mem::take(r).tool(spec);
                Ok(())
            })
        }
    })
}

/// `toolConfig.toolChoice`: `"auto"` (the model decides), `"any"` (it must use some tool) or
/// `"tool"` (it must use the tool named `tool_name`). `tool_name` must be NULL unless `choice`
/// is `"tool"`. Add the tools too: the call fails with `BEDROCK_STREAM_STATUS_INVALID_INPUT` when
/// a tool choice is set without tools.
///
/// `request` and `choice` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_tool_choice(
    request: *mut bedrock_stream_converse_request,
    choice: *const c_char,
    tool_name: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let choice = unsafe { arg_str(choice, "choice") }?;
        // SAFETY: caller contract.
        let tool_name = unsafe { arg_opt_str(tool_name, "tool_name") }?;
        let kind = known_str(choice, &["auto", "any", "tool"], "the tool choice")?;
        let choice = match (kind, tool_name) {
            ("tool", None) => return Err(Fail::null("tool_name")),
            ("tool", Some(name)) => {
                identifier(name, "", "the tool name")?;
                ToolChoice::tool(name)
            }
            (_, Some(_)) => {
                return Err(Fail::invalid_input(format!(
                    "a tool name is given with the tool choice {kind:?}; it goes with \"tool\" \
                     only (pass NULL)"
                )))
            }
            ("auto", None) => ToolChoice::auto(),
            (_, None) => ToolChoice::any(),
        };
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                *r = std::mem::take(r).tool_choice(choice);
                Ok(())
            })
        }
    })
}

/// The inference configuration, set field by field.
///
/// # Safety
///
/// As [`update`].
unsafe fn inference(
    request: *mut bedrock_stream_converse_request,
    f: impl FnOnce(&mut InferenceConfiguration),
) -> Result<(), Fail> {
    // SAFETY: forwarded contract.
    unsafe {
        update(request, |r| {
            f(r.inference_config.get_or_insert_with(Default::default));
            Ok(())
        })
    }
}

/// `inferenceConfig.maxTokens`: the most tokens the answer may have (at least 1).
///
/// `request` must not be NULL. `err_out` may be NULL; `*err_out` is set only on failure (the
/// request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `err_out` is NULL or valid for
/// writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_max_tokens(
    request: *mut bedrock_stream_converse_request,
    max_tokens: u32,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        if max_tokens == 0 {
            return Err(Fail::invalid_input("maxTokens must be at least 1"));
        }
        // SAFETY: caller contract.
        unsafe { inference(request, |c| c.max_tokens = Some(max_tokens)) }
    })
}

/// `inferenceConfig.temperature`: 0 to 1 (NaN and values outside give
/// `BEDROCK_STREAM_STATUS_INVALID_INPUT`).
///
/// `request` must not be NULL. `err_out` may be NULL; `*err_out` is set only on failure (the
/// request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `err_out` is NULL or valid for
/// writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_temperature(
    request: *mut bedrock_stream_converse_request,
    temperature: f32,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        let t = unit_interval(temperature, "temperature")?;
        // SAFETY: caller contract.
        unsafe { inference(request, |c| c.temperature = Some(t)) }
    })
}

/// `inferenceConfig.topP`: 0 to 1 (NaN and values outside give
/// `BEDROCK_STREAM_STATUS_INVALID_INPUT`).
///
/// `request` must not be NULL. `err_out` may be NULL; `*err_out` is set only on failure (the
/// request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `err_out` is NULL or valid for
/// writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_top_p(
    request: *mut bedrock_stream_converse_request,
    top_p: f32,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        let p = unit_interval(top_p, "topP")?;
        // SAFETY: caller contract.
        unsafe { inference(request, |c| c.top_p = Some(p)) }
    })
}

/// `inferenceConfig.stopSequences`: add a sequence that stops the generation (UTF-8, copied,
/// not empty; at most 2,500).
///
/// `request` and `text` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `text` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_stop_sequence(
    request: *mut bedrock_stream_converse_request,
    text: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let text = unsafe { arg_str(text, "text") }?;
        if text.is_empty() {
            return Err(Fail::invalid_input("a stop sequence must not be empty"));
        }
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                let c = r.inference_config.get_or_insert_with(Default::default);
                let list = c.stop_sequences.get_or_insert_with(Vec::new);
                if list.len() >= MAX_STOP_SEQUENCES {
                    return Err(Fail::invalid_input(format!(
                        "stopSequences already has {MAX_STOP_SEQUENCES} entries, the most the \
                         service model allows"
                    )));
                }
                list.push(text.to_owned());
                Ok(())
            })
        }
    })
}

/// `guardrailConfig`: apply a guardrail. `identifier` is its id (lower-case letters and
/// digits) or ARN; `version` is `"DRAFT"` or a version number (`"1"` to `"99999999"`);
/// `trace` is `"enabled"`, `"disabled"`, `"enabled_full"` or NULL (not sent);
/// `stream_processing_mode` (ConverseStream only) is `"sync"`, `"async"` or NULL (not sent;
/// with a mode set, `bedrock_stream_client_converse` fails with
/// `BEDROCK_STREAM_STATUS_INVALID_INPUT`).
///
/// `request`, `identifier` and `version` must not be NULL. `err_out` may be NULL; `*err_out`
/// is set only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_guardrail(
    request: *mut bedrock_stream_converse_request,
    identifier: *const c_char,
    version: *const c_char,
    trace: *const c_char,
    stream_processing_mode: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let id = unsafe { arg_str(identifier, "identifier") }?;
        length(id, 1, 2048, "the guardrail identifier")?;
        let is_id = id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !is_id && !id.starts_with("arn:") {
            return Err(Fail::invalid_input(format!(
                "the guardrail identifier {id:?} is neither an id (lower-case letters and digits) \
                 nor an ARN"
            )));
        }
        // SAFETY: caller contract.
        let version = unsafe { arg_str(version, "version") }?;
        crate::request::validate_guardrail_version(version)?;
        // SAFETY: caller contract.
        let trace = unsafe { arg_opt_str(trace, "trace") }?
            .map(|t| known::<GuardrailTrace>(t, GuardrailTrace::KNOWN, "the guardrail trace"))
            .transpose()?;
        // SAFETY: caller contract.
        let mode = unsafe { arg_opt_str(stream_processing_mode, "stream_processing_mode") }?
            .map(|m| {
                known::<GuardrailStreamProcessingMode>(
                    m,
                    GuardrailStreamProcessingMode::KNOWN,
                    "the guardrail stream processing mode",
                )
            })
            .transpose()?;
        let config = GuardrailConfiguration {
            guardrail_identifier: Some(id.to_owned()),
            guardrail_version: Some(version.to_owned()),
            trace,
            stream_processing_mode: mode,
        };
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                r.guardrail_config = Some(config);
                Ok(())
            })
        }
    })
}

/// `additionalModelRequestFields`: model-specific parameters as JSON text (an object, sent
/// unchanged; e.g. `{"top_k":50}` or Claude's `{"thinking":{"type":"enabled",
/// "budget_tokens":1024}}`). Replaces an earlier value.
///
/// `request` and `json` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `json` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_additional_model_request_fields(
    request: *mut bedrock_stream_converse_request,
    json: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let text = unsafe { arg_str(json, "json") }?;
        let value = json_object(text, "additionalModelRequestFields")?;
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                r.additional_model_request_fields = Some(value);
                Ok(())
            })
        }
    })
}

/// `additionalModelResponseFieldPaths`: add a JSON pointer (e.g. `"/stop_sequence"`) to a
/// model-specific response field to return in `additionalModelResponseFields` (at most 10).
///
/// `request` and `path` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `path` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_additional_model_response_field_path(
    request: *mut bedrock_stream_converse_request,
    path: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let path = unsafe { arg_str(path, "path") }?;
        length(path, 1, 256, "the response field path")?;
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                let list = r
                    .additional_model_response_field_paths
                    .get_or_insert_with(Vec::new);
                if list.len() >= crate::converse::MAX_RESPONSE_FIELD_PATHS {
                    return Err(Fail::invalid_input(format!(
                        "additionalModelResponseFieldPaths already has {} entries, the most \
                         the service model allows",
                        crate::converse::MAX_RESPONSE_FIELD_PATHS
                    )));
                }
                list.push(path.to_owned());
                Ok(())
            })
        }
    })
}

/// `requestMetadata`: set one entry (at most 16) of the metadata recorded with the
/// invocation logs. `key` is 1 to 256 characters, `value` 0 to 256, both of ASCII letters,
/// digits, whitespace and `:_@$#=/+,-.`. Sensitive: never logged.
///
/// `request`, `key` and `value` must not be NULL. `err_out` may be NULL; `*err_out` is set only
/// on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_request_metadata(
    request: *mut bedrock_stream_converse_request,
    key: *const c_char,
    value: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        fn check(s: &str, min: usize, what: &str) -> Result<(), Fail> {
            length(s, min, 256, what)?;
            if s
                .chars()
                .any(|c| !(c.is_ascii_alphanumeric() || c.is_whitespace() || ":_@$#=/+,-.".contains(c)))
            {
                // The value is sensitive: name the rule, not the text.
                return Err(Fail::invalid_input(format!(
                    "the requestMetadata {what} may hold only ASCII letters, digits, whitespace \
                     and :_@$#=/+,-."
                )));
            }
            Ok(())
        }
        // SAFETY: caller contract.
        let key = unsafe { arg_str(key, "key") }?;
        // SAFETY: caller contract.
        let value = unsafe { arg_str(value, "value") }?;
        check(key, 1, "key")?;
        check(value, 0, "value")?;
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                let map = r.request_metadata.get_or_insert_with(Default::default);
                if map.len() >= MAX_REQUEST_METADATA && !map.contains_key(key) {
                    return Err(Fail::invalid_input(format!(
                        "requestMetadata already has {MAX_REQUEST_METADATA} entries, the most \
                         the service model allows"
                    )));
                }
                map.insert(key.to_owned(), value.to_owned());
                Ok(())
            })
        }
    })
}

/// `performanceConfig.latency`: `"standard"` or `"optimized"`.
///
/// `request` and `latency` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `latency` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_performance_config_latency(
    request: *mut bedrock_stream_converse_request,
    latency: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let latency = unsafe { arg_str(latency, "latency") }?;
        let latency: PerformanceConfigLatency = known(
            latency,
            PerformanceConfigLatency::KNOWN,
            "performanceConfig.latency",
        )?;
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                *r = std::mem::take(r).performance_config_latency(latency);
                Ok(())
            })
        }
    })
}

/// `serviceTier.type`: `"priority"`, `"default"`, `"flex"` or `"reserved"`.
///
/// `request` and `tier` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `tier` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_service_tier(
    request: *mut bedrock_stream_converse_request,
    tier: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let tier = unsafe { arg_str(tier, "tier") }?;
        let tier: ServiceTierType = known(tier, ServiceTierType::KNOWN, "serviceTier.type")?;
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                *r = std::mem::take(r).service_tier(tier);
                Ok(())
            })
        }
    })
}
