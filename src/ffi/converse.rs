//! `bedrock_stream_converse_request`: one Converse / ConverseStream request, built from C
//! without writing JSON (`bedrock_stream_converse_request_add_*` / `_set_*`), or given as JSON
//! text (`bedrock_stream_converse_request_from_json`). The calls, events, accumulator and
//! results are in `converse_stream.rs`.

use std::ffi::c_char;

use serde_json::Value;

use super::args::{arg_bytes, arg_mut, arg_opt_str, arg_str, free_boxed, out_ptr, write_boxed};
use super::error::{bedrock_stream_error, Fail};
use super::status::bedrock_stream_status;
use crate::converse::{
    AudioBlock, AudioFormat, AudioSource, Blob, CachePointBlock, CacheTtl, Citation,
    CitationGeneratedContent, CitationLocation, CitationSourceContent, CitationsConfig,
    CitationsContentBlock, ContentBlock, ConverseJson, ConverseRequest, DocumentBlock,
    DocumentContentBlock, DocumentFormat, DocumentLocation, DocumentSource, GuardrailConfiguration,
    GuardrailConverseContentBlock, GuardrailConverseContentQualifier, GuardrailConverseImageBlock,
    GuardrailConverseImageFormat, GuardrailConverseImageSource, GuardrailConverseTextBlock,
    GuardrailStreamProcessingMode, GuardrailTrace, ImageBlock, ImageFormat, ImageSource,
    InferenceConfiguration, JsonSchemaDefinition, Message, OutputFormat, OutputFormatStructure,
    OutputFormatType, PerformanceConfigLatency, ReasoningContentBlock, ReasoningTextBlock, Role,
    S3Location, SearchResultBlock, SearchResultContentBlock, SearchResultLocation, ServiceTierType,
    SystemContentBlock, SystemTool, Tool, ToolAdditionBlock, ToolChoice, ToolReference,
    ToolRemovalBlock, ToolResultBlock, ToolResultContentBlock, ToolResultStatus, ToolSpecification,
    ToolUseBlock, ToolUseType, VideoBlock, VideoFormat, VideoSource, WebLocation,
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
    /// A `toolResult` block opened by `bedrock_stream_converse_request_begin_tool_result` is
    /// the last block of the last message, and content blocks go into it.
    open_tool_result: bool,
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
        self.open_tool_result = false;
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
    unsafe { update_builder(request, |b| f(&mut b.typed)) }
}

/// As [`update`], with the builder's own state (the open tool result) too.
///
/// # Safety
///
/// As [`update`].
unsafe fn update_builder(
    request: *mut bedrock_stream_converse_request,
    f: impl FnOnce(&mut bedrock_stream_converse_request) -> Result<(), Fail>,
) -> Result<(), Fail> {
    // SAFETY: forwarded contract.
    let r = unsafe { arg_mut(request, "request") }?;
    f(r)?;
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
        update_builder(request, |b| {
            let open = b.open_tool_result;
            let m = last_message(&mut b.typed)?;
            let block = block()?;
            match (open, m.content.last_mut()) {
                (true, Some(ContentBlock::ToolResult(t))) => {
                    t.content.push(tool_result_content(block)?)
                }
                _ => m.content.push(block),
            }
            Ok(())
        })
    }
}

/// A content block as the content of a `toolResult` (`ToolResultContentBlock`), or why it
/// cannot be one.
fn tool_result_content(block: ContentBlock) -> Result<ToolResultContentBlock, Fail> {
    Ok(match block {
        ContentBlock::Text(t) => ToolResultContentBlock::Text(t),
        ContentBlock::Image(i) => ToolResultContentBlock::Image(i),
        ContentBlock::Document(d) => ToolResultContentBlock::Document(d),
        ContentBlock::Video(v) => ToolResultContentBlock::Video(v),
        ContentBlock::SearchResult(s) => ToolResultContentBlock::SearchResult(s),
        other => {
            return Err(Fail::invalid_input(format!(
                "a {} block cannot go in a tool result (its content holds text, json, image, \
                 document, video and searchResult blocks): call \
                 bedrock_stream_converse_request_end_tool_result first",
                other.member_name()
            )))
        }
    })
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
        // SAFETY: checked not NULL; writable per the contract.
        unsafe { write_boxed(request_out, bedrock_stream_converse_request {
            typed: ConverseRequest::new(model_id),
            json: None,
            open_tool_result: false,
        }) };
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
        // SAFETY: checked not NULL; writable per the contract.
        unsafe { write_boxed(request_out, bedrock_stream_converse_request {
            typed,
            json: Some(checked),
            open_tool_result: false,
        }) };
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
        // SAFETY: NULL or handed out by this library and not freed yet (caller contract).
        unsafe { free_boxed(request) }
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
            update_builder(request, |b| {
                b.open_tool_result = false;
                b.typed
                    .messages
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

// ---------------------------------------------------------------------------------------------
// Every other member of the request: media from S3, video, audio, guard content, reasoning,
// citations, search results, tool additions and removals, tool results with any content,
// system blocks, tools, project, prompt variables, output configuration.
// ---------------------------------------------------------------------------------------------

/// `S3Location`: `uri` (`s3://bucket/key`, 1 to 1024 characters) and `bucket_owner` (the
/// 12-digit account id, or NULL: not sent).
///
/// # Safety
///
/// The strings are NULL or NUL-terminated.
unsafe fn s3_location(uri: *const c_char, bucket_owner: *const c_char) -> Result<S3Location, Fail> {
    // SAFETY: caller contract.
    let uri = unsafe { arg_str(uri, "uri") }?;
    length(uri, 1, 1024, "the S3 uri")?;
    let bucket = uri
        .strip_prefix("s3://")
        .map(|rest| rest.split('/').next().unwrap_or(""));
    let bucket_ok = bucket.is_some_and(|b| {
        (3..=63).contains(&b.len())
            && b.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
            && !b.starts_with(['.', '-'])
            && !b.ends_with(['.', '-'])
    });
    if !bucket_ok {
        return Err(Fail::invalid_input(format!(
            "the S3 uri {uri:?} is not s3://bucket/key (a bucket of 3 to 63 lower-case letters, \
             digits, `.` and `-`)"
        )));
    }
    // SAFETY: caller contract.
    let owner = unsafe { arg_opt_str(bucket_owner, "bucket_owner") }?;
    if let Some(o) = owner {
        if o.len() != 12 || !o.bytes().all(|c| c.is_ascii_digit()) {
            return Err(Fail::invalid_input(format!(
                "the S3 bucket owner {o:?} is not a 12-digit account id"
            )));
        }
    }
    Ok(S3Location {
        uri: uri.to_owned(),
        bucket_owner: owner.map(str::to_owned),
    })
}

/// Bytes of a media block: at least one.
///
/// # Safety
///
/// `data` is NULL or valid for reading `len` bytes.
unsafe fn media_bytes(data: *const u8, len: usize, what: &str) -> Result<Blob, Fail> {
    // SAFETY: caller contract.
    let bytes = unsafe { arg_bytes(data, len, "data") }?;
    if bytes.is_empty() {
        return Err(Fail::invalid_input(format!(
            "the {what} is empty (0 bytes)"
        )));
    }
    Ok(Blob(bytes.to_vec()))
}

/// Add a media block (`image`, `video`, `audio`) of `format` (one of `formats`, ASCII case
/// ignored), made by `block` from the format as the service spells it.
///
/// # Safety
///
/// As [`add_block`]; `format` is NULL or NUL-terminated.
unsafe fn add_media(
    request: *mut bedrock_stream_converse_request,
    format: *const c_char,
    formats: &'static [&'static str],
    what: &str,
    block: impl FnOnce(&'static str) -> ContentBlock,
) -> Result<(), Fail> {
    // SAFETY: caller contract.
    let format = unsafe { arg_str(format, "format") }?;
    let format = known_str(format, formats, what)?;
    // SAFETY: caller contract.
    unsafe { add_block(request, || Ok(block(format))) }
}

/// A document's optional `format` and its `name` (1 to 200 characters).
///
/// # Safety
///
/// The strings are NULL or NUL-terminated.
unsafe fn document_head(
    format: *const c_char,
    name: *const c_char,
) -> Result<(Option<DocumentFormat>, String), Fail> {
    // SAFETY: caller contract.
    let format = unsafe { arg_opt_str(format, "format") }?
        .map(|f| known(f, DocumentFormat::KNOWN, "the document format"))
        .transpose()?;
    // SAFETY: caller contract.
    let name = unsafe { arg_str(name, "name") }?;
    length(name, 1, 200, "the document name")?;
    Ok((format, name.to_owned()))
}

/// A document block with this source.
///
/// # Safety
///
/// As [`add_block`]; the strings are NULL or NUL-terminated.
unsafe fn add_document_with(
    request: *mut bedrock_stream_converse_request,
    format: *const c_char,
    name: *const c_char,
    source: impl FnOnce() -> Result<DocumentSource, Fail>,
) -> Result<(), Fail> {
    // SAFETY: caller contract.
    let (format, name) = unsafe { document_head(format, name) }?;
    let source = source()?;
    // SAFETY: caller contract.
    unsafe {
        add_block(request, || {
            Ok(ContentBlock::Document(DocumentBlock {
                format,
                name,
                source,
                context: None,
                citations: None,
            }))
        })
    }
}

/// The last block added to the request's content: the last content of the open tool result,
/// or else the last block of the last message.
enum LastBlock<'a> {
    Message(&'a mut ContentBlock),
    ToolResult(&'a mut ToolResultContentBlock),
}

fn last_block<'a>(
    b: &'a mut bedrock_stream_converse_request,
    what: &str,
) -> Result<LastBlock<'a>, Fail> {
    let open = b.open_tool_result;
    let none = || {
        Fail::invalid_input(format!(
            "{what}: the request has no block to change yet (add one first)"
        ))
    };
    let block = last_message(&mut b.typed)?
        .content
        .last_mut()
        .ok_or_else(none)?;
    if !(open && matches!(block, ContentBlock::ToolResult(_))) {
        return Ok(LastBlock::Message(block));
    }
    match block {
        ContentBlock::ToolResult(t) => t
            .content
            .last_mut()
            .map(LastBlock::ToolResult)
            .ok_or_else(none),
        other => Ok(LastBlock::Message(other)),
    }
}

/// The last block, which must be a document.
fn last_document<'a>(
    b: &'a mut bedrock_stream_converse_request,
    what: &str,
) -> Result<&'a mut DocumentBlock, Fail> {
    match last_block(b, what)? {
        LastBlock::Message(ContentBlock::Document(d))
        | LastBlock::ToolResult(ToolResultContentBlock::Document(d)) => Ok(d),
        _ => Err(Fail::invalid_input(format!(
            "{what}: the last block added is not a document"
        ))),
    }
}

/// The last block of the last message, which must be a `citationsContent` block.
fn last_citations<'a>(
    b: &'a mut bedrock_stream_converse_request,
    what: &str,
) -> Result<&'a mut CitationsContentBlock, Fail> {
    match last_block(b, what)? {
        LastBlock::Message(ContentBlock::CitationsContent(c)) => Ok(c),
        _ => Err(Fail::invalid_input(format!(
            "{what}: the last block added is not a citationsContent block (call \
             bedrock_stream_converse_request_add_citations_content first)"
        ))),
    }
}

/// The last citation of the last `citationsContent` block.
fn last_citation<'a>(
    b: &'a mut bedrock_stream_converse_request,
    what: &str,
) -> Result<&'a mut Citation, Fail> {
    last_citations(b, what)?
        .citations
        .as_mut()
        .and_then(|c| c.last_mut())
        .ok_or_else(|| {
            Fail::invalid_input(format!(
                "{what}: the citationsContent block has no citation yet (call \
                 bedrock_stream_converse_request_add_citation first)"
            ))
        })
}

/// A `CachePointBlock` with an optional `ttl` (`"5m"` or `"1h"`).
///
/// # Safety
///
/// `ttl` is NULL or NUL-terminated.
unsafe fn cache_point(ttl: *const c_char) -> Result<CachePointBlock, Fail> {
    // SAFETY: caller contract.
    let ttl = unsafe { arg_opt_str(ttl, "ttl") }?
        .map(|t| known::<CacheTtl>(t, CacheTtl::KNOWN, "the cache point ttl"))
        .transpose()?;
    Ok(CachePointBlock {
        ttl,
        ..CachePointBlock::default()
    })
}

/// A guardrail text block: `text` with `n` qualifiers at `qualifiers` (each
/// `"grounding_source"`, `"query"` or `"guard_content"`; none: not sent).
///
/// # Safety
///
/// `text` is NULL or NUL-terminated; `qualifiers` is NULL or valid for reading `n` pointers,
/// each NULL or NUL-terminated.
unsafe fn guard_text(
    text: *const c_char,
    qualifiers: *const *const c_char,
    n: usize,
) -> Result<GuardrailConverseContentBlock, Fail> {
    // SAFETY: caller contract.
    let text = unsafe { arg_str(text, "text") }?;
    let mut list = Vec::new();
    if n > 0 {
        if qualifiers.is_null() {
            return Err(Fail::null("qualifiers"));
        }
        if n > 3 {
            return Err(Fail::invalid_input(format!(
                "{n} qualifiers: there are 3 (grounding_source, query, guard_content)"
            )));
        }
        // SAFETY: not NULL, `n` (at most 3) readable pointers (contract).
        let ptrs = unsafe { std::slice::from_raw_parts(qualifiers, n) };
        for p in ptrs {
            // SAFETY: each pointer is NULL or NUL-terminated (contract).
            let q = unsafe { arg_str(*p, "qualifiers[i]") }?;
            list.push(known::<GuardrailConverseContentQualifier>(
                q,
                GuardrailConverseContentQualifier::KNOWN,
                "the guard content qualifier",
            )?);
        }
    }
    Ok(GuardrailConverseContentBlock::Text(
        GuardrailConverseTextBlock {
            text: text.to_owned(),
            qualifiers: (!list.is_empty()).then_some(list),
        },
    ))
}

/// A guardrail image block: `format` `"png"` or `"jpeg"`, the `len` bytes at `data`.
///
/// # Safety
///
/// `format` is NULL or NUL-terminated; `data` is NULL or valid for reading `len` bytes.
unsafe fn guard_image(
    format: *const c_char,
    data: *const u8,
    len: usize,
) -> Result<GuardrailConverseContentBlock, Fail> {
    // SAFETY: caller contract.
    let format = unsafe { arg_str(format, "format") }?;
    let format = known(
        format,
        GuardrailConverseImageFormat::KNOWN,
        "the guard content image format",
    )?;
    // SAFETY: caller contract.
    let bytes = unsafe { media_bytes(data, len, "image") }?;
    Ok(GuardrailConverseContentBlock::Image(
        GuardrailConverseImageBlock {
            format,
            source: GuardrailConverseImageSource::Bytes(bytes),
        },
    ))
}

/// A `ToolReference` (every member may be NULL: not sent).
///
/// # Safety
///
/// The strings are NULL or NUL-terminated.
unsafe fn tool_reference(
    r#type: *const c_char,
    name: *const c_char,
    server_name: *const c_char,
) -> Result<ToolReference, Fail> {
    // SAFETY: caller contract.
    let owned =
        |p: *const c_char, n: &str| unsafe { arg_opt_str(p, n) }.map(|s| s.map(str::to_owned));
    Ok(ToolReference {
        r#type: owned(r#type, "type")?,
        name: owned(name, "name")?,
        server_name: owned(server_name, "server_name")?,
    })
}

/// Add an `image` block whose source is an object in Amazon S3 (`source.s3Location`):
/// `format` as for `bedrock_stream_converse_request_add_image`, `uri` `s3://bucket/key`,
/// `bucket_owner` the bucket owner's 12-digit account id or NULL (not sent).
///
/// Like every block function, it adds to the last message, or to the tool result opened by
/// `bedrock_stream_converse_request_begin_tool_result` while it is open.
///
/// `request`, `format` and `uri` must not be NULL. `err_out` may be NULL; `*err_out` is set
/// only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_image_s3(
    request: *mut bedrock_stream_converse_request,
    format: *const c_char,
    uri: *const c_char,
    bucket_owner: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let s3 = unsafe { s3_location(uri, bucket_owner) }?;
        // SAFETY: caller contract.
        unsafe {
            add_media(request, format, ImageFormat::KNOWN, "the image format", |f| {
                ContentBlock::Image(ImageBlock {
                    format: f.into(),
                    source: ImageSource::S3Location(s3),
                    error: None,
                })
            })
        }
    })
}

/// Add a `document` block whose source is an object in Amazon S3 (`source.s3Location`):
/// `format` as for `bedrock_stream_converse_request_add_document` or NULL (not sent), `name`
/// 1 to 200 characters, `uri` `s3://bucket/key`, `bucket_owner` a 12-digit account id or NULL.
///
/// `request`, `name` and `uri` must not be NULL. `err_out` may be NULL; `*err_out` is set only
/// on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_document_s3(
    request: *mut bedrock_stream_converse_request,
    format: *const c_char,
    name: *const c_char,
    uri: *const c_char,
    bucket_owner: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe {
            add_document_with(request, format, name, || {
                Ok(DocumentSource::S3Location(s3_location(uri, bucket_owner)?))
            })
        }
    })
}

/// Add a `document` block given as plain text (`source.text`, UTF-8, copied, not empty):
/// `format` (e.g. `"txt"`, `"md"`) or NULL (not sent), `name` 1 to 200 characters.
///
/// `request`, `name` and `text` must not be NULL. `err_out` may be NULL; `*err_out` is set
/// only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_document_text(
    request: *mut bedrock_stream_converse_request,
    format: *const c_char,
    name: *const c_char,
    text: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe {
            add_document_with(request, format, name, || {
                let text = arg_str(text, "text")?;
                if text.is_empty() {
                    return Err(Fail::invalid_input("the document text is empty"));
                }
                Ok(DocumentSource::Text(text.to_owned()))
            })
        }
    })
}

/// Add a `document` block made of text blocks (`source.content`): `format` or NULL (not
/// sent), `name` 1 to 200 characters, and its first text block `text` (UTF-8, copied);
/// `bedrock_stream_converse_request_add_document_content_text` adds more.
///
/// `request`, `name` and `text` must not be NULL. `err_out` may be NULL; `*err_out` is set
/// only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_document_content(
    request: *mut bedrock_stream_converse_request,
    format: *const c_char,
    name: *const c_char,
    text: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe {
            add_document_with(request, format, name, || {
                let text = arg_str(text, "text")?;
                Ok(DocumentSource::Content(vec![DocumentContentBlock::Text(
                    text.to_owned(),
                )]))
            })
        }
    })
}

/// Add a text block to the `source.content` of the last block added, a document from
/// `bedrock_stream_converse_request_add_document_content`.
///
/// `request` and `text` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `text` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_document_content_text(
    request: *mut bedrock_stream_converse_request,
    text: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let text = unsafe { arg_str(text, "text") }?;
        // SAFETY: caller contract.
        unsafe {
            update_builder(request, |b| {
                let what = "bedrock_stream_converse_request_add_document_content_text";
                match &mut last_document(b, what)?.source {
                    DocumentSource::Content(list) => {
                        list.push(DocumentContentBlock::Text(text.to_owned()));
                        Ok(())
                    }
                    _ => Err(Fail::invalid_input(format!(
                        "{what}: the last document's source is not content (start it with \
                         bedrock_stream_converse_request_add_document_content)"
                    ))),
                }
            })
        }
    })
}

/// `context`: set the context of the last block added, a document (UTF-8, copied): what the
/// document is, for the model.
///
/// `request` and `context` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `context` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_document_context(
    request: *mut bedrock_stream_converse_request,
    context: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let context = unsafe { arg_str(context, "context") }?;
        // SAFETY: caller contract.
        unsafe {
            update_builder(request, |b| {
                last_document(b, "bedrock_stream_converse_request_set_document_context")?
                    .context = Some(context.to_owned());
                Ok(())
            })
        }
    })
}

/// `citations.enabled`: let the model cite the last block added, a document or a search
/// result (`{"citations":{"enabled":true}}`), or not (`false`, sent as such).
///
/// `request` must not be NULL. `err_out` may be NULL; `*err_out` is set only on failure (the
/// request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `err_out` is NULL or valid for
/// writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_citations_enabled(
    request: *mut bedrock_stream_converse_request,
    enabled: bool,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe {
            update_builder(request, |b| {
                let what = "bedrock_stream_converse_request_set_citations_enabled";
                let config = match last_block(b, what)? {
                    LastBlock::Message(ContentBlock::Document(d))
                    | LastBlock::ToolResult(ToolResultContentBlock::Document(d)) => &mut d.citations,
                    LastBlock::Message(ContentBlock::SearchResult(s))
                    | LastBlock::ToolResult(ToolResultContentBlock::SearchResult(s)) => {
                        &mut s.citations
                    }
                    _ => {
                        return Err(Fail::invalid_input(format!(
                            "{what}: the last block added is neither a document nor a search \
                             result"
                        )))
                    }
                };
                *config = Some(CitationsConfig { enabled });
                Ok(())
            })
        }
    })
}

/// Add a `video` block: `format` is one of `"mkv"`, `"mov"`, `"mp4"`, `"webm"`, `"flv"`,
/// `"mpeg"`, `"mpg"`, `"wmv"`, `"three_gp"`; the video is the `len` bytes at `data` (copied,
/// at least one byte; sent as base64).
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
pub unsafe extern "C" fn bedrock_stream_converse_request_add_video(
    request: *mut bedrock_stream_converse_request,
    format: *const c_char,
    data: *const u8,
    len: usize,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let bytes = unsafe { media_bytes(data, len, "video") }?;
        // SAFETY: caller contract.
        unsafe {
            add_media(request, format, VideoFormat::KNOWN, "the video format", |f| {
                ContentBlock::Video(VideoBlock {
                    format: f.into(),
                    source: VideoSource::Bytes(bytes),
                })
            })
        }
    })
}

/// Add a `video` block whose source is an object in Amazon S3: `format` as for
/// `bedrock_stream_converse_request_add_video`, `uri` `s3://bucket/key`, `bucket_owner` a
/// 12-digit account id or NULL (not sent).
///
/// `request`, `format` and `uri` must not be NULL. `err_out` may be NULL; `*err_out` is set
/// only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_video_s3(
    request: *mut bedrock_stream_converse_request,
    format: *const c_char,
    uri: *const c_char,
    bucket_owner: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let s3 = unsafe { s3_location(uri, bucket_owner) }?;
        // SAFETY: caller contract.
        unsafe {
            add_media(request, format, VideoFormat::KNOWN, "the video format", |f| {
                ContentBlock::Video(VideoBlock {
                    format: f.into(),
                    source: VideoSource::S3Location(s3),
                })
            })
        }
    })
}

/// Add an `audio` block: `format` is one of `"mp3"`, `"opus"`, `"wav"`, `"aac"`, `"flac"`,
/// `"mp4"`, `"ogg"`, `"mkv"`, `"mka"`, `"x-aac"`, `"m4a"`, `"mpeg"`, `"mpga"`, `"pcm"`,
/// `"webm"`; the audio is the `len` bytes at `data` (copied, at least one byte; sent as
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
pub unsafe extern "C" fn bedrock_stream_converse_request_add_audio(
    request: *mut bedrock_stream_converse_request,
    format: *const c_char,
    data: *const u8,
    len: usize,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let bytes = unsafe { media_bytes(data, len, "audio") }?;
        // SAFETY: caller contract.
        unsafe {
            add_media(request, format, AudioFormat::KNOWN, "the audio format", |f| {
                ContentBlock::Audio(AudioBlock {
                    format: f.into(),
                    source: AudioSource::Bytes(bytes),
                    error: None,
                })
            })
        }
    })
}

/// Add an `audio` block whose source is an object in Amazon S3: `format` as for
/// `bedrock_stream_converse_request_add_audio`, `uri` `s3://bucket/key`, `bucket_owner` a
/// 12-digit account id or NULL (not sent).
///
/// `request`, `format` and `uri` must not be NULL. `err_out` may be NULL; `*err_out` is set
/// only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_audio_s3(
    request: *mut bedrock_stream_converse_request,
    format: *const c_char,
    uri: *const c_char,
    bucket_owner: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let s3 = unsafe { s3_location(uri, bucket_owner) }?;
        // SAFETY: caller contract.
        unsafe {
            add_media(request, format, AudioFormat::KNOWN, "the audio format", |f| {
                ContentBlock::Audio(AudioBlock {
                    format: f.into(),
                    source: AudioSource::S3Location(s3),
                    error: None,
                })
            })
        }
    })
}

/// Add a `guardContent` block holding text for the guardrail to evaluate: `text` (UTF-8,
/// copied) and `n` qualifiers at `qualifiers`, each `"grounding_source"`, `"query"` or
/// `"guard_content"` (`n` = 0: none sent; `qualifiers` may then be NULL).
///
/// `request` and `text` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `text` is NULL or
/// NUL-terminated; `qualifiers` is NULL or valid for reading `n` pointers, each NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_guard_content_text(
    request: *mut bedrock_stream_converse_request,
    text: *const c_char,
    qualifiers: *const *const c_char,
    n: usize,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let g = unsafe { guard_text(text, qualifiers, n) }?;
        // SAFETY: caller contract.
        unsafe { add_block(request, || Ok(ContentBlock::GuardContent(g))) }
    })
}

/// Add a `guardContent` block holding an image for the guardrail to evaluate: `format`
/// `"png"` or `"jpeg"`, the `len` bytes at `data` (copied, at least one; sent as base64).
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
pub unsafe extern "C" fn bedrock_stream_converse_request_add_guard_content_image(
    request: *mut bedrock_stream_converse_request,
    format: *const c_char,
    data: *const u8,
    len: usize,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let g = unsafe { guard_image(format, data, len) }?;
        // SAFETY: caller contract.
        unsafe { add_block(request, || Ok(ContentBlock::GuardContent(g))) }
    })
}

/// Add a `cachePoint` block with a `ttl`: `"5m"` or `"1h"` (as
/// `bedrock_stream_converse_request_add_cache_point`, which sends no ttl).
///
/// `request` and `ttl` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `ttl` is NULL or NUL-terminated;
/// `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_cache_point_ttl(
    request: *mut bedrock_stream_converse_request,
    ttl: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        if ttl.is_null() {
            return Err(Fail::null("ttl"));
        }
        // SAFETY: caller contract.
        let c = unsafe { cache_point(ttl) }?;
        // SAFETY: caller contract.
        unsafe { add_block(request, || Ok(ContentBlock::CachePoint(c))) }
    })
}

/// Add a `reasoningContent` block with `reasoningText`: the model's reasoning `text` and its
/// `signature` (NULL: not sent), e.g. replaying a conversation saved earlier. To send back the
/// model's own message use `bedrock_stream_converse_request_append_message`.
///
/// `request` and `text` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_reasoning_text(
    request: *mut bedrock_stream_converse_request,
    text: *const c_char,
    signature: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let text = unsafe { arg_str(text, "text") }?;
        // SAFETY: caller contract.
        let signature = unsafe { arg_opt_str(signature, "signature") }?;
        // SAFETY: caller contract.
        unsafe {
            add_block(request, || {
                Ok(ContentBlock::ReasoningContent(
                    ReasoningContentBlock::ReasoningText(ReasoningTextBlock {
                        text: text.to_owned(),
                        signature: signature.map(str::to_owned),
                    }),
                ))
            })
        }
    })
}

/// Add a `reasoningContent` block with `redactedContent`: the `len` bytes at `data` (copied,
/// at least one; sent as base64), as the model sent them.
///
/// `request` and `data` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `data` is NULL or valid for
/// reading `len` bytes; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_reasoning_redacted(
    request: *mut bedrock_stream_converse_request,
    data: *const u8,
    len: usize,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let bytes = unsafe { media_bytes(data, len, "redacted reasoning") }?;
        // SAFETY: caller contract.
        unsafe {
            add_block(request, || {
                Ok(ContentBlock::ReasoningContent(
                    ReasoningContentBlock::RedactedContent(bytes),
                ))
            })
        }
    })
}

/// Add an empty `citationsContent` block (generated text with the sources it cites, e.g.
/// replaying a conversation saved earlier); fill it with
/// `bedrock_stream_converse_request_add_citation_generated_text` (its `content`) and
/// `bedrock_stream_converse_request_add_citation` (its `citations`).
///
/// `request` must not be NULL. `err_out` may be NULL; `*err_out` is set only on failure (the
/// request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `err_out` is NULL or valid for
/// writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_citations_content(
    request: *mut bedrock_stream_converse_request,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe {
            add_block(request, || {
                Ok(ContentBlock::CitationsContent(CitationsContentBlock::default()))
            })
        }
    })
}

/// `content`: add a generated text (UTF-8, copied) to the last block added, a
/// `citationsContent` block.
///
/// `request` and `text` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `text` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_citation_generated_text(
    request: *mut bedrock_stream_converse_request,
    text: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let text = unsafe { arg_str(text, "text") }?;
        // SAFETY: caller contract.
        unsafe {
            update_builder(request, |b| {
                last_citations(b, "bedrock_stream_converse_request_add_citation_generated_text")?
                    .content
                    .get_or_insert_with(Vec::new)
                    .push(CitationGeneratedContent::Text(text.to_owned()));
                Ok(())
            })
        }
    })
}

/// `citations`: add a citation to the last block added, a `citationsContent` block: its
/// `title` and `source` (each NULL: not sent). Its source texts and location are set with
/// `bedrock_stream_converse_request_add_citation_source_text`,
/// `bedrock_stream_converse_request_set_citation_location` and
/// `bedrock_stream_converse_request_set_citation_web_location`.
///
/// `request` must not be NULL. `err_out` may be NULL; `*err_out` is set only on failure (the
/// request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_citation(
    request: *mut bedrock_stream_converse_request,
    title: *const c_char,
    source: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let title = unsafe { arg_opt_str(title, "title") }?;
        // SAFETY: caller contract.
        let source = unsafe { arg_opt_str(source, "source") }?;
        let citation = Citation {
            title: title.map(str::to_owned),
            source: source.map(str::to_owned),
            ..Citation::default()
        };
        // SAFETY: caller contract.
        unsafe {
            update_builder(request, |b| {
                last_citations(b, "bedrock_stream_converse_request_add_citation")?
                    .citations
                    .get_or_insert_with(Vec::new)
                    .push(citation);
                Ok(())
            })
        }
    })
}

/// `sourceContent`: add a text the last citation quotes from its source (UTF-8, copied).
///
/// `request` and `text` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `text` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_citation_source_text(
    request: *mut bedrock_stream_converse_request,
    text: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let text = unsafe { arg_str(text, "text") }?;
        // SAFETY: caller contract.
        unsafe {
            update_builder(request, |b| {
                last_citation(b, "bedrock_stream_converse_request_add_citation_source_text")?
                    .source_content
                    .get_or_insert_with(Vec::new)
                    .push(CitationSourceContent::Text(text.to_owned()));
                Ok(())
            })
        }
    })
}

/// `location.web`: the last citation points to a web page, `url` and `domain` (each NULL: not
/// sent). Replaces an earlier location.
///
/// `request` must not be NULL. `err_out` may be NULL; `*err_out` is set only on failure (the
/// request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_citation_web_location(
    request: *mut bedrock_stream_converse_request,
    url: *const c_char,
    domain: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let url = unsafe { arg_opt_str(url, "url") }?;
        // SAFETY: caller contract.
        let domain = unsafe { arg_opt_str(domain, "domain") }?;
        let web = WebLocation {
            url: url.map(str::to_owned),
            domain: domain.map(str::to_owned),
        };
        // SAFETY: caller contract.
        unsafe {
            update_builder(request, |b| {
                last_citation(b, "bedrock_stream_converse_request_set_citation_web_location")?
                    .location = Some(CitationLocation::Web(web));
                Ok(())
            })
        }
    })
}

/// `location`: the last citation points into a document or a search result. `kind` is
/// `"documentChar"`, `"documentPage"`, `"documentChunk"` (then `index` is `documentIndex`) or
/// `"searchResultLocation"` (then `index` is `searchResultIndex`); `index`, `start` and `end`
/// are 0 to 4294967295, or negative: not sent. Replaces an earlier location.
///
/// `request` and `kind` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `kind` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_citation_location(
    request: *mut bedrock_stream_converse_request,
    kind: *const c_char,
    index: i64,
    start: i64,
    end: i64,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let kind = unsafe { arg_str(kind, "kind") }?;
        let kind = known_str(
            kind,
            &["documentChar", "documentPage", "documentChunk", "searchResultLocation"],
            "the citation location kind",
        )?;
        let n = |v: i64, what: &str| -> Result<Option<u32>, Fail> {
            if v < 0 {
                return Ok(None);
            }
            u32::try_from(v).map(Some).map_err(|_| {
                Fail::invalid_input(format!("the citation location {what} {v} is above 4294967295"))
            })
        };
        let (index, start, end) = (n(index, "index")?, n(start, "start")?, n(end, "end")?);
        let doc = DocumentLocation {
            document_index: index,
            start,
            end,
        };
        let location = match kind {
            "documentChar" => CitationLocation::DocumentChar(doc),
            "documentPage" => CitationLocation::DocumentPage(doc),
            "documentChunk" => CitationLocation::DocumentChunk(doc),
            _ => CitationLocation::SearchResultLocation(SearchResultLocation {
                search_result_index: index,
                start,
                end,
            }),
        };
        // SAFETY: caller contract.
        unsafe {
            update_builder(request, |b| {
                last_citation(b, "bedrock_stream_converse_request_set_citation_location")?
                    .location = Some(location);
                Ok(())
            })
        }
    })
}

/// Add a `searchResult` block: where it comes from (`source`), its `title` and its first text
/// (`text`; `bedrock_stream_converse_request_add_search_result_text` adds more), all UTF-8,
/// copied. `bedrock_stream_converse_request_set_citations_enabled` lets the model cite it.
///
/// `request`, `source`, `title` and `text` must not be NULL. `err_out` may be NULL; `*err_out`
/// is set only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_search_result(
    request: *mut bedrock_stream_converse_request,
    source: *const c_char,
    title: *const c_char,
    text: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let source = unsafe { arg_str(source, "source") }?;
        // SAFETY: caller contract.
        let title = unsafe { arg_str(title, "title") }?;
        // SAFETY: caller contract.
        let text = unsafe { arg_str(text, "text") }?;
        // SAFETY: caller contract.
        unsafe {
            add_block(request, || {
                Ok(ContentBlock::SearchResult(SearchResultBlock {
                    source: source.to_owned(),
                    title: title.to_owned(),
                    content: vec![SearchResultContentBlock {
                        text: text.to_owned(),
                    }],
                    citations: None,
                }))
            })
        }
    })
}

/// `content`: add a text (UTF-8, copied) to the last block added, a search result.
///
/// `request` and `text` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `text` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_search_result_text(
    request: *mut bedrock_stream_converse_request,
    text: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let text = unsafe { arg_str(text, "text") }?;
        // SAFETY: caller contract.
        unsafe {
            update_builder(request, |b| {
                let what = "bedrock_stream_converse_request_add_search_result_text";
                match last_block(b, what)? {
                    LastBlock::Message(ContentBlock::SearchResult(s))
                    | LastBlock::ToolResult(ToolResultContentBlock::SearchResult(s)) => {
                        s.content.push(SearchResultContentBlock {
                            text: text.to_owned(),
                        });
                        Ok(())
                    }
                    _ => Err(Fail::invalid_input(format!(
                        "{what}: the last block added is not a search result"
                    ))),
                }
            })
        }
    })
}

/// Add a `toolAddition` block: the tool `tool` refers to by its `type`, `name` and
/// `server_name` (each NULL: not sent).
///
/// `request` must not be NULL. `err_out` may be NULL; `*err_out` is set only on failure (the
/// request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_tool_addition(
    request: *mut bedrock_stream_converse_request,
    r#type: *const c_char,
    name: *const c_char,
    server_name: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let tool = unsafe { tool_reference(r#type, name, server_name) }?;
        // SAFETY: caller contract.
        unsafe { add_block(request, || Ok(ContentBlock::ToolAddition(ToolAdditionBlock { tool }))) }
    })
}

/// Add a `toolRemoval` block: as `bedrock_stream_converse_request_add_tool_addition`, for a
/// tool taken away.
///
/// `request` must not be NULL. `err_out` may be NULL; `*err_out` is set only on failure (the
/// request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_tool_removal(
    request: *mut bedrock_stream_converse_request,
    r#type: *const c_char,
    name: *const c_char,
    server_name: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let tool = unsafe { tool_reference(r#type, name, server_name) }?;
        // SAFETY: caller contract.
        unsafe { add_block(request, || Ok(ContentBlock::ToolRemoval(ToolRemovalBlock { tool }))) }
    })
}

/// Open a `toolResult` block in the last message, with no content yet: `tool_use_id` is the
/// id of the `toolUse` it answers, `status` `"success"`, `"error"` or NULL (not sent). Until
/// `bedrock_stream_converse_request_end_tool_result` (or the next
/// `bedrock_stream_converse_request_add_message`), the block functions add to its `content`
/// instead of the message: `_add_text`, `_add_json_content`, `_add_image`, `_add_image_s3`,
/// `_add_document*`, `_add_video*`, `_add_search_result` (and the functions that change the
/// last block added); any other block fails with `BEDROCK_STREAM_STATUS_INVALID_INPUT`.
///
/// `request` and `tool_use_id` must not be NULL. `err_out` may be NULL; `*err_out` is set only
/// on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_begin_tool_result(
    request: *mut bedrock_stream_converse_request,
    tool_use_id: *const c_char,
    status: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let id = unsafe { arg_str(tool_use_id, "tool_use_id") }?;
        identifier(id, ".:", "the tool use id")?;
        // SAFETY: caller contract.
        let status = tool_result_status(unsafe { arg_opt_str(status, "status") }?)?;
        // SAFETY: caller contract.
        unsafe {
            update_builder(request, |b| {
                if b.open_tool_result {
                    return Err(Fail::invalid_input(
                        "a tool result is already open: call \
                         bedrock_stream_converse_request_end_tool_result first",
                    ));
                }
                last_message(&mut b.typed)?
                    .content
                    .push(ContentBlock::ToolResult(ToolResultBlock {
                        tool_use_id: id.to_owned(),
                        content: Vec::new(),
                        status,
                        r#type: None,
                    }));
                b.open_tool_result = true;
                Ok(())
            })
        }
    })
}

/// Add a `json` block (JSON text, any value) to the content of the tool result opened by
/// `bedrock_stream_converse_request_begin_tool_result` (it goes nowhere else).
///
/// `request` and `json` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `json` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_json_content(
    request: *mut bedrock_stream_converse_request,
    json: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let value = self::json(unsafe { arg_str(json, "json") }?, "the tool result")?;
        // SAFETY: caller contract.
        unsafe {
            update_builder(request, |b| {
                let open = b.open_tool_result;
                match last_message(&mut b.typed)?.content.last_mut() {
                    Some(ContentBlock::ToolResult(t)) if open => {
                        t.content.push(ToolResultContentBlock::Json(value));
                        Ok(())
                    }
                    _ => Err(Fail::invalid_input(
                        "a json block goes in a tool result only: call \
                         bedrock_stream_converse_request_begin_tool_result first",
                    )),
                }
            })
        }
    })
}

/// Close the tool result opened by `bedrock_stream_converse_request_begin_tool_result`: the
/// block functions add to the message again.
///
/// `request` must not be NULL. Fails with `BEDROCK_STREAM_STATUS_INVALID_INPUT` when no tool
/// result is open. `err_out` may be NULL; `*err_out` is set only on failure (the request is
/// then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `err_out` is NULL or valid for
/// writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_end_tool_result(
    request: *mut bedrock_stream_converse_request,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe {
            update_builder(request, |b| {
                if !b.open_tool_result {
                    return Err(Fail::invalid_input(
                        "no tool result is open (bedrock_stream_converse_request_begin_tool_result \
                         opens one)",
                    ));
                }
                b.open_tool_result = false;
                Ok(())
            })
        }
    })
}

/// `type` of the last `toolUse` or `toolResult` block of the last message: for a tool use
/// `"server_tool_use"` (a tool the service ran), for a tool result any text (UTF-8, copied).
///
/// `request` and `type` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `type` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_tool_block_type(
    request: *mut bedrock_stream_converse_request,
    r#type: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let t = unsafe { arg_str(r#type, "type") }?;
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| match last_message(r)?.content.last_mut() {
                Some(ContentBlock::ToolUse(u)) => {
                    u.r#type = Some(known(t, ToolUseType::KNOWN, "the tool use type")?);
                    Ok(())
                }
                Some(ContentBlock::ToolResult(res)) => {
                    res.r#type = Some(t.to_owned());
                    Ok(())
                }
                _ => Err(Fail::invalid_input(
                    "the last block of the last message is neither a toolUse nor a toolResult",
                )),
            })
        }
    })
}

/// `system`: add a `guardContent` block holding text, as
/// `bedrock_stream_converse_request_add_guard_content_text` does to a message.
///
/// `request` and `text` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `text` is NULL or
/// NUL-terminated; `qualifiers` is NULL or valid for reading `n` pointers, each NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_system_guard_content_text(
    request: *mut bedrock_stream_converse_request,
    text: *const c_char,
    qualifiers: *const *const c_char,
    n: usize,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let g = unsafe { guard_text(text, qualifiers, n) }?;
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                *r = std::mem::take(r).system(SystemContentBlock::GuardContent(g));
                Ok(())
            })
        }
    })
}

/// `system`: add a `guardContent` block holding an image, as
/// `bedrock_stream_converse_request_add_guard_content_image` does to a message.
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
pub unsafe extern "C" fn bedrock_stream_converse_request_add_system_guard_content_image(
    request: *mut bedrock_stream_converse_request,
    format: *const c_char,
    data: *const u8,
    len: usize,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let g = unsafe { guard_image(format, data, len) }?;
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                *r = std::mem::take(r).system(SystemContentBlock::GuardContent(g));
                Ok(())
            })
        }
    })
}

/// `system`: add a `cachePoint` block (type `default`) with `ttl` `"5m"`, `"1h"` or NULL (not
/// sent): a prompt-cache checkpoint after the system blocks before it.
///
/// `request` must not be NULL. `err_out` may be NULL; `*err_out` is set only on failure (the
/// request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `ttl` is NULL or NUL-terminated;
/// `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_system_cache_point(
    request: *mut bedrock_stream_converse_request,
    ttl: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let c = unsafe { cache_point(ttl) }?;
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                *r = std::mem::take(r).system(SystemContentBlock::CachePoint(c));
                Ok(())
            })
        }
    })
}

/// `toolConfig.tools`: offer the model a tool the service provides (`systemTool`), by its
/// `name` (`[a-zA-Z0-9_-]`, 1 to 64 characters).
///
/// `request` and `name` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `name` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_system_tool(
    request: *mut bedrock_stream_converse_request,
    name: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let name = unsafe { arg_str(name, "name") }?;
        identifier(name, "", "the system tool name")?;
        let tool = Tool::SystemTool(SystemTool {
            name: name.to_owned(),
        });
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                *r = std::mem::take(r).tool(tool);
                Ok(())
            })
        }
    })
}

/// `toolConfig.tools`: add a `cachePoint` (type `default`) with `ttl` `"5m"`, `"1h"` or NULL
/// (not sent): a prompt-cache checkpoint after the tools before it.
///
/// `request` must not be NULL. `err_out` may be NULL; `*err_out` is set only on failure (the
/// request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `ttl` is NULL or NUL-terminated;
/// `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_add_tool_cache_point(
    request: *mut bedrock_stream_converse_request,
    ttl: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let c = unsafe { cache_point(ttl) }?;
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                *r = std::mem::take(r).tool(Tool::CachePoint(c));
                Ok(())
            })
        }
    })
}

/// `strict` of the last tool added with `bedrock_stream_converse_request_add_tool`: the
/// model's input must follow the schema exactly (`true`) or not (`false`, sent as such).
///
/// `request` must not be NULL. Fails with `BEDROCK_STREAM_STATUS_INVALID_INPUT` when the last
/// tool is not a `toolSpec`. `err_out` may be NULL; `*err_out` is set only on failure (the
/// request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `err_out` is NULL or valid for
/// writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_tool_strict(
    request: *mut bedrock_stream_converse_request,
    strict: bool,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                match r.tool_config.as_mut().and_then(|t| t.tools.last_mut()) {
                    Some(Tool::ToolSpec(spec)) => {
                        spec.strict = Some(strict);
                        Ok(())
                    }
                    _ => Err(Fail::invalid_input(
                        "the last tool is not one added with \
                         bedrock_stream_converse_request_add_tool",
                    )),
                }
            })
        }
    })
}

/// `projectIdentifier`: the project the call is billed to: its id (`[a-zA-Z0-9_-]`) or ARN,
/// 1 to 2048 characters.
///
/// `request` and `project` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `project` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_project_identifier(
    request: *mut bedrock_stream_converse_request,
    project: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let p = unsafe { arg_str(project, "project") }?;
        length(p, 1, 2048, "projectIdentifier")?;
        let is_id = p
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
        if !is_id && !p.starts_with("arn:") {
            return Err(Fail::invalid_input(format!(
                "projectIdentifier {p:?} is neither an id (ASCII letters, digits, `_`, `-`) nor \
                 an ARN"
            )));
        }
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                *r = std::mem::take(r).project_identifier(p);
                Ok(())
            })
        }
    })
}

/// `promptVariables`: set the variable `name` of a prompt from Prompt management (the model
/// id is the prompt's ARN) to `text` (UTF-8, copied). Sensitive: never logged.
///
/// `request`, `name` and `text` must not be NULL; `name` must not be empty. `err_out` may be
/// NULL; `*err_out` is set only on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_prompt_variable(
    request: *mut bedrock_stream_converse_request,
    name: *const c_char,
    text: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let name = unsafe { arg_str(name, "name") }?;
        // SAFETY: caller contract.
        let text = unsafe { arg_str(text, "text") }?;
        if name.is_empty() {
            return Err(Fail::invalid_input("a prompt variable name must not be empty"));
        }
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                *r = std::mem::take(r).prompt_variable(name, text);
                Ok(())
            })
        }
    })
}

/// `outputConfig.textFormat`: structured output. The answer follows the JSON Schema
/// `schema_json` (JSON text, an object; sent as the text `structure.jsonSchema.schema`, type
/// `json_schema`), with the schema's `name` and `description` (each NULL: not sent).
///
/// `request` and `schema_json` must not be NULL. `err_out` may be NULL; `*err_out` is set only
/// on failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; the strings are NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_output_json_schema(
    request: *mut bedrock_stream_converse_request,
    schema_json: *const c_char,
    name: *const c_char,
    description: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let schema = unsafe { arg_str(schema_json, "schema_json") }?;
        json_object(schema, "the output JSON Schema")?;
        // SAFETY: caller contract.
        let name = unsafe { arg_opt_str(name, "name") }?;
        // SAFETY: caller contract.
        let description = unsafe { arg_opt_str(description, "description") }?;
        let format = OutputFormat {
            r#type: OutputFormatType::JsonSchema,
            structure: OutputFormatStructure::JsonSchema(JsonSchemaDefinition {
                schema: schema.to_owned(),
                name: name.map(str::to_owned),
                description: description.map(str::to_owned),
            }),
        };
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                r.output_config.get_or_insert_with(Default::default).text_format = Some(format);
                Ok(())
            })
        }
    })
}

/// `outputConfig.effort`: how much effort the model spends (model-specific, e.g. `"low"`,
/// `"medium"`, `"high"`; 0 to 16 characters, copied).
///
/// `request` and `effort` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `effort` is NULL or
/// NUL-terminated; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_set_output_effort(
    request: *mut bedrock_stream_converse_request,
    effort: *const c_char,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let effort = unsafe { arg_str(effort, "effort") }?;
        length(effort, 0, 16, "outputConfig.effort")?;
        // SAFETY: caller contract.
        unsafe {
            update(request, |r| {
                r.output_config.get_or_insert_with(Default::default).effort =
                    Some(effort.to_owned());
                Ok(())
            })
        }
    })
}
