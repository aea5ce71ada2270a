//! Model-aware text, stop-reason and token-usage extraction from `chunk` documents.
//!
//! `InvokeModelWithResponseStream` is model-agnostic: each `chunk` event carries the model
//! provider's own JSON document (base64 inside the event payload). This module knows the shapes
//! of the families Bedrock serves and turns one decoded document into a [`ChunkInfo`]:
//!
//! * the **text delta** (for example Claude's `delta.text` of a `text_delta`, Titan's
//!   `outputText`, Llama's `generation`, Nova's `contentBlockDelta.delta.text`, …);
//! * the **stop reason**, when the document carries one;
//! * the **token usage** the model itself reports ([`Usage`]), exactly as reported: nothing is
//!   summed or synthesized across chunks (some families report running totals, some per-stream
//!   totals — see [`Usage`]);
//! * the Bedrock-inserted `amazon-bedrock-invocationMetrics` object ([`InvocationMetrics`]),
//!   parsed for every family, including [`ModelFamily::Unknown`].
//!
//! The family is derived from the model id with [`ModelFamily::from_model_id`] or forced by the
//! caller (by name through [`FromStr`], for example `"meta-llama"`). For an unknown family no text
//! is ever guessed.
//!
//! [`TextExtractor`] is stateful (one per stream) because a character can be split across two
//! chunks: a UTF-16 surrogate pair escaped in JSON (`"\ud83d"` in one chunk, `"\ude00"` in the
//! next) is reassembled, and a surrogate that stays alone becomes U+FFFD. Call
//! [`TextExtractor::finish`] at the end of the stream to flush anything still held.
//!
//! Malformed input never panics: bytes that are not a JSON object, or whose known fields have an
//! unexpected type, give a [`ChunkInfo`] without text (the metrics object is still read if the
//! document is otherwise valid JSON).
//!
//! ```
//! use bedrock_stream::extract::{ModelFamily, TextExtractor};
//!
//! let mut ex = TextExtractor::for_model_id("us.meta.llama3-3-70b-instruct-v1:0");
//! assert_eq!(ex.family(), ModelFamily::MetaLlama);
//! let info = ex.process(br#"{"generation":"Hello","prompt_token_count":10,"stop_reason":null}"#);
//! assert_eq!(info.text(), Some("Hello"));
//! assert_eq!(info.usage().and_then(|u| u.input_tokens), Some(10));
//! let last = ex.process(br#"{"generation":"","stop_reason":"stop",
//!     "amazon-bedrock-invocationMetrics":{"inputTokenCount":10,"outputTokenCount":2}}"#);
//! assert_eq!(last.text(), None);
//! assert_eq!(last.stop_reason(), Some("stop"));
//! assert_eq!(last.metrics().and_then(|m| m.output_token_count), Some(2));
//! assert_eq!(ex.finish(), None);
//! ```

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

// ---------------------------------------------------------------------------------------------
// Model family
// ---------------------------------------------------------------------------------------------

/// The chunk format of a model family, which decides where the text, stop reason and usage live.
///
/// Stable names (used by [`as_str`](Self::as_str), [`Display`](fmt::Display) and
/// [`FromStr`]): `anthropic-claude`, `amazon-titan-text`, `amazon-nova`, `meta-llama`,
/// `mistral-text`, `mistral-chat`, `cohere`, `ai21-jamba`, `deepseek`, `openai-gpt-oss`,
/// `unknown`.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelFamily {
    /// Anthropic Claude, Messages API streaming events (`anthropic.claude-…`): text from
    /// `content_block_delta` events whose delta is a `text_delta`.
    AnthropicClaude,
    /// Amazon Titan Text (`amazon.titan-text-…`, `amazon.titan-tg1-…`): `outputText`.
    AmazonTitanText,
    /// Amazon Nova understanding models (`amazon.nova-…`): `contentBlockDelta.delta.text`.
    AmazonNova,
    /// Meta Llama (`meta.llama…`): `generation`.
    MetaLlama,
    /// Mistral text-completion models (`mistral.mistral-7b-instruct…`, `mixtral-8x7b…`,
    /// `mistral-large-2402…`, `mistral-small-2402…`): `outputs[0].text`.
    ///
    /// Both Mistral families also accept the other style's chunks (`choices[…]`), detected from
    /// the document shape, so a wrong guess between the two never loses text.
    MistralText,
    /// Mistral chat-completion models (every other `mistral.…` id, for example
    /// `mistral-large-2407`, `pixtral-large-2502`): `choices[0].message.content`.
    MistralChat,
    /// Cohere Command R / R+ stream events (top-level `text` of `text-generation` events), and the
    /// older Command format (`generations[0].text`).
    Cohere,
    /// AI21 Labs Jamba (`ai21.jamba…`): `choices[0].delta.content`.
    Ai21Jamba,
    /// DeepSeek (`deepseek.…`): `choices[0].text`, or the Llama-style `generation`.
    DeepSeek,
    /// OpenAI gpt-oss (`openai.gpt-oss-…`): `choices[0].delta.content`.
    OpenAiGptOss,
    /// The family is not known (application inference profiles, provisioned, custom or imported
    /// model ARNs, unknown providers). No text is extracted; the invocation metrics still are.
    Unknown,
}

/// Providers whose first id token selects a family (after a geographic prefix is removed).
const PROVIDERS: [&str; 8] = [
    "anthropic",
    "amazon",
    "meta",
    "mistral",
    "cohere",
    "ai21",
    "deepseek",
    "openai",
];

/// Mistral models that use the text-completion (`outputs[…]`) format.
const MISTRAL_TEXT_MODELS: [&str; 4] = [
    "mistral-7b-instruct",
    "mixtral-8x7b-instruct",
    "mistral-large-2402",
    "mistral-small-2402",
];

impl ModelFamily {
    /// Every family, in declaration order (for help texts and name lists).
    pub const ALL: [ModelFamily; 11] = [
        ModelFamily::AnthropicClaude,
        ModelFamily::AmazonTitanText,
        ModelFamily::AmazonNova,
        ModelFamily::MetaLlama,
        ModelFamily::MistralText,
        ModelFamily::MistralChat,
        ModelFamily::Cohere,
        ModelFamily::Ai21Jamba,
        ModelFamily::DeepSeek,
        ModelFamily::OpenAiGptOss,
        ModelFamily::Unknown,
    ];

    /// Derives the family from a model id as passed to the operation.
    ///
    /// Rules:
    /// * A Bedrock ARN is reduced to its resource id: for `foundation-model/…` and
    ///   `inference-profile/…` the part after the last `/`. Every other ARN
    ///   (`application-inference-profile`, `provisioned-model`, `custom-model`,
    ///   `custom-model-deployment`, `imported-model`, prompts, prompt routers, non-Bedrock
    ///   services) gives [`Unknown`](Self::Unknown): such ids do not reveal the format.
    /// * A leading geographic inference-profile prefix (`us.`, `us-gov.`, `eu.`, `apac.`, `jp.`,
    ///   `au.`, `ca.`, `global.`, or any other short lowercase-letters-and-hyphens token in front
    ///   of a known provider) is removed.
    /// * The first dot-separated token is the provider (`anthropic`, `amazon`, `meta`,
    ///   `mistral`, `cohere`, `ai21`, `deepseek`, `openai`) and the start of the model name picks
    ///   the family (for example `amazon.titan-text…` vs `amazon.nova…`; `amazon.titan-embed…` or
    ///   `cohere.embed…` are not text-streaming families and give `Unknown`).
    ///
    /// Matching ignores ASCII case and surrounding whitespace.
    pub fn from_model_id(model_id: &str) -> ModelFamily {
        let id = model_id.trim();
        match resource_model_id(id) {
            Some(base) => family_from_base_id(base),
            None => ModelFamily::Unknown,
        }
    }

    /// The stable name of the family, for example `"anthropic-claude"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ModelFamily::AnthropicClaude => "anthropic-claude",
            ModelFamily::AmazonTitanText => "amazon-titan-text",
            ModelFamily::AmazonNova => "amazon-nova",
            ModelFamily::MetaLlama => "meta-llama",
            ModelFamily::MistralText => "mistral-text",
            ModelFamily::MistralChat => "mistral-chat",
            ModelFamily::Cohere => "cohere",
            ModelFamily::Ai21Jamba => "ai21-jamba",
            ModelFamily::DeepSeek => "deepseek",
            ModelFamily::OpenAiGptOss => "openai-gpt-oss",
            ModelFamily::Unknown => "unknown",
        }
    }
}

impl fmt::Display for ModelFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of [`ModelFamily::from_str`]: the name is not one of the stable family names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseModelFamilyError {
    name: String,
}

impl ParseModelFamilyError {
    /// The rejected input.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for ParseModelFamilyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown model family `{}` (expected one of:", self.name)?;
        for (i, family) in ModelFamily::ALL.iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            write!(f, "{sep}{family}")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for ParseModelFamilyError {}

impl FromStr for ModelFamily {
    type Err = ParseModelFamilyError;

    /// Parses a stable family name. ASCII case is ignored, `_` is accepted for `-`, and
    /// surrounding whitespace is ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        ModelFamily::ALL
            .iter()
            .copied()
            .find(|family| {
                let name = family.as_str().as_bytes();
                let input = trimmed.as_bytes();
                name.len() == input.len()
                    && name.iter().zip(input).all(|(&n, &c)| {
                        let c = if c == b'_' { b'-' } else { c };
                        n == c.to_ascii_lowercase()
                    })
            })
            .ok_or_else(|| ParseModelFamilyError { name: s.to_owned() })
    }
}

/// The model id inside `id`: `id` itself when it is not an ARN, the resource id of a
/// foundation-model or inference-profile ARN, and `None` for every other ARN.
fn resource_model_id(id: &str) -> Option<&str> {
    let Some(rest) = strip_prefix_ignore_case(id, "arn:") else {
        return Some(id);
    };
    // arn:partition:service:region:account-id:resource-type/resource-id
    let mut parts = rest.splitn(5, ':');
    let _partition = parts.next()?;
    let service = parts.next()?;
    let _region = parts.next()?;
    let _account = parts.next()?;
    let resource = parts.next()?;
    if !service.eq_ignore_ascii_case("bedrock") {
        return None;
    }
    let (kind, path) = resource.split_once('/')?;
    if kind.eq_ignore_ascii_case("foundation-model")
        || kind.eq_ignore_ascii_case("inference-profile")
    {
        path.rsplit('/').next()
    } else {
        None
    }
}

fn family_from_base_id(id: &str) -> ModelFamily {
    let Some((mut provider, mut model)) = id.split_once('.') else {
        return ModelFamily::Unknown;
    };
    if !is_provider(provider) && looks_like_geo_prefix(provider) {
        match model.split_once('.') {
            Some((p, m)) => (provider, model) = (p, m),
            None => return ModelFamily::Unknown,
        }
    }
    if model.is_empty() {
        return ModelFamily::Unknown;
    }
    let is = |name: &str| provider.eq_ignore_ascii_case(name);
    let starts = |prefix: &str| starts_with_ignore_case(model, prefix);
    let pick = |cond: bool, family: ModelFamily| {
        if cond {
            family
        } else {
            ModelFamily::Unknown
        }
    };
    if is("anthropic") {
        pick(starts("claude"), ModelFamily::AnthropicClaude)
    } else if is("amazon") {
        if starts("titan-text") || starts("titan-tg1") {
            ModelFamily::AmazonTitanText
        } else {
            pick(starts("nova"), ModelFamily::AmazonNova)
        }
    } else if is("meta") {
        pick(starts("llama"), ModelFamily::MetaLlama)
    } else if is("mistral") {
        if MISTRAL_TEXT_MODELS.iter().any(|m| starts(m)) {
            ModelFamily::MistralText
        } else {
            ModelFamily::MistralChat
        }
    } else if is("cohere") {
        pick(starts("command"), ModelFamily::Cohere)
    } else if is("ai21") {
        pick(starts("jamba"), ModelFamily::Ai21Jamba)
    } else if is("deepseek") {
        ModelFamily::DeepSeek
    } else if is("openai") {
        pick(starts("gpt-oss"), ModelFamily::OpenAiGptOss)
    } else {
        ModelFamily::Unknown
    }
}

fn is_provider(token: &str) -> bool {
    PROVIDERS.iter().any(|p| token.eq_ignore_ascii_case(p))
}

/// `us`, `us-gov`, `eu`, `apac`, `jp`, `au`, `ca`, `global`, and future prefixes of the same
/// form: 2 to 8 ASCII letters or hyphens, starting with a letter.
fn looks_like_geo_prefix(token: &str) -> bool {
    let b = token.as_bytes();
    (2..=8).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|&c| c.is_ascii_alphabetic() || c == b'-')
}

fn strip_prefix_ignore_case<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    if starts_with_ignore_case(s, prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

// ---------------------------------------------------------------------------------------------
// Public result types
// ---------------------------------------------------------------------------------------------

/// The `amazon-bedrock-invocationMetrics` object Bedrock adds to the last chunk of a successful
/// stream. Every field is `None` when absent, `null`, negative or not an integer.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct InvocationMetrics {
    /// `inputTokenCount`: input (prompt) tokens billed.
    pub input_token_count: Option<u64>,
    /// `outputTokenCount`: output tokens billed.
    pub output_token_count: Option<u64>,
    /// `invocationLatency`: milliseconds from the request to the last token.
    pub invocation_latency_ms: Option<u64>,
    /// `firstByteLatency`: milliseconds from the request to the first byte of output.
    pub first_byte_latency_ms: Option<u64>,
    /// `cacheReadInputTokenCount`: prompt-cache read tokens.
    pub cache_read_input_token_count: Option<u64>,
    /// `cacheWriteInputTokenCount`: prompt-cache write tokens.
    pub cache_write_input_token_count: Option<u64>,
}

/// Token counts as reported by the model family's own fields in one chunk.
///
/// Values are copied, never summed or derived. Their meaning follows the family:
///
/// | family | input | output | cache read / write |
/// |---|---|---|---|
/// | Claude | `message_start` `message.usage.input_tokens` (and `message_delta` `usage.input_tokens` on newer models) | `usage.output_tokens` (cumulative) | `cache_read_input_tokens` / `cache_creation_input_tokens` |
/// | Titan Text | `inputTextTokenCount` | `totalOutputTextTokenCount` | — |
/// | Nova | `metadata.usage.inputTokens` | `metadata.usage.outputTokens` | `cacheReadInputTokenCount` / `cacheWriteInputTokenCount` |
/// | Llama, DeepSeek (Llama shape) | `prompt_token_count` | `generation_token_count` (running) | — |
/// | Mistral chat, Jamba, gpt-oss | `usage.prompt_tokens` | `usage.completion_tokens` | — |
/// | Cohere | `response.meta.billed_units.input_tokens` | `…output_tokens` | — |
///
/// For totals billed for the whole invocation prefer [`InvocationMetrics`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Usage {
    /// Input (prompt) tokens.
    pub input_tokens: Option<u64>,
    /// Output (generated) tokens.
    pub output_tokens: Option<u64>,
    /// Input tokens read from the prompt cache.
    pub cache_read_input_tokens: Option<u64>,
    /// Input tokens written to the prompt cache.
    pub cache_write_input_tokens: Option<u64>,
}

impl Usage {
    fn into_option(self) -> Option<Usage> {
        if self == Usage::default() {
            None
        } else {
            Some(self)
        }
    }
}

/// What one chunk document contributes: text delta, stop reason, usage and metrics.
///
/// Empty strings are reported as `None`: [`text`](Self::text) is `Some` only when there is text
/// to append, [`stop_reason`](Self::stop_reason) only for a non-empty reason.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChunkInfo {
    text: Option<String>,
    stop_reason: Option<String>,
    usage: Option<Usage>,
    metrics: Option<InvocationMetrics>,
}

impl ChunkInfo {
    /// The text to append to the output, if any.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// Takes the text out of the info (no copy).
    pub fn into_text(self) -> Option<String> {
        self.text
    }

    /// The stop reason (`end_turn`, `stop`, `FINISH`, `COMPLETE`, …) when this chunk ends the
    /// generation; the value is the model's own, unnormalized.
    pub fn stop_reason(&self) -> Option<&str> {
        self.stop_reason.as_deref()
    }

    /// Token counts the model reported in this chunk, if any (see [`Usage`]).
    pub fn usage(&self) -> Option<Usage> {
        self.usage
    }

    /// The `amazon-bedrock-invocationMetrics` object, when this chunk has one (normally the
    /// last chunk of a successful stream).
    pub fn metrics(&self) -> Option<InvocationMetrics> {
        self.metrics
    }

    /// `true` when the chunk contributed nothing (no text, stop reason, usage or metrics).
    pub fn is_empty(&self) -> bool {
        self.text.is_none()
            && self.stop_reason.is_none()
            && self.usage.is_none()
            && self.metrics.is_none()
    }
}

// ---------------------------------------------------------------------------------------------
// The extractor
// ---------------------------------------------------------------------------------------------

const REPLACEMENT: char = '\u{FFFD}';

/// Extracts text, stop reasons, usage and metrics from the chunks of one stream.
///
/// Create one per stream; feed every decoded `chunk` document in order to
/// [`process`](Self::process), then call [`finish`](Self::finish). The only state is at most one
/// incomplete character held between chunks (a UTF-16 high surrogate escaped as `\uD8xx`, or an
/// incomplete raw UTF-8 sequence at the end of a text field). A held character is joined with the
/// start of the next text; it becomes U+FFFD if the next text does not complete it, when a chunk
/// carries a stop reason, or in [`finish`](Self::finish).
#[derive(Debug, Clone)]
pub struct TextExtractor {
    family: ModelFamily,
    pending: [u8; 4],
    pending_len: u8,
}

impl TextExtractor {
    /// An extractor for chunks of the given family.
    pub fn new(family: ModelFamily) -> Self {
        TextExtractor {
            family,
            pending: [0; 4],
            pending_len: 0,
        }
    }

    /// An extractor for the family of `model_id` (see [`ModelFamily::from_model_id`]).
    pub fn for_model_id(model_id: &str) -> Self {
        Self::new(ModelFamily::from_model_id(model_id))
    }

    /// The family this extractor was created for.
    pub fn family(&self) -> ModelFamily {
        self.family
    }

    /// Interprets one decoded chunk document (the model's JSON, already base64-decoded).
    ///
    /// Never panics; bytes that are not a JSON object give an empty [`ChunkInfo`].
    pub fn process(&mut self, chunk: &[u8]) -> ChunkInfo {
        let Some(parts) = parse_parts(self.family, chunk) else {
            return ChunkInfo::default();
        };
        let mut text = match parts.text {
            Some(bytes) => self.decode_text(bytes),
            None => None,
        };
        let stop_reason = parts
            .stop
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(&s).into_owned());
        if stop_reason.is_some() && self.pending_len > 0 {
            self.pending_len = 0;
            text.get_or_insert_with(String::new).push(REPLACEMENT);
        }
        ChunkInfo {
            text,
            stop_reason,
            usage: parts.usage.into_option(),
            metrics: parts.metrics,
        }
    }

    /// Ends the stream: returns U+FFFD if an incomplete character is still held, else `None`.
    /// The extractor can then be reused for a new stream.
    pub fn finish(&mut self) -> Option<String> {
        if self.pending_len > 0 {
            self.pending_len = 0;
            Some(REPLACEMENT.to_string())
        } else {
            None
        }
    }

    /// Turns the (WTF-8, possibly invalid) bytes of a text field into UTF-8, joining them with
    /// what was held from the previous chunk and holding an incomplete tail.
    fn decode_text(&mut self, bytes: Cow<'_, [u8]>) -> Option<String> {
        let mut out;
        if self.pending_len == 0 {
            // Fast path: valid UTF-8 without a held prefix (one allocation at most).
            let bytes = match bytes {
                Cow::Borrowed(b) => match std::str::from_utf8(b) {
                    Ok(s) => return non_empty(s),
                    Err(_) => Cow::Borrowed(b),
                },
                Cow::Owned(v) => match String::from_utf8(v) {
                    Ok(s) => return (!s.is_empty()).then_some(s),
                    Err(e) => Cow::Owned(e.into_bytes()),
                },
            };
            out = String::with_capacity(bytes.len());
            self.decode_slow(&bytes, &mut out);
        } else {
            let held = usize::from(self.pending_len);
            self.pending_len = 0;
            let mut joined = Vec::with_capacity(held + bytes.len());
            joined.extend_from_slice(&self.pending[..held]);
            joined.extend_from_slice(&bytes);
            out = String::with_capacity(joined.len());
            self.decode_slow(&joined, &mut out);
        }
        (!out.is_empty()).then_some(out)
    }

    fn decode_slow(&mut self, mut input: &[u8], out: &mut String) {
        loop {
            let err = match std::str::from_utf8(input) {
                Ok(s) => {
                    out.push_str(s);
                    return;
                }
                Err(err) => err,
            };
            let (valid, rest) = input.split_at(err.valid_up_to());
            if let Ok(s) = std::str::from_utf8(valid) {
                out.push_str(s);
            }
            if let Some(unit) = wtf8_surrogate(rest) {
                if (0xD800..0xDC00).contains(&unit) {
                    if let Some(low) = wtf8_surrogate(&rest[3..]).filter(|u| *u >= 0xDC00) {
                        let cp = 0x1_0000
                            + ((u32::from(unit) - 0xD800) << 10)
                            + (u32::from(low) - 0xDC00);
                        out.push(char::from_u32(cp).unwrap_or(REPLACEMENT));
                        input = &rest[6..];
                        continue;
                    }
                    if rest.len() == 3 {
                        self.hold(rest);
                        return;
                    }
                }
                out.push(REPLACEMENT);
                input = &rest[3..];
                continue;
            }
            match err.error_len() {
                Some(n) => {
                    out.push(REPLACEMENT);
                    input = &rest[n..];
                }
                None => {
                    // An incomplete UTF-8 sequence (at most 3 bytes) ends the text.
                    self.hold(rest);
                    return;
                }
            }
        }
    }

    fn hold(&mut self, tail: &[u8]) {
        let n = tail.len().min(self.pending.len());
        self.pending[..n].copy_from_slice(&tail[..n]);
        self.pending_len = n as u8;
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// The UTF-16 surrogate encoded (WTF-8 style, as serde_json does for lone `\uD800`–`\uDFFF`
/// escapes) by the first three bytes of `b`.
fn wtf8_surrogate(b: &[u8]) -> Option<u16> {
    match *b {
        [0xED, b1 @ 0xA0..=0xBF, b2 @ 0x80..=0xBF, ..] => {
            Some(0xD000 | (u16::from(b1 & 0x3F) << 6) | u16::from(b2 & 0x3F))
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing: lenient building blocks
// ---------------------------------------------------------------------------------------------

/// What a family parser found, before text decoding.
#[derive(Default)]
struct Parts<'a> {
    text: Option<Cow<'a, [u8]>>,
    stop: Option<Cow<'a, [u8]>>,
    usage: Usage,
    metrics: Option<InvocationMetrics>,
}

fn parse_parts(family: ModelFamily, chunk: &[u8]) -> Option<Parts<'_>> {
    // Only a JSON object is a chunk document; this also keeps serde from reading an array
    // positionally into a struct.
    let first = chunk
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))?;
    if *first != b'{' {
        return None;
    }
    let parsed = match family {
        ModelFamily::AnthropicClaude => parse::<ClaudeChunk>(chunk).map(ClaudeChunk::into_parts),
        ModelFamily::AmazonTitanText => parse::<TitanChunk>(chunk).map(TitanChunk::into_parts),
        ModelFamily::AmazonNova => parse::<NovaChunk>(chunk).map(NovaChunk::into_parts),
        ModelFamily::Cohere => parse::<CohereChunk>(chunk).map(CohereChunk::into_parts),
        ModelFamily::MetaLlama
        | ModelFamily::MistralText
        | ModelFamily::MistralChat
        | ModelFamily::Ai21Jamba
        | ModelFamily::DeepSeek
        | ModelFamily::OpenAiGptOss => {
            parse::<CompletionChunk>(chunk).map(|c| c.into_parts(family))
        }
        ModelFamily::Unknown => None,
    };
    parsed.or_else(|| {
        // Unknown family, or a document whose family fields had unexpected types: still report
        // the metrics if the document is valid JSON.
        parse::<MetricsOnly>(chunk).map(|m| Parts {
            metrics: m.metrics.map(RawMetrics::into_metrics),
            ..Parts::default()
        })
    })
}

fn parse<'a, T: Deserialize<'a>>(chunk: &'a [u8]) -> Option<T> {
    serde_json::from_slice(chunk).ok()
}

/// A token count: `u64` when the JSON value is a non-negative integer (or an integral float),
/// `None` for `null`, missing, negative, fractional, or non-numeric values.
#[derive(Debug, Default, Clone, Copy)]
struct Num(Option<u64>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NumVisitor)
    }
}

struct NumVisitor;

impl<'de> Visitor<'de> for NumVisitor {
    type Value = Num;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a token count")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
        Ok(Num(Some(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
        Ok(Num(u64::try_from(v).ok()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
        // 2^64 is exactly representable; every integral value below it fits in u64.
        let ok = v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 18_446_744_073_709_551_616.0;
        Ok(Num(ok.then_some(v as u64)))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Num, E> {
        Ok(Num(None))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Num, E> {
        Ok(Num(None))
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Num, E> {
        Ok(Num(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Num, E> {
        Ok(Num(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Num, E> {
        Ok(Num(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Num, D::Error> {
        Num::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Num, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Num(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Num, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Num(None))
    }
}

/// A JSON string read as raw bytes: borrowed from the chunk when it has no escapes, decoded
/// otherwise. serde_json's byte-string mode keeps lone surrogate escapes (as WTF-8) and does
/// not reject invalid UTF-8, so one odd character cannot fail the whole document; the bytes are
/// made valid UTF-8 later. An array where a string was expected is skipped (`NotString`).
enum JStr<'a> {
    Bytes(Cow<'a, [u8]>),
    NotString,
}

impl<'a> JStr<'a> {
    fn into_bytes(self) -> Option<Cow<'a, [u8]>> {
        match self {
            JStr::Bytes(b) => Some(b),
            JStr::NotString => None,
        }
    }

    fn is(&self, expected: &str) -> bool {
        matches!(self, JStr::Bytes(b) if **b == *expected.as_bytes())
    }
}

fn bytes_of(s: Option<JStr<'_>>) -> Option<Cow<'_, [u8]>> {
    s.and_then(JStr::into_bytes)
}

impl<'de: 'a, 'a> Deserialize<'de> for JStr<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_bytes(JStrVisitor(PhantomData))
    }
}

struct JStrVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for JStrVisitor<'a> {
    type Value = JStr<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<JStr<'a>, E> {
        Ok(JStr::Bytes(Cow::Borrowed(v)))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<JStr<'a>, E> {
        Ok(JStr::Bytes(Cow::Owned(v.to_vec())))
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<JStr<'a>, E> {
        Ok(JStr::Bytes(Cow::Owned(v)))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<JStr<'a>, E> {
        Ok(JStr::Bytes(Cow::Borrowed(v.as_bytes())))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<JStr<'a>, E> {
        Ok(JStr::Bytes(Cow::Owned(v.as_bytes().to_vec())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<JStr<'a>, E> {
        Ok(JStr::Bytes(Cow::Owned(v.into_bytes())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<JStr<'a>, E> {
        Ok(JStr::NotString)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JStr<'a>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(JStr::NotString)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JStr<'a>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(JStr::NotString)
    }
}

/// The first element of a JSON array (`choices[0]`, `outputs[0]`, `generations[0]`) without
/// collecting the array; the other elements are skipped.
struct First<T>(Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for First<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(FirstVisitor(PhantomData))
    }
}

struct FirstVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for FirstVisitor<T> {
    type Value = First<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<First<T>, A::Error> {
        let first = seq.next_element::<T>()?;
        if first.is_some() {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
        }
        Ok(First(first))
    }
}

fn first<T>(array: Option<First<T>>) -> Option<T> {
    array.and_then(|a| a.0)
}

// ---------------------------------------------------------------------------------------------
// Parsing: per-family documents
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct RawMetrics {
    #[serde(rename = "inputTokenCount", default)]
    input_token_count: Num,
    #[serde(rename = "outputTokenCount", default)]
    output_token_count: Num,
    #[serde(rename = "invocationLatency", default)]
    invocation_latency: Num,
    #[serde(rename = "firstByteLatency", default)]
    first_byte_latency: Num,
    #[serde(rename = "cacheReadInputTokenCount", default)]
    cache_read_input_token_count: Num,
    #[serde(rename = "cacheWriteInputTokenCount", default)]
    cache_write_input_token_count: Num,
}

impl RawMetrics {
    fn into_metrics(self) -> InvocationMetrics {
        InvocationMetrics {
            input_token_count: self.input_token_count.0,
            output_token_count: self.output_token_count.0,
            invocation_latency_ms: self.invocation_latency.0,
            first_byte_latency_ms: self.first_byte_latency.0,
            cache_read_input_token_count: self.cache_read_input_token_count.0,
            cache_write_input_token_count: self.cache_write_input_token_count.0,
        }
    }
}

fn metrics_of(raw: Option<RawMetrics>) -> Option<InvocationMetrics> {
    raw.map(RawMetrics::into_metrics)
}

#[derive(Deserialize)]
struct MetricsOnly {
    #[serde(rename = "amazon-bedrock-invocationMetrics")]
    metrics: Option<RawMetrics>,
}

// ---- Anthropic Claude ----

#[derive(Deserialize)]
struct ClaudeChunk<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<JStr<'a>>,
    #[serde(borrow)]
    delta: Option<ClaudeDelta<'a>>,
    message: Option<ClaudeMessage>,
    usage: Option<ClaudeUsage>,
    #[serde(rename = "amazon-bedrock-invocationMetrics")]
    metrics: Option<RawMetrics>,
}

#[derive(Deserialize)]
struct ClaudeDelta<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<JStr<'a>>,
    #[serde(borrow)]
    text: Option<JStr<'a>>,
    #[serde(borrow)]
    stop_reason: Option<JStr<'a>>,
}

#[derive(Deserialize)]
struct ClaudeMessage {
    usage: Option<ClaudeUsage>,
}

#[derive(Deserialize)]
struct ClaudeUsage {
    #[serde(default)]
    input_tokens: Num,
    #[serde(default)]
    output_tokens: Num,
    #[serde(default)]
    cache_read_input_tokens: Num,
    #[serde(default)]
    cache_creation_input_tokens: Num,
}

impl ClaudeUsage {
    fn into_usage(self) -> Usage {
        Usage {
            input_tokens: self.input_tokens.0,
            output_tokens: self.output_tokens.0,
            cache_read_input_tokens: self.cache_read_input_tokens.0,
            cache_write_input_tokens: self.cache_creation_input_tokens.0,
        }
    }
}

impl<'a> ClaudeChunk<'a> {
    fn into_parts(self) -> Parts<'a> {
        let mut parts = Parts {
            metrics: metrics_of(self.metrics),
            ..Parts::default()
        };
        let Some(kind) = self.kind else {
            return parts;
        };
        if kind.is("content_block_delta") {
            if let Some(delta) = self.delta {
                if delta.kind.as_ref().is_some_and(|k| k.is("text_delta")) {
                    parts.text = bytes_of(delta.text);
                }
            }
        } else if kind.is("message_delta") {
            parts.stop = self.delta.and_then(|d| bytes_of(d.stop_reason));
            if let Some(usage) = self.usage {
                parts.usage = usage.into_usage();
            }
        } else if kind.is("message_start") {
            if let Some(usage) = self.message.and_then(|m| m.usage) {
                parts.usage = usage.into_usage();
            }
        }
        parts
    }
}

// ---- Amazon Titan Text ----

#[derive(Deserialize)]
struct TitanChunk<'a> {
    #[serde(rename = "outputText", borrow)]
    output_text: Option<JStr<'a>>,
    #[serde(rename = "completionReason", borrow)]
    completion_reason: Option<JStr<'a>>,
    #[serde(rename = "inputTextTokenCount", default)]
    input_text_token_count: Num,
    #[serde(rename = "totalOutputTextTokenCount", default)]
    total_output_text_token_count: Num,
    #[serde(rename = "amazon-bedrock-invocationMetrics")]
    metrics: Option<RawMetrics>,
}

impl<'a> TitanChunk<'a> {
    fn into_parts(self) -> Parts<'a> {
        Parts {
            text: bytes_of(self.output_text),
            stop: bytes_of(self.completion_reason),
            usage: Usage {
                input_tokens: self.input_text_token_count.0,
                output_tokens: self.total_output_text_token_count.0,
                ..Usage::default()
            },
            metrics: metrics_of(self.metrics),
        }
    }
}

// ---- Amazon Nova ----

#[derive(Deserialize)]
struct NovaChunk<'a> {
    #[serde(rename = "contentBlockDelta", borrow)]
    content_block_delta: Option<NovaBlockDelta<'a>>,
    #[serde(rename = "messageStop", borrow)]
    message_stop: Option<NovaMessageStop<'a>>,
    metadata: Option<NovaMetadata>,
    #[serde(rename = "amazon-bedrock-invocationMetrics")]
    metrics: Option<RawMetrics>,
}

#[derive(Deserialize)]
struct NovaBlockDelta<'a> {
    #[serde(borrow)]
    delta: Option<NovaDelta<'a>>,
}

#[derive(Deserialize)]
struct NovaDelta<'a> {
    #[serde(borrow)]
    text: Option<JStr<'a>>,
}

#[derive(Deserialize)]
struct NovaMessageStop<'a> {
    #[serde(rename = "stopReason", borrow)]
    stop_reason: Option<JStr<'a>>,
}

#[derive(Deserialize)]
struct NovaMetadata {
    usage: Option<NovaUsage>,
}

#[derive(Deserialize)]
struct NovaUsage {
    #[serde(rename = "inputTokens", default)]
    input_tokens: Num,
    #[serde(rename = "outputTokens", default)]
    output_tokens: Num,
    #[serde(
        rename = "cacheReadInputTokenCount",
        alias = "cacheReadInputTokens",
        default
    )]
    cache_read: Num,
    #[serde(
        rename = "cacheWriteInputTokenCount",
        alias = "cacheWriteInputTokens",
        default
    )]
    cache_write: Num,
}

impl<'a> NovaChunk<'a> {
    fn into_parts(self) -> Parts<'a> {
        let usage = self.metadata.and_then(|m| m.usage).map(|u| Usage {
            input_tokens: u.input_tokens.0,
            output_tokens: u.output_tokens.0,
            cache_read_input_tokens: u.cache_read.0,
            cache_write_input_tokens: u.cache_write.0,
        });
        Parts {
            text: self
                .content_block_delta
                .and_then(|c| c.delta)
                .and_then(|d| bytes_of(d.text)),
            stop: self.message_stop.and_then(|m| bytes_of(m.stop_reason)),
            usage: usage.unwrap_or_default(),
            metrics: metrics_of(self.metrics),
        }
    }
}

// ---- Llama, Mistral (both styles), Jamba, DeepSeek, gpt-oss ----

/// The union of the flat (Llama-style) and `choices`/`outputs` (OpenAI-like) shapes. The
/// family decides which fields count.
#[derive(Deserialize)]
struct CompletionChunk<'a> {
    #[serde(borrow)]
    generation: Option<JStr<'a>>,
    #[serde(borrow)]
    stop_reason: Option<JStr<'a>>,
    #[serde(default)]
    prompt_token_count: Num,
    #[serde(default)]
    generation_token_count: Num,
    #[serde(borrow)]
    outputs: Option<First<Choice<'a>>>,
    #[serde(borrow)]
    choices: Option<First<Choice<'a>>>,
    usage: Option<OpenAiUsage>,
    #[serde(rename = "amazon-bedrock-invocationMetrics")]
    metrics: Option<RawMetrics>,
}

#[derive(Deserialize)]
struct Choice<'a> {
    #[serde(borrow)]
    text: Option<JStr<'a>>,
    #[serde(borrow)]
    delta: Option<ChoiceMessage<'a>>,
    #[serde(borrow)]
    message: Option<ChoiceMessage<'a>>,
    #[serde(borrow)]
    finish_reason: Option<JStr<'a>>,
    #[serde(borrow)]
    stop_reason: Option<JStr<'a>>,
}

#[derive(Deserialize)]
struct ChoiceMessage<'a> {
    #[serde(borrow)]
    content: Option<JStr<'a>>,
}

#[derive(Deserialize)]
struct OpenAiUsage {
    #[serde(default)]
    prompt_tokens: Num,
    #[serde(default)]
    completion_tokens: Num,
}

impl<'a> CompletionChunk<'a> {
    fn into_parts(self, family: ModelFamily) -> Parts<'a> {
        let llama_usage = Usage {
            input_tokens: self.prompt_token_count.0,
            output_tokens: self.generation_token_count.0,
            ..Usage::default()
        };
        let openai_usage = self
            .usage
            .map(|u| Usage {
                input_tokens: u.prompt_tokens.0,
                output_tokens: u.completion_tokens.0,
                ..Usage::default()
            })
            .unwrap_or_default();
        let metrics = metrics_of(self.metrics);
        let (text, stop, usage) = match family {
            ModelFamily::MetaLlama => (
                bytes_of(self.generation),
                bytes_of(self.stop_reason),
                llama_usage,
            ),
            ModelFamily::MistralText | ModelFamily::MistralChat => {
                if let Some(out) = first(self.outputs) {
                    (bytes_of(out.text), bytes_of(out.stop_reason), openai_usage)
                } else if let Some(choice) = first(self.choices) {
                    let content = choice.message.or(choice.delta).map(|m| m.content);
                    let stop = bytes_of(choice.stop_reason).or(bytes_of(choice.finish_reason));
                    (bytes_of(content.flatten()), stop, openai_usage)
                } else {
                    (None, None, openai_usage)
                }
            }
            ModelFamily::Ai21Jamba | ModelFamily::OpenAiGptOss => match first(self.choices) {
                Some(choice) => (
                    bytes_of(choice.delta.and_then(|d| d.content)),
                    bytes_of(choice.finish_reason),
                    openai_usage,
                ),
                None => (None, None, openai_usage),
            },
            ModelFamily::DeepSeek => match first(self.choices) {
                Some(choice) => (
                    bytes_of(choice.text),
                    bytes_of(choice.stop_reason).or(bytes_of(choice.finish_reason)),
                    llama_usage,
                ),
                None => (
                    bytes_of(self.generation),
                    bytes_of(self.stop_reason),
                    llama_usage,
                ),
            },
            _ => (None, None, Usage::default()),
        };
        Parts {
            text,
            stop,
            usage,
            metrics,
        }
    }
}

// ---- Cohere ----

#[derive(Deserialize)]
struct CohereChunk<'a> {
    #[serde(borrow)]
    text: Option<JStr<'a>>,
    #[serde(borrow)]
    event_type: Option<JStr<'a>>,
    #[serde(borrow)]
    finish_reason: Option<JStr<'a>>,
    response: Option<CohereResponse>,
    #[serde(borrow)]
    generations: Option<First<Choice<'a>>>,
    #[serde(rename = "amazon-bedrock-invocationMetrics")]
    metrics: Option<RawMetrics>,
}

#[derive(Deserialize)]
struct CohereResponse {
    meta: Option<CohereMeta>,
}

#[derive(Deserialize)]
struct CohereMeta {
    billed_units: Option<CohereBilledUnits>,
}

#[derive(Deserialize)]
struct CohereBilledUnits {
    #[serde(default)]
    input_tokens: Num,
    #[serde(default)]
    output_tokens: Num,
}

impl<'a> CohereChunk<'a> {
    fn into_parts(self) -> Parts<'a> {
        let generation = first(self.generations);
        // Command R: the top-level `text` of `text-generation` events (or of events without an
        // `event_type`); other events (stream-end carries the whole answer in `response.text`)
        // contribute no text. Older Command models: `generations[0].text`.
        let is_text_event = match &self.event_type {
            None => true,
            Some(kind) => kind.is("text-generation"),
        };
        let mut text = if is_text_event {
            bytes_of(self.text)
        } else {
            None
        };
        let mut stop = bytes_of(self.finish_reason);
        if let Some(g) = generation {
            if text.is_none() {
                text = bytes_of(g.text);
            }
            if stop.is_none() {
                stop = bytes_of(g.finish_reason);
            }
        }
        let usage = self
            .response
            .and_then(|r| r.meta)
            .and_then(|m| m.billed_units)
            .map(|b| Usage {
                input_tokens: b.input_tokens.0,
                output_tokens: b.output_tokens.0,
                ..Usage::default()
            })
            .unwrap_or_default();
        Parts {
            text,
            stop,
            usage,
            metrics: metrics_of(self.metrics),
        }
    }
}
