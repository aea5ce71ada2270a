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
//! caller (by name through [`FromStr`], for example `"meta-llama"`). When the model id names no
//! family (an application inference profile, provisioned, custom or imported model ARN), the
//! extractor recognises it from the chunks themselves ([`ModelFamily::from_chunk`]): each family's
//! documents have a distinctive shape (Claude's `type` events, Titan's `outputText`, Nova's
//! `contentBlockDelta`, …). A chunk whose shape two families could share, or that matches no
//! family, recognises nothing: the family stays unknown until a distinctive chunk arrives, and once
//! recognised it stays for the rest of the stream. The only shape two families share is the
//! OpenAI-style `choices[0].delta` of AI21 Jamba and OpenAI gpt-oss, which both read the same way:
//! its text is extracted while the family itself stays unknown until a chunk tells them apart.
//! A chunk that fits no family gives no text; no text is ever guessed.
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
    /// model ARNs, unknown providers). A [`TextExtractor`] for it recognises the family from the
    /// chunks' shapes ([`ModelFamily::from_chunk`]); until it does, no text is extracted (the
    /// invocation metrics still are).
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
    #[must_use]
    pub fn from_model_id(model_id: &str) -> ModelFamily {
        let id = model_id.trim();
        match resource_model_id(id) {
            Some(base) => family_from_base_id(base),
            None => ModelFamily::Unknown,
        }
    }

    /// Recognises the family from the shape of one chunk document (the model's JSON, already
    /// base64-decoded), or `None` when the shape does not tell.
    ///
    /// Only a field that belongs to exactly one family counts: Claude's `type` with an Anthropic
    /// event name (`message_start`, `content_block_delta`, …), Titan's `outputText`, Nova's
    /// `messageStart` / `contentBlockDelta` / `messageStop` / … objects, Llama's `generation`,
    /// Mistral's `outputs` (text completion) or `choices[0].message` (chat), Cohere's
    /// `event_type` / `is_finished` / `generations`, DeepSeek's `choices[0].text`. The
    /// `choices[0].delta` shape is shared by AI21 Jamba and OpenAI gpt-oss: it gives
    /// [`Ai21Jamba`](Self::Ai21Jamba) only with Jamba's `meta.requestDurationMillis`, and
    /// [`OpenAiGptOss`](Self::OpenAiGptOss) only with a `model` member naming a gpt-oss model.
    /// A document with the fields of two families, metrics alone, or anything that is not a
    /// JSON object gives `None`. A Llama-format stream of an imported DeepSeek distill is
    /// recognised as [`MetaLlama`](Self::MetaLlama), whose format it is.
    ///
    /// ```
    /// use bedrock_stream::extract::ModelFamily;
    ///
    /// let nova = br#"{"contentBlockDelta":{"delta":{"text":"Hi"},"contentBlockIndex":0}}"#;
    /// assert_eq!(ModelFamily::from_chunk(nova), Some(ModelFamily::AmazonNova));
    /// let shared = br#"{"id":"x","choices":[{"index":0,"delta":{"content":"Hi"}}]}"#;
    /// assert_eq!(ModelFamily::from_chunk(shared), None); // Jamba or gpt-oss
    /// ```
    #[must_use]
    pub fn from_chunk(chunk: &[u8]) -> Option<ModelFamily> {
        match recognise(chunk) {
            Recognised::Family(family) => Some(family),
            Recognised::SharedDelta | Recognised::Nothing => None,
        }
    }

    /// The stable name of the family, for example `"anthropic-claude"`.
    #[must_use]
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
    #[must_use]
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
    #[must_use]
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// Takes the text out of the info (no copy).
    #[must_use]
    pub fn into_text(self) -> Option<String> {
        self.text
    }

    /// The stop reason (`end_turn`, `stop`, `FINISH`, `COMPLETE`, …) when this chunk ends the
    /// generation; the value is the model's own, unnormalized.
    #[must_use]
    pub fn stop_reason(&self) -> Option<&str> {
        self.stop_reason.as_deref()
    }

    /// Token counts the model reported in this chunk, if any (see [`Usage`]).
    #[must_use]
    pub fn usage(&self) -> Option<Usage> {
        self.usage
    }

    /// The `amazon-bedrock-invocationMetrics` object, when this chunk has one (normally the
    /// last chunk of a successful stream).
    #[must_use]
    pub fn metrics(&self) -> Option<InvocationMetrics> {
        self.metrics
    }

    /// `true` when the chunk contributed nothing (no text, stop reason, usage or metrics).
    #[must_use]
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
///
/// An extractor for [`ModelFamily::Unknown`] (what [`for_model_id`](Self::for_model_id) gives
/// for an application inference profile ARN, for example) recognises the family from the first
/// chunk whose shape is distinctive ([`ModelFamily::from_chunk`]) and keeps it until
/// [`finish`](Self::finish).
#[derive(Debug, Clone)]
pub struct TextExtractor {
    /// The family given at creation (`Unknown`: recognise it from the chunks).
    configured: ModelFamily,
    /// The family chunks are read with: `configured`, or the one recognised.
    family: ModelFamily,
    pending: [u8; 4],
    pending_len: u8,
}

impl TextExtractor {
    /// An extractor for chunks of the given family; for [`ModelFamily::Unknown`] the family is
    /// recognised from the chunks.
    #[must_use]
    pub fn new(family: ModelFamily) -> Self {
        TextExtractor {
            configured: family,
            family,
            pending: [0; 4],
            pending_len: 0,
        }
    }

    /// An extractor for the family of `model_id` (see [`ModelFamily::from_model_id`]), or, when
    /// the id does not reveal it, for the family the chunks' shapes reveal.
    #[must_use]
    pub fn for_model_id(model_id: &str) -> Self {
        Self::new(ModelFamily::from_model_id(model_id))
    }

    /// The family chunks are read with: the one this extractor was created for, or the one
    /// recognised from the chunks so far (`Unknown` until a distinctive chunk arrived).
    #[must_use]
    pub fn family(&self) -> ModelFamily {
        self.family
    }

    /// Interprets one decoded chunk document (the model's JSON, already base64-decoded).
    ///
    /// Never panics; bytes that are not a JSON object give an empty [`ChunkInfo`].
    #[must_use]
    pub fn process(&mut self, chunk: &[u8]) -> ChunkInfo {
        let family = match self.family {
            ModelFamily::Unknown => match recognise(chunk) {
                Recognised::Family(family) => {
                    self.family = family;
                    family
                }
                // Jamba and gpt-oss read this shape the same way: take its text, decide later.
                Recognised::SharedDelta => ModelFamily::Ai21Jamba,
                Recognised::Nothing => ModelFamily::Unknown,
            },
            known => known,
        };
        let Some(parts) = parse_parts(family, chunk) else {
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
    /// The extractor can then be reused for a new stream (a family recognised from the chunks is
    /// forgotten: the next stream is recognised afresh).
    pub fn finish(&mut self) -> Option<String> {
        self.family = self.configured;
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
    if !is_json_object(chunk) {
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
        // the metrics if the document is valid JSON. Most chunks have none: skip the parse
        // unless the key is there (std's substring search is much cheaper than a JSON parse;
        // Bedrock writes this key without escapes).
        let has_metrics = std::str::from_utf8(chunk)
            .map(|s| s.contains("\"amazon-bedrock-invocationMetrics\""))
            .unwrap_or(true);
        if !has_metrics {
            return None;
        }
        parse::<MetricsOnly>(chunk).map(|m| Parts {
            metrics: m.metrics.map(RawMetrics::into_metrics),
            ..Parts::default()
        })
    })
}

/// Whether the first non-blank byte opens a JSON object.
fn is_json_object(chunk: &[u8]) -> bool {
    chunk
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .is_some_and(|b| *b == b'{')
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

// ---- Recognising the family from a chunk's shape ----

/// What [`recognise`] found in one chunk document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recognised {
    /// Fields of exactly one family.
    Family(ModelFamily),
    /// The `choices[0].delta` shape of AI21 Jamba and OpenAI gpt-oss, nothing telling them apart.
    SharedDelta,
    /// No family's fields, the fields of two families, or not a JSON object.
    Nothing,
}

/// Anthropic streaming event names (the `type` of a Claude chunk).
const CLAUDE_EVENTS: [&str; 8] = [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
    "ping",
    "error",
];

/// The members that tell the families apart; their values are only looked at as far as needed.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<JStr<'a>>,
    #[serde(rename = "outputText", borrow)]
    output_text: Option<JStr<'a>>,
    #[serde(rename = "messageStart")]
    message_start: Option<IgnoredAny>,
    #[serde(rename = "contentBlockStart")]
    content_block_start: Option<IgnoredAny>,
    #[serde(rename = "contentBlockDelta")]
    content_block_delta: Option<IgnoredAny>,
    #[serde(rename = "contentBlockStop")]
    content_block_stop: Option<IgnoredAny>,
    #[serde(rename = "messageStop")]
    message_stop: Option<IgnoredAny>,
    #[serde(borrow)]
    generation: Option<JStr<'a>>,
    outputs: Option<IgnoredAny>,
    #[serde(borrow)]
    choices: Option<First<ProbeChoice<'a>>>,
    event_type: Option<IgnoredAny>,
    is_finished: Option<IgnoredAny>,
    generations: Option<IgnoredAny>,
    meta: Option<ProbeMeta>,
    #[serde(borrow)]
    model: Option<JStr<'a>>,
}

#[derive(Deserialize)]
struct ProbeChoice<'a> {
    #[serde(borrow)]
    text: Option<JStr<'a>>,
    message: Option<IgnoredAny>,
    delta: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct ProbeMeta {
    #[serde(rename = "requestDurationMillis")]
    request_duration_millis: Option<IgnoredAny>,
}

/// The family whose fields `chunk` has, when exactly one family's do (see
/// [`ModelFamily::from_chunk`]).
fn recognise(chunk: &[u8]) -> Recognised {
    if !is_json_object(chunk) {
        return Recognised::Nothing;
    }
    let Some(probe) = parse::<Probe<'_>>(chunk) else {
        return Recognised::Nothing;
    };
    let is_string = |s: &Option<JStr<'_>>| matches!(s, Some(JStr::Bytes(_)));
    let nova = [
        &probe.message_start,
        &probe.content_block_start,
        &probe.content_block_delta,
        &probe.content_block_stop,
        &probe.message_stop,
    ];
    let choice = first(probe.choices);
    let delta = choice.as_ref().is_some_and(|c| c.delta.is_some());
    // Jamba's and gpt-oss's `choices[0].delta` chunks differ only in these members.
    let jamba = delta
        && probe
            .meta
            .as_ref()
            .is_some_and(|m| m.request_duration_millis.is_some());
    let gpt_oss = delta
        && match &probe.model {
            Some(JStr::Bytes(m)) => std::str::from_utf8(m)
                .is_ok_and(|m| ModelFamily::from_model_id(m) == ModelFamily::OpenAiGptOss),
            _ => false,
        };
    let shared_delta = delta && !jamba && !gpt_oss;
    let seen = [
        (
            probe
                .kind
                .as_ref()
                .is_some_and(|k| CLAUDE_EVENTS.iter().any(|e| k.is(e))),
            ModelFamily::AnthropicClaude,
        ),
        (is_string(&probe.output_text), ModelFamily::AmazonTitanText),
        (nova.iter().any(|m| m.is_some()), ModelFamily::AmazonNova),
        (is_string(&probe.generation), ModelFamily::MetaLlama),
        (probe.outputs.is_some(), ModelFamily::MistralText),
        (
            choice.as_ref().is_some_and(|c| c.message.is_some()),
            ModelFamily::MistralChat,
        ),
        (
            probe.event_type.is_some()
                || probe.is_finished.is_some()
                || probe.generations.is_some(),
            ModelFamily::Cohere,
        ),
        (jamba, ModelFamily::Ai21Jamba),
        (
            choice.as_ref().is_some_and(|c| is_string(&c.text)),
            ModelFamily::DeepSeek,
        ),
        (gpt_oss, ModelFamily::OpenAiGptOss),
    ];
    let mut families = seen.iter().filter(|(yes, _)| *yes).map(|(_, f)| *f);
    match (families.next(), families.next(), shared_delta) {
        (Some(family), None, false) => Recognised::Family(family),
        (None, None, true) => Recognised::SharedDelta,
        _ => Recognised::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::fmt::Write as _;

    use ModelFamily::*;

    // ---- helpers ----

    fn ci(
        text: Option<&str>,
        stop: Option<&str>,
        usage: Option<Usage>,
        metrics: Option<InvocationMetrics>,
    ) -> ChunkInfo {
        ChunkInfo {
            text: text.map(str::to_owned),
            stop_reason: stop.map(str::to_owned),
            usage,
            metrics,
        }
    }

    fn text(t: &str) -> ChunkInfo {
        ci(Some(t), None, None, None)
    }

    fn usage(input: Option<u64>, output: Option<u64>) -> Usage {
        Usage {
            input_tokens: input,
            output_tokens: output,
            ..Usage::default()
        }
    }

    fn metrics(input: u64, output: u64, latency: u64, first_byte: u64) -> InvocationMetrics {
        InvocationMetrics {
            input_token_count: Some(input),
            output_token_count: Some(output),
            invocation_latency_ms: Some(latency),
            first_byte_latency_ms: Some(first_byte),
            ..InvocationMetrics::default()
        }
    }

    /// Runs a whole stream; returns the per-chunk infos and the concatenated text (+ finish).
    fn run(family: ModelFamily, chunks: &[&str]) -> (Vec<ChunkInfo>, String) {
        let mut ex = TextExtractor::new(family);
        let infos: Vec<ChunkInfo> = chunks.iter().map(|c| ex.process(c.as_bytes())).collect();
        let mut all: String = infos.iter().filter_map(ChunkInfo::text).collect();
        if let Some(rest) = ex.finish() {
            all.push_str(&rest);
        }
        (infos, all)
    }

    /// Families that carry text, with a chunk builder taking the *escaped* JSON string body.
    const TEXT_FAMILIES: [ModelFamily; 10] = [
        AnthropicClaude,
        AmazonTitanText,
        AmazonNova,
        MetaLlama,
        MistralText,
        MistralChat,
        Cohere,
        Ai21Jamba,
        DeepSeek,
        OpenAiGptOss,
    ];

    fn text_chunk(family: ModelFamily, escaped: &str) -> String {
        let s = escaped;
        match family {
            AnthropicClaude => format!(
                r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"{s}"}}}}"#
            ),
            AmazonTitanText => {
                format!(r#"{{"outputText":"{s}","index":0,"completionReason":null}}"#)
            }
            AmazonNova => format!(
                r#"{{"contentBlockDelta":{{"delta":{{"text":"{s}"}},"contentBlockIndex":0}}}}"#
            ),
            MetaLlama => format!(r#"{{"generation":"{s}","stop_reason":null}}"#),
            MistralText => format!(r#"{{"outputs":[{{"text":"{s}","stop_reason":null}}]}}"#),
            MistralChat => format!(
                r#"{{"choices":[{{"index":0,"message":{{"role":"assistant","content":"{s}"}},"stop_reason":null}}]}}"#
            ),
            Cohere => {
                format!(r#"{{"is_finished":false,"event_type":"text-generation","text":"{s}"}}"#)
            }
            Ai21Jamba | OpenAiGptOss => format!(
                r#"{{"id":"x","choices":[{{"index":0,"delta":{{"content":"{s}"}},"finish_reason":null}}]}}"#
            ),
            DeepSeek => format!(r#"{{"choices":[{{"text":"{s}","stop_reason":null}}]}}"#),
            other => panic!("no text chunk for {other}"),
        }
    }

    /// JSON string body with every non-printable-ASCII UTF-16 unit written as `\uXXXX`.
    fn escape_utf16(units: &[u16]) -> String {
        let mut out = String::new();
        for &u in units {
            match u {
                0x22 => out.push_str("\\\""),
                0x5C => out.push_str("\\\\"),
                0x20..=0x7E => out.push(char::from(u as u8)),
                _ => write!(out, "\\u{u:04x}").unwrap(),
            }
        }
        out
    }

    // ---- example chunk sequences, per family ----

    #[test]
    fn claude_example_sequence() {
        let (infos, all) = run(
            AnthropicClaude,
            &[
                r#"{"type":"message_start","message":{"id":"msg_bdrk_01XYZexample","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":14,"output_tokens":1}}}"#,
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#,
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"! How can I help you today?"}}"#,
                r#"{"type":"content_block_stop","index":0}"#,
                r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":12}}"#,
                r#"{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":14,"outputTokenCount":12,"invocationLatency":640,"firstByteLatency":410}}"#,
            ],
        );
        assert_eq!(
            infos,
            vec![
                ci(None, None, Some(usage(Some(14), Some(1))), None),
                ChunkInfo::default(),
                text("Hello"),
                text("! How can I help you today?"),
                ChunkInfo::default(),
                ci(None, Some("end_turn"), Some(usage(None, Some(12))), None),
                ci(None, None, None, Some(metrics(14, 12, 640, 410))),
            ]
        );
        assert_eq!(all, "Hello! How can I help you today?");
    }

    #[test]
    fn titan_example_sequence() {
        let (infos, all) = run(
            AmazonTitanText,
            &[
                r#"{"outputText":"\nBot: Hello! How can","index":0,"totalOutputTextTokenCount":null,"completionReason":null,"inputTextTokenCount":3}"#,
                r#"{"outputText":" I help you today?","index":0,"totalOutputTextTokenCount":13,"completionReason":"FINISH","inputTextTokenCount":null,"amazon-bedrock-invocationMetrics":{"inputTokenCount":3,"outputTokenCount":13,"invocationLatency":833,"firstByteLatency":512}}"#,
            ],
        );
        assert_eq!(
            infos,
            vec![
                ci(
                    Some("\nBot: Hello! How can"),
                    None,
                    Some(usage(Some(3), None)),
                    None
                ),
                ci(
                    Some(" I help you today?"),
                    Some("FINISH"),
                    Some(usage(None, Some(13))),
                    Some(metrics(3, 13, 833, 512))
                ),
            ]
        );
        assert_eq!(all, "\nBot: Hello! How can I help you today?");
    }

    #[test]
    fn nova_example_sequence() {
        let (infos, all) = run(
            AmazonNova,
            &[
                r#"{"messageStart":{"role":"assistant"}}"#,
                r#"{"contentBlockDelta":{"delta":{"text":"Quantum computers"},"contentBlockIndex":0}}"#,
                r#"{"contentBlockDelta":{"delta":{"text":" use qubits."},"contentBlockIndex":0}}"#,
                r#"{"contentBlockStop":{"contentBlockIndex":0}}"#,
                r#"{"messageStop":{"stopReason":"end_turn"}}"#,
                r#"{"metadata":{"usage":{"inputTokens":9,"outputTokens":6},"metrics":{},"trace":{}},"amazon-bedrock-invocationMetrics":{"inputTokenCount":9,"outputTokenCount":6,"invocationLatency":402,"firstByteLatency":150}}"#,
            ],
        );
        assert_eq!(
            infos,
            vec![
                ChunkInfo::default(),
                text("Quantum computers"),
                text(" use qubits."),
                ChunkInfo::default(),
                ci(None, Some("end_turn"), None, None),
                ci(
                    None,
                    None,
                    Some(usage(Some(9), Some(6))),
                    Some(metrics(9, 6, 402, 150))
                ),
            ]
        );
        assert_eq!(all, "Quantum computers use qubits.");
    }

    #[test]
    fn nova_observed_metadata_chunk_and_non_text_deltas() {
        let mut ex = TextExtractor::new(AmazonNova);
        let info = ex.process(br#"{"metadata":{"usage":{"inputTokens":1,"outputTokens":54},"metrics":{},"trace":{}},"amazon-bedrock-invocationMetrics":{"inputTokenCount":1,"outputTokenCount":54,"invocationLatency":884,"firstByteLatency":99}}"#);
        assert_eq!(
            info,
            ci(
                None,
                None,
                Some(usage(Some(1), Some(54))),
                Some(metrics(1, 54, 884, 99))
            )
        );
        let tool = ex.process(br#"{"contentBlockDelta":{"delta":{"toolUse":{"input":"{\"a\":1}"}},"contentBlockIndex":1}}"#);
        assert_eq!(tool, ChunkInfo::default());
        let reasoning = ex.process(br#"{"contentBlockDelta":{"delta":{"reasoningContent":{"text":"hmm"}},"contentBlockIndex":0}}"#);
        assert_eq!(reasoning, ChunkInfo::default());
        let cached = ex.process(br#"{"metadata":{"usage":{"inputTokens":3,"outputTokens":4,"cacheReadInputTokenCount":100,"cacheWriteInputTokenCount":7}}}"#);
        assert_eq!(
            cached.usage(),
            Some(Usage {
                input_tokens: Some(3),
                output_tokens: Some(4),
                cache_read_input_tokens: Some(100),
                cache_write_input_tokens: Some(7),
            })
        );
    }

    #[test]
    fn llama_example_sequence() {
        let (infos, all) = run(
            MetaLlama,
            &[
                r#"{"generation":"\n\n","prompt_token_count":10,"generation_token_count":1,"stop_reason":null}"#,
                r#"{"generation":"Hello","prompt_token_count":null,"generation_token_count":2,"stop_reason":null}"#,
                r#"{"generation":" there!","prompt_token_count":null,"generation_token_count":4,"stop_reason":null}"#,
                r#"{"generation":"","prompt_token_count":null,"generation_token_count":5,"stop_reason":"stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":10,"outputTokenCount":5,"invocationLatency":873,"firstByteLatency":550}}"#,
            ],
        );
        assert_eq!(
            infos,
            vec![
                ci(Some("\n\n"), None, Some(usage(Some(10), Some(1))), None),
                ci(Some("Hello"), None, Some(usage(None, Some(2))), None),
                ci(Some(" there!"), None, Some(usage(None, Some(4))), None),
                ci(
                    None,
                    Some("stop"),
                    Some(usage(None, Some(5))),
                    Some(metrics(10, 5, 873, 550))
                ),
            ]
        );
        assert_eq!(all, "\n\nHello there!");
    }

    const MISTRAL_TEXT_EXAMPLE: [&str; 3] = [
        r#"{"outputs":[{"text":" A","stop_reason":null}]}"#,
        r#"{"outputs":[{"text":" hello world program prints a greeting.","stop_reason":null}]}"#,
        r#"{"outputs":[{"text":"","stop_reason":"stop"}],"amazon-bedrock-invocationMetrics":{"inputTokenCount":21,"outputTokenCount":9,"invocationLatency":512,"firstByteLatency":190}}"#,
    ];

    const MISTRAL_CHAT_EXAMPLE: [&str; 2] = [
        r#"{"id":"b0098812-0ad9-42da-9f17-a5e2f554eb6b","object":"chat.completion.chunk","created":1732582566,"model":"mistral-large-2407","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"stop_reason":null}],"usage":null}"#,
        r#"{"id":"b0098812-0ad9-42da-9f17-a5e2f554eb6b","object":"chat.completion.chunk","created":1732582566,"model":"mistral-large-2407","choices":[{"index":0,"message":{"role":null,"content":" there!"},"stop_reason":"stop"}],"usage":{"prompt_tokens":5,"total_tokens":9,"completion_tokens":4},"amazon-bedrock-invocationMetrics":{"inputTokenCount":5,"outputTokenCount":4,"invocationLatency":719,"firstByteLatency":148}}"#,
    ];

    #[test]
    fn mistral_text_example_sequence_with_either_mistral_family() {
        for family in [MistralText, MistralChat] {
            let (infos, all) = run(family, &MISTRAL_TEXT_EXAMPLE);
            assert_eq!(
                infos,
                vec![
                    text(" A"),
                    text(" hello world program prints a greeting."),
                    ci(None, Some("stop"), None, Some(metrics(21, 9, 512, 190))),
                ],
                "{family}"
            );
            assert_eq!(all, " A hello world program prints a greeting.");
        }
    }

    #[test]
    fn mistral_chat_example_sequence_with_either_mistral_family() {
        for family in [MistralChat, MistralText] {
            let (infos, all) = run(family, &MISTRAL_CHAT_EXAMPLE);
            assert_eq!(
                infos,
                vec![
                    text("Hello"),
                    ci(
                        Some(" there!"),
                        Some("stop"),
                        Some(usage(Some(5), Some(4))),
                        Some(metrics(5, 4, 719, 148))
                    ),
                ],
                "{family}"
            );
            assert_eq!(all, "Hello there!");
        }
        // The observed Bedrock frame, and Mistral's native `delta` spelling.
        let mut ex = TextExtractor::new(MistralChat);
        let observed = ex.process(
            br#"{"choices":[{"index":0,"message":{"role":"assistant","content":"I"},"stop_reason":null}]}"#,
        );
        assert_eq!(observed, text("I"));
        let native = ex.process(
            br#"{"choices":[{"index":0,"delta":{"content":" am"},"finish_reason":"length"}]}"#,
        );
        assert_eq!(native, ci(Some(" am"), Some("length"), None, None));
    }

    #[test]
    fn cohere_example_sequence_does_not_repeat_the_final_response_text() {
        let (infos, all) = run(
            Cohere,
            &[
                r#"{"is_finished":false,"event_type":"stream-start","generation_id":"7f1c2c1e-0000-4000-8000-000000000001"}"#,
                r#"{"is_finished":false,"event_type":"text-generation","text":"Hello"}"#,
                r#"{"is_finished":false,"event_type":"text-generation","text":" world!"}"#,
                r#"{"is_finished":true,"event_type":"stream-end","finish_reason":"COMPLETE","response":{"response_id":"a1b2","text":"Hello world!","generation_id":"7f1c2c1e-0000-4000-8000-000000000001","finish_reason":"COMPLETE","meta":{"billed_units":{"input_tokens":7,"output_tokens":3}}},"amazon-bedrock-invocationMetrics":{"inputTokenCount":7,"outputTokenCount":3,"invocationLatency":380,"firstByteLatency":210}}"#,
            ],
        );
        assert_eq!(
            infos,
            vec![
                ChunkInfo::default(),
                text("Hello"),
                text(" world!"),
                ci(
                    None,
                    Some("COMPLETE"),
                    Some(usage(Some(7), Some(3))),
                    Some(metrics(7, 3, 380, 210))
                ),
            ]
        );
        assert_eq!(all, "Hello world!");
    }

    #[test]
    fn cohere_other_event_types_and_older_generations_shape() {
        let (infos, all) = run(
            Cohere,
            &[
                // A non-text event that happens to carry a `text` member contributes nothing.
                r#"{"is_finished":false,"event_type":"search-queries-generation","text":"query","search_queries":[{"text":"q"}]}"#,
                // Older Command (command-text-v14) chunks.
                r#"{"generations":[{"id":"g1","text":" Hi","finish_reason":null}]}"#,
                r#"{"generations":[{"id":"g1","text":" there","finish_reason":null},{"text":"ignored"}]}"#,
                r#"{"generations":[{"id":"g1","text":"","finish_reason":"MAX_TOKENS"}],"is_finished":true}"#,
                // Top-level text without event_type (older stream shape).
                r#"{"text":"!","is_finished":false}"#,
            ],
        );
        assert_eq!(
            infos,
            vec![
                ChunkInfo::default(),
                text(" Hi"),
                text(" there"),
                ci(None, Some("MAX_TOKENS"), None, None),
                text("!"),
            ]
        );
        assert_eq!(all, " Hi there!");
    }

    #[test]
    fn jamba_example_and_observed_chunk_use_finish_reason_not_stop_token() {
        let (infos, all) = run(
            Ai21Jamba,
            &[
                r#"{"id":"chat-5b2f","choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}"#,
                r#"{"id":"chat-5b2f","choices":[{"index":0,"delta":{"content":"Hi there"},"finish_reason":null}]}"#,
                r#"{"id":"chat-5b2f","choices":[{"index":0,"delta":{"content":"!"},"finish_reason":"stop","stop_reason":"<|eom|>"}],"usage":{"prompt_tokens":12,"total_tokens":16,"completion_tokens":4},"meta":{"requestDurationMillis":140},"amazon-bedrock-invocationMetrics":{"inputTokenCount":12,"outputTokenCount":4,"invocationLatency":310,"firstByteLatency":120}}"#,
            ],
        );
        assert_eq!(
            infos,
            vec![
                ChunkInfo::default(),
                text("Hi there"),
                ci(
                    Some("!"),
                    Some("stop"),
                    Some(usage(Some(12), Some(4))),
                    Some(metrics(12, 4, 310, 120))
                ),
            ]
        );
        assert_eq!(all, "Hi there!");

        let observed = TextExtractor::new(Ai21Jamba).process(br#"{"id":"chat-ae86a1e555f04e5cbddb86cc6a98ce5e","choices":[{"index":0,"delta":{"content":"?"},"finish_reason":"stop","stop_reason":"<|eom|>"}],"usage":{"prompt_tokens":144,"total_tokens":158,"completion_tokens":14},"meta":{"requestDurationMillis":146},"amazon-bedrock-invocationMetrics":{"inputTokenCount":63,"outputTokenCount":263,"invocationLatency":5330,"firstByteLatency":122}}"#);
        assert_eq!(
            observed,
            ci(
                Some("?"),
                Some("stop"),
                Some(usage(Some(144), Some(14))),
                Some(metrics(63, 263, 5330, 122))
            )
        );
    }

    #[test]
    fn deepseek_example_sequence_and_llama_style_shape() {
        let (infos, all) = run(
            DeepSeek,
            &[
                r#"{"choices":[{"text":"Okay, the user asks","stop_reason":null}]}"#,
                r#"{"choices":[{"text":" for a greeting.\n</think>\n\nHello!","stop_reason":null}]}"#,
                r#"{"choices":[{"text":"","stop_reason":"stop"}],"amazon-bedrock-invocationMetrics":{"inputTokenCount":11,"outputTokenCount":19,"invocationLatency":1450,"firstByteLatency":620}}"#,
            ],
        );
        assert_eq!(
            infos,
            vec![
                text("Okay, the user asks"),
                text(" for a greeting.\n</think>\n\nHello!"),
                ci(None, Some("stop"), None, Some(metrics(11, 19, 1450, 620))),
            ]
        );
        assert_eq!(
            all,
            "Okay, the user asks for a greeting.\n</think>\n\nHello!"
        );

        let (infos, all) = run(
            DeepSeek,
            &[
                r#"{"generation":"<think>","prompt_token_count":5,"generation_token_count":1,"stop_reason":null}"#,
                r#"{"generation":"Hi","prompt_token_count":null,"generation_token_count":2,"stop_reason":"length"}"#,
            ],
        );
        assert_eq!(
            infos,
            vec![
                ci(Some("<think>"), None, Some(usage(Some(5), Some(1))), None),
                ci(Some("Hi"), Some("length"), Some(usage(None, Some(2))), None),
            ]
        );
        assert_eq!(all, "<think>Hi");
    }

    #[test]
    fn gpt_oss_example_sequence() {
        let (infos, all) = run(
            OpenAiGptOss,
            &[
                r#"{"id":"chatcmpl-7a1","object":"chat.completion.chunk","created":1754400000,"model":"openai.gpt-oss-120b-1:0","choices":[{"index":0,"delta":{"role":"assistant","content":"<reasoning>User greets.</reasoning>"},"finish_reason":null}]}"#,
                r#"{"id":"chatcmpl-7a1","object":"chat.completion.chunk","created":1754400000,"model":"openai.gpt-oss-120b-1:0","choices":[{"index":0,"delta":{"content":"Hello!"},"finish_reason":null}]}"#,
                r#"{"id":"chatcmpl-7a1","object":"chat.completion.chunk","created":1754400000,"model":"openai.gpt-oss-120b-1:0","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":20,"completion_tokens":9,"total_tokens":29},"amazon-bedrock-invocationMetrics":{"inputTokenCount":20,"outputTokenCount":9,"invocationLatency":700,"firstByteLatency":300}}"#,
            ],
        );
        assert_eq!(
            infos,
            vec![
                text("<reasoning>User greets.</reasoning>"),
                text("Hello!"),
                ci(
                    None,
                    Some("stop"),
                    Some(usage(Some(20), Some(9))),
                    Some(metrics(20, 9, 700, 300))
                ),
            ]
        );
        assert_eq!(all, "<reasoning>User greets.</reasoning>Hello!");
    }

    #[test]
    fn unrecognisable_shapes_stay_unknown_and_give_only_metrics() {
        let chunks = [
            // No family's member, or a member no family owns alone.
            r#"{"text":"Hello"}"#,
            r#"{"type":"text","text":"Hello"}"#,
            r#"{"completion":"Hello","stop_reason":"stop"}"#,
            r#"{"choices":[{"index":0,"finish_reason":null}]}"#,
            r#"{"choices":[]}"#,
            // The members of two families at once.
            r#"{"choices":[{"delta":{"content":"x"},"text":"y","finish_reason":"stop"}],"usage":{"prompt_tokens":1}}"#,
            r#"{"generation":"x","outputText":"y"}"#,
            r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"x"},"event_type":"text-generation"}"#,
            r#"{"choices":[{"delta":{"content":"x"}}],"meta":{"requestDurationMillis":1},"model":"openai.gpt-oss-20b-1:0"}"#,
            // Family members of the wrong type.
            r#"{"generation":5,"outputText":null}"#,
            // Metrics alone.
            r#"{"amazon-bedrock-invocationMetrics":{"inputTokenCount":14,"outputTokenCount":12,"invocationLatency":640,"firstByteLatency":410}}"#,
        ];
        let mut ex = TextExtractor::new(Unknown);
        let infos: Vec<ChunkInfo> = chunks.iter().map(|c| ex.process(c.as_bytes())).collect();
        assert_eq!(ex.family(), Unknown);
        let last = chunks.len() - 1;
        assert!(infos[..last].iter().all(ChunkInfo::is_empty), "{infos:?}");
        assert_eq!(
            infos[last],
            ci(None, None, None, Some(metrics(14, 12, 640, 410)))
        );
        for c in chunks {
            assert_eq!(ModelFamily::from_chunk(c.as_bytes()), None, "{c}");
        }
        assert_eq!(ex.finish(), None);
    }

    #[test]
    fn every_family_is_recognised_from_its_chunks_when_the_id_does_not_say() {
        let arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3";
        for family in TEXT_FAMILIES {
            let chunk = text_chunk(family, "Hello");
            let mut ex = TextExtractor::for_model_id(arn);
            assert_eq!(ex.family(), Unknown);
            // Read exactly as an extractor made for the family reads it.
            let expected = TextExtractor::new(family).process(chunk.as_bytes());
            assert_eq!(ex.process(chunk.as_bytes()), expected, "{family}");
            assert_eq!(expected, text("Hello"), "{family}");
            match family {
                // Their shared `choices[0].delta` shape tells nothing yet.
                Ai21Jamba | OpenAiGptOss => {
                    assert_eq!(ModelFamily::from_chunk(chunk.as_bytes()), None);
                    assert_eq!(ex.family(), Unknown, "{family}");
                }
                _ => {
                    assert_eq!(ModelFamily::from_chunk(chunk.as_bytes()), Some(family));
                    assert_eq!(ex.family(), family);
                }
            }
        }
        // The members that tell Jamba and gpt-oss apart (Jamba's observed last chunk; gpt-oss
        // echoing its model id).
        let jamba = br#"{"id":"chat-ae86","choices":[{"index":0,"delta":{"content":"?"},"finish_reason":"stop","stop_reason":"<|eom|>"}],"usage":{"prompt_tokens":144,"total_tokens":158,"completion_tokens":14},"meta":{"requestDurationMillis":146}}"#;
        let oss = br#"{"id":"chatcmpl-7a1","object":"chat.completion.chunk","created":1754400000,"model":"openai.gpt-oss-120b-1:0","choices":[{"index":0,"delta":{"content":"Hello!"},"finish_reason":null}]}"#;
        assert_eq!(ModelFamily::from_chunk(jamba), Some(Ai21Jamba));
        assert_eq!(ModelFamily::from_chunk(oss), Some(OpenAiGptOss));
        for (family, distinctive) in [(Ai21Jamba, &jamba[..]), (OpenAiGptOss, &oss[..])] {
            let mut ex = TextExtractor::new(Unknown);
            let first = text_chunk(family, "a");
            assert_eq!(ex.process(first.as_bytes()), text("a"));
            assert_eq!(ex.family(), Unknown);
            assert_eq!(
                ex.process(distinctive),
                TextExtractor::new(family).process(distinctive)
            );
            assert_eq!(ex.family(), family);
        }
        // Whitespace around the document, Nova's non-text events and Claude's ping recognise too.
        for (chunk, family) in [
            (
                &b" \n{\"messageStart\":{\"role\":\"assistant\"}}"[..],
                AmazonNova,
            ),
            (
                br#"{"metadata":{"usage":{}},"messageStop":{"stopReason":"end_turn"}}"#,
                AmazonNova,
            ),
            (br#"{"type":"ping"}"#, AnthropicClaude),
            (
                br#"{"is_finished":false,"event_type":"stream-start"}"#,
                Cohere,
            ),
            (br#"{"generations":[{"text":"x"}]}"#, Cohere),
            (
                br#"{"outputs":[{"text":"","stop_reason":"stop"}]}"#,
                MistralText,
            ),
        ] {
            assert_eq!(ModelFamily::from_chunk(chunk), Some(family), "{chunk:?}");
        }
    }

    #[test]
    fn a_recognised_family_stays_and_ambiguous_chunks_do_not_lock_one_in() {
        let mut ex = TextExtractor::new(Unknown);
        // Ambiguous first: nothing is extracted, nothing is locked in.
        assert!(ex
            .process(br#"{"generation":"x","outputs":[{"text":"y"}]}"#)
            .is_empty());
        assert!(ex.process(br#"{"text":"x"}"#).is_empty());
        assert_eq!(ex.family(), Unknown);
        // The first distinctive chunk decides, for the rest of the stream.
        assert_eq!(
            ex.process(br#"{"outputText":"Hi","index":0,"completionReason":null}"#),
            text("Hi")
        );
        assert_eq!(ex.family(), AmazonTitanText);
        assert!(ex
            .process(br#"{"generation":"Llama?","stop_reason":null}"#)
            .is_empty());
        assert_eq!(ex.family(), AmazonTitanText);
        assert_eq!(
            ex.process(br#"{"outputText":"!","completionReason":"FINISH"}"#),
            ci(Some("!"), Some("FINISH"), None, None)
        );
        // The next stream is recognised afresh.
        assert_eq!(ex.finish(), None);
        assert_eq!(ex.family(), Unknown);
        assert_eq!(
            ex.process(br#"{"generation":"Yo","stop_reason":null}"#),
            text("Yo")
        );
        assert_eq!(ex.family(), MetaLlama);
        // A shared delta chunk read provisionally does not stop a later distinctive chunk from
        // deciding; a family given at creation is never replaced.
        let mut ex = TextExtractor::new(Unknown);
        let delta = br#"{"choices":[{"delta":{"content":"a"},"finish_reason":null}]}"#;
        assert_eq!(ex.process(delta), text("a"));
        assert_eq!(ex.process(delta), text("a"));
        assert_eq!(ex.family(), Unknown);
        let mut fixed = TextExtractor::new(MistralChat);
        assert!(fixed.process(br#"{"outputText":"x"}"#).is_empty());
        assert_eq!(fixed.finish(), None);
        assert_eq!(fixed.family(), MistralChat);
        // A surrogate pair split across the recognising chunk and the next is still joined.
        let mut ex = TextExtractor::new(Unknown);
        assert_eq!(
            ex.process(br#"{"generation":"\ud83e"}"#),
            ChunkInfo::default()
        );
        assert_eq!(
            ex.process(br#"{"generation":"\udd80!"}"#),
            text("\u{1F980}!")
        );
    }

    #[test]
    fn families_do_not_read_each_others_shapes() {
        // A Llama extractor must not take Titan's or Claude's text, and vice versa.
        let llama = TextExtractor::new(MetaLlama)
            .process(br#"{"outputText":"x","choices":[{"text":"y"}],"completionReason":"FINISH"}"#);
        assert!(llama.is_empty());
        let titan = TextExtractor::new(AmazonTitanText)
            .process(br#"{"generation":"x","stop_reason":"stop"}"#);
        assert!(titan.is_empty());
        let jamba = TextExtractor::new(Ai21Jamba)
            .process(br#"{"choices":[{"text":"x","message":{"content":"y"}}]}"#);
        assert!(jamba.is_empty());
    }

    // ---- metrics ----

    #[test]
    fn metrics_with_prompt_cache_counts_nulls_and_odd_numbers() {
        let mut ex = TextExtractor::new(AnthropicClaude);
        let info = ex.process(br#"{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":10,"outputTokenCount":15,"invocationLatency":1798,"firstByteLatency":1507,"cacheReadInputTokenCount":0,"cacheWriteInputTokenCount":25037}}"#);
        assert_eq!(
            info.metrics(),
            Some(InvocationMetrics {
                cache_read_input_token_count: Some(0),
                cache_write_input_token_count: Some(25037),
                ..metrics(10, 15, 1798, 1507)
            })
        );
        // null, negative, fractional, string, boolean, nested values: None; integral floats and
        // u64::MAX are kept; unknown members are ignored.
        let info = ex.process(br#"{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":null,"outputTokenCount":-3,"invocationLatency":1.5,"firstByteLatency":"12","cacheReadInputTokenCount":true,"cacheWriteInputTokenCount":[1],"futureMetric":{"a":1}}}"#);
        assert_eq!(info.metrics(), Some(InvocationMetrics::default()));
        let info = ex.process(br#"{"amazon-bedrock-invocationMetrics":{"inputTokenCount":2.0,"outputTokenCount":1e3,"invocationLatency":18446744073709551615,"firstByteLatency":1e30,"cacheReadInputTokenCount":{"x":[]}}}"#);
        assert_eq!(
            info.metrics(),
            Some(InvocationMetrics {
                input_token_count: Some(2),
                output_token_count: Some(1000),
                invocation_latency_ms: Some(u64::MAX),
                ..InvocationMetrics::default()
            })
        );
        // An explicit null metrics object is no metrics.
        let info =
            ex.process(br#"{"type":"message_stop","amazon-bedrock-invocationMetrics":null}"#);
        assert_eq!(info, ChunkInfo::default());
    }

    #[test]
    fn metrics_are_parsed_for_every_family() {
        let doc = br#"{"amazon-bedrock-invocationMetrics":{"inputTokenCount":1,"outputTokenCount":2,"invocationLatency":3,"firstByteLatency":4}}"#;
        for family in ModelFamily::ALL {
            let info = TextExtractor::new(family).process(doc);
            assert_eq!(
                info,
                ci(None, None, None, Some(metrics(1, 2, 3, 4))),
                "{family}"
            );
        }
    }

    // ---- Claude specifics ----

    #[test]
    fn claude_non_text_deltas_and_events_give_no_text() {
        let chunks = [
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}}"#,
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Par"}}"#,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me think"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{"type":"char_location","cited_text":"x"}}}"#,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"not a delta"}}"#,
            r#"{"type":"ping"}"#,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            // A text member on a delta that is not a text_delta, or a delta without a type.
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","text":"no"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"text":"no"}}"#,
            r#"{"delta":{"type":"text_delta","text":"no"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""}}"#,
        ];
        let (infos, all) = run(AnthropicClaude, &chunks);
        assert_eq!(all, "");
        for (info, chunk) in infos.iter().zip(chunks) {
            assert!(info.is_empty(), "{chunk} gave {info:?}");
        }
    }

    #[test]
    fn claude_usage_with_cache_fields_and_newer_message_delta() {
        let mut ex = TextExtractor::new(AnthropicClaude);
        let start = ex.process(br#"{"type":"message_start","message":{"id":"m","usage":{"input_tokens":4,"cache_creation_input_tokens":1500,"cache_read_input_tokens":0,"output_tokens":1}}}"#);
        assert_eq!(
            start.usage(),
            Some(Usage {
                input_tokens: Some(4),
                output_tokens: Some(1),
                cache_read_input_tokens: Some(0),
                cache_write_input_tokens: Some(1500),
            })
        );
        let delta = ex.process(br#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":4,"cache_creation_input_tokens":null,"cache_read_input_tokens":null,"output_tokens":30}}"#);
        assert_eq!(delta.stop_reason(), Some("tool_use"));
        assert_eq!(delta.usage(), Some(usage(Some(4), Some(30))));
        // Usage members on other event types are not Claude's usage fields.
        let other =
            ex.process(br#"{"type":"content_block_stop","index":0,"usage":{"output_tokens":99}}"#);
        assert!(other.is_empty());
    }

    // ---- unknown fields, padding, escapes, Unicode ----

    #[test]
    fn unknown_fields_and_p_padding_are_ignored() {
        let mut ex = TextExtractor::new(AnthropicClaude);
        let info = ex.process(br#"{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123","type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi","extra":{"nested":[1,2,{"x":null}]}},"future_field":true,"n":-1.5e7}"#);
        assert_eq!(info, text("Hi"));
        for family in TEXT_FAMILIES {
            let chunk = text_chunk(family, "Hi");
            let padded = format!(
                r#"{{"p":"abcdefghijkl","zz_future":[{{"a":null}}],{}"#,
                &chunk[1..]
            );
            let info = TextExtractor::new(family).process(padded.as_bytes());
            assert_eq!(info, text("Hi"), "{family}: {padded}");
        }
    }

    #[test]
    fn json_escapes_in_text_are_decoded() {
        for family in TEXT_FAMILIES {
            let chunk = text_chunk(
                family,
                r#"a\nb\t\"q\" \\ \/ \u00e9\u4f60\u597d \ud83d\ude00"#,
            );
            let info = TextExtractor::new(family).process(chunk.as_bytes());
            assert_eq!(info, text("a\nb\t\"q\" \\ / é你好 😀"), "{family}");
        }
    }

    #[test]
    fn multibyte_utf8_passes_through_untouched() {
        let s = "你好，世界 😀🎉 déjà vu — ZWJ 👩‍👩‍👧 𝕏";
        for family in TEXT_FAMILIES {
            let (infos, all) = run(
                family,
                &[&text_chunk(family, s), &text_chunk(family, "日本語")],
            );
            assert_eq!(infos[0], text(s), "{family}");
            assert_eq!(all, format!("{s}日本語"), "{family}");
        }
    }

    // ---- surrogate pairs and incomplete characters split across chunks ----

    #[test]
    fn surrogate_pair_split_across_chunks_is_joined_for_every_family() {
        for family in TEXT_FAMILIES {
            let (infos, all) = run(
                family,
                &[
                    &text_chunk(family, r"ab\ud83d"),
                    &text_chunk(family, r"\ude00cd"),
                ],
            );
            assert_eq!(infos[0], text("ab"), "{family}");
            assert_eq!(infos[1], text("😀cd"), "{family}");
            assert_eq!(all, "ab😀cd", "{family}");
        }
    }

    #[test]
    fn held_high_surrogate_survives_chunks_without_text() {
        let (infos, all) = run(
            AnthropicClaude,
            &[
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\uD83D"}}"#,
                r#"{"type":"ping"}"#,
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\uDE00"}}"#,
            ],
        );
        assert_eq!(
            infos,
            vec![ChunkInfo::default(), ChunkInfo::default(), text("😀")]
        );
        assert_eq!(all, "😀");
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let cases: [(&[&str], &str); 7] = [
            // High surrogate followed by ordinary text in the next chunk.
            (&[r"a\ud83d", r"b"], "a\u{FFFD}b"),
            // Lone low surrogate.
            (&[r"\ude00x"], "\u{FFFD}x"),
            // High surrogate inside a string followed by a non-surrogate.
            (&[r"a\ud83db"], "a\u{FFFD}b"),
            // Two highs, then a proper pair.
            (&[r"\ud83d\ud83d\ude00"], "\u{FFFD}😀"),
            // High then high across chunks; the second pairs with the third chunk.
            (&[r"\ud83d", r"\ud83d", r"\ude00"], "\u{FFFD}😀"),
            // High held at the very end: flushed by finish().
            (&[r"x\udbff"], "x\u{FFFD}"),
            // Low surrogate then high surrogate: both lone.
            (&[r"\udc00\ud800", r"z"], "\u{FFFD}\u{FFFD}z"),
        ];
        for family in TEXT_FAMILIES {
            for (parts, expected) in cases {
                let chunks: Vec<String> = parts.iter().map(|p| text_chunk(family, p)).collect();
                let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
                let (_, all) = run(family, &refs);
                assert_eq!(all, expected, "{family} {parts:?}");
            }
        }
    }

    #[test]
    fn finish_flushes_once_and_stop_reason_flushes_held_character() {
        let mut ex = TextExtractor::new(MetaLlama);
        assert_eq!(
            ex.process(br#"{"generation":"\ud83d"}"#),
            ChunkInfo::default()
        );
        assert_eq!(ex.finish(), Some("\u{FFFD}".to_owned()));
        assert_eq!(ex.finish(), None);

        // A chunk with a stop reason ends the text: the held surrogate is emitted there.
        let mut ex = TextExtractor::new(MetaLlama);
        assert_eq!(ex.process(br#"{"generation":"ok\ud83d"}"#), text("ok"));
        let last = ex.process(br#"{"generation":"","stop_reason":"stop"}"#);
        assert_eq!(last, ci(Some("\u{FFFD}"), Some("stop"), None, None));
        assert_eq!(ex.finish(), None);

        // Claude's stop reason arrives in message_delta without text.
        let mut ex = TextExtractor::new(AnthropicClaude);
        let held = ex.process(br#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\ud83d"}}"#);
        assert_eq!(held, ChunkInfo::default());
        let stop = ex.process(br#"{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":1}}"#);
        assert_eq!(
            stop,
            ci(
                Some("\u{FFFD}"),
                Some("max_tokens"),
                Some(usage(None, Some(1))),
                None
            )
        );
        // Nothing held: finish is None and a stop reason adds no text.
        let mut ex = TextExtractor::new(MetaLlama);
        assert_eq!(
            ex.process(br#"{"generation":"","stop_reason":"stop"}"#),
            ci(None, Some("stop"), None, None)
        );
        assert_eq!(ex.finish(), None);
    }

    #[test]
    fn raw_utf8_split_or_invalid_inside_a_json_string_is_repaired() {
        // Not valid JSON text strictly, but must not lose the character or panic.
        let mut ex = TextExtractor::new(MetaLlama);
        assert_eq!(ex.process(b"{\"generation\":\"a\xF0\x9F\"}"), text("a"));
        assert_eq!(ex.process(b"{\"generation\":\"\x98\x80b\"}"), text("😀b"));
        assert_eq!(
            ex.process(b"{\"generation\":\"x\xFFy\xC3\"}"),
            text("x\u{FFFD}y")
        );
        assert_eq!(ex.process(b"{\"generation\":\"z\"}"), text("\u{FFFD}z"));
        assert_eq!(ex.finish(), None);
    }

    // ---- malformed input ----

    #[test]
    fn malformed_chunks_give_empty_info_for_every_family() {
        let inputs: [&[u8]; 14] = [
            b"",
            b"   ",
            b"not json",
            b"{",
            b"}",
            b"null",
            b"\"Hello\"",
            b"42",
            br#"["Hello","stop"]"#,
            br#"[{"generation":"Hello"}]"#,
            b"{\"generation\":\"Hel",
            br#"{"generation":"a"} trailing"#,
            b"\xFF\xFE{\"generation\":\"a\"}",
            br#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"a"}"#,
        ];
        for family in ModelFamily::ALL {
            let mut ex = TextExtractor::new(family);
            for input in inputs {
                let info = ex.process(input);
                assert_eq!(info, ChunkInfo::default(), "{family} {input:?}");
            }
            assert_eq!(ex.finish(), None);
        }
    }

    #[test]
    fn wrong_types_lose_the_text_but_keep_metrics() {
        let metrics_json = r#""amazon-bedrock-invocationMetrics":{"inputTokenCount":1,"outputTokenCount":2,"invocationLatency":3,"firstByteLatency":4}"#;
        let docs = [
            format!(r#"{{"generation":5,{metrics_json}}}"#),
            format!(r#"{{"outputText":{{"a":1}},{metrics_json}}}"#),
            format!(r#"{{"type":"content_block_delta","delta":"text",{metrics_json}}}"#),
            format!(r#"{{"choices":{{"0":{{"text":"x"}}}},{metrics_json}}}"#),
            format!(r#"{{"contentBlockDelta":[1],{metrics_json}}}"#),
            format!(r#"{{"text":true,{metrics_json}}}"#),
        ];
        let families = [
            MetaLlama,
            AmazonTitanText,
            AnthropicClaude,
            DeepSeek,
            AmazonNova,
            Cohere,
        ];
        for (doc, family) in docs.iter().zip(families) {
            let info = TextExtractor::new(family).process(doc.as_bytes());
            assert_eq!(
                info,
                ci(None, None, None, Some(metrics(1, 2, 3, 4))),
                "{family}: {doc}"
            );
        }
        // An array where a string is expected is skipped without failing the document.
        let info = TextExtractor::new(MistralChat).process(br#"{"choices":[{"message":{"content":[{"type":"text","text":"x"}]},"stop_reason":"stop"}]}"#);
        assert_eq!(info, ci(None, Some("stop"), None, None));
    }

    #[test]
    fn null_fields_are_absent() {
        let (infos, all) = run(
            MetaLlama,
            &[
                r#"{"generation":null,"prompt_token_count":null,"generation_token_count":null,"stop_reason":null,"amazon-bedrock-invocationMetrics":null}"#,
            ],
        );
        assert_eq!(infos, vec![ChunkInfo::default()]);
        assert_eq!(all, "");
        let info = TextExtractor::new(OpenAiGptOss).process(
            br#"{"choices":[{"delta":{"content":null},"finish_reason":null}],"usage":null}"#,
        );
        assert!(info.is_empty());
        let info = TextExtractor::new(AmazonNova)
            .process(br#"{"contentBlockDelta":null,"messageStop":{"stopReason":null},"metadata":{"usage":null}}"#);
        assert!(info.is_empty());
        let info = TextExtractor::new(OpenAiGptOss).process(br#"{"choices":[],"usage":{}}"#);
        assert!(info.is_empty());
    }

    // ---- model ids ----

    #[test]
    fn family_from_model_ids() {
        let cases = [
            ("anthropic.claude-3-haiku-20240307-v1:0", AnthropicClaude),
            ("anthropic.claude-3-5-haiku-20241022-v1:0", AnthropicClaude),
            ("anthropic.claude-sonnet-4-20250514-v1:0", AnthropicClaude),
            ("us.anthropic.claude-sonnet-4-20250514-v1:0", AnthropicClaude),
            ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", AnthropicClaude),
            ("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", AnthropicClaude),
            ("apac.anthropic.claude-3-5-sonnet-20240620-v1:0", AnthropicClaude),
            ("us-gov.anthropic.claude-3-haiku-20240307-v1:0", AnthropicClaude),
            ("jp.anthropic.claude-sonnet-4-5-20250929-v1:0", AnthropicClaude),
            ("au.anthropic.claude-sonnet-4-5-20250929-v1:0", AnthropicClaude),
            ("ca.anthropic.claude-sonnet-4-5-20250929-v1:0", AnthropicClaude),
            ("US.Anthropic.Claude-3-Haiku", AnthropicClaude),
            ("  anthropic.claude-3-haiku-20240307-v1:0\n", AnthropicClaude),
            ("amazon.titan-text-express-v1", AmazonTitanText),
            ("amazon.titan-text-lite-v1", AmazonTitanText),
            ("amazon.titan-text-premier-v1:0", AmazonTitanText),
            ("amazon.titan-tg1-large", AmazonTitanText),
            ("amazon.nova-micro-v1:0", AmazonNova),
            ("amazon.nova-lite-v1:0", AmazonNova),
            ("amazon.nova-pro-v1:0", AmazonNova),
            ("us.amazon.nova-premier-v1:0", AmazonNova),
            ("us.amazon.nova-2-lite-v1:0", AmazonNova),
            ("meta.llama3-8b-instruct-v1:0", MetaLlama),
            ("meta.llama3-70b-instruct-v1:0", MetaLlama),
            ("meta.llama3-1-70b-instruct-v1:0", MetaLlama),
            ("us.meta.llama3-2-11b-instruct-v1:0", MetaLlama),
            ("us.meta.llama3-3-70b-instruct-v1:0", MetaLlama),
            ("mistral.mistral-7b-instruct-v0:2", MistralText),
            ("mistral.mixtral-8x7b-instruct-v0:1", MistralText),
            ("mistral.mistral-large-2402-v1:0", MistralText),
            ("mistral.mistral-small-2402-v1:0", MistralText),
            ("mistral.mistral-large-2407-v1:0", MistralChat),
            ("us.mistral.pixtral-large-2502-v1:0", MistralChat),
            ("cohere.command-r-v1:0", Cohere),
            ("cohere.command-r-plus-v1:0", Cohere),
            ("cohere.command-text-v14", Cohere),
            ("cohere.command-light-text-v14", Cohere),
            ("ai21.jamba-1-5-large-v1:0", Ai21Jamba),
            ("ai21.jamba-1-5-mini-v1:0", Ai21Jamba),
            ("ai21.jamba-instruct-v1:0", Ai21Jamba),
            ("us.deepseek.r1-v1:0", DeepSeek),
            ("openai.gpt-oss-20b-1:0", OpenAiGptOss),
            ("openai.gpt-oss-120b-1:0", OpenAiGptOss),
            // ARNs that name the model.
            (
                "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
                AnthropicClaude,
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0",
                AnthropicClaude,
            ),
            (
                "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.meta.llama3-8b-instruct-v1:0",
                MetaLlama,
            ),
            (
                "arn:aws:bedrock:eu-west-1::foundation-model/amazon.titan-text-express-v1",
                AmazonTitanText,
            ),
            // ARNs that do not reveal the format: never guessed.
            (
                "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
                Unknown,
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdef123456",
                Unknown,
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.titan-text-express-v1:0:8k/abc123",
                Unknown,
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abc123",
                Unknown,
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:imported-model/abc123",
                Unknown,
            ),
            ("arn:aws:bedrock:us-east-1:123456789012:prompt/PROMPT12AB:1", Unknown),
            (
                "arn:aws:bedrock:us-east-1:123456789012:default-prompt-router/anthropic.claude:1",
                Unknown,
            ),
            ("arn:aws:sagemaker:us-east-1:123456789012:endpoint/my-endpoint", Unknown),
            (
                "arn:aws:sagemaker:us-east-1:123456789012:endpoint/anthropic.claude-x",
                Unknown,
            ),
            ("arn:aws:bedrock:us-east-1::foundation-model/", Unknown),
            ("arn:aws:bedrock", Unknown),
            // Not text-streaming families of known providers.
            ("amazon.titan-embed-text-v2:0", Unknown),
            ("amazon.titan-image-generator-v1", Unknown),
            ("cohere.embed-english-v3", Unknown),
            ("ai21.j2-ultra-v1", Unknown),
            ("openai.whisper-x", Unknown),
            // Unknown providers and odd ids.
            ("stability.sd3-large-v1:0", Unknown),
            ("us.writer.palmyra-x5-v1:0", Unknown),
            ("xai.grok-1", Unknown),
            ("us.foo.bar", Unknown),
            ("modèle espace", Unknown),
            ("", Unknown),
            ("anthropic", Unknown),
            ("anthropic.", Unknown),
            ("us.anthropic", Unknown),
            ("us.us.anthropic.claude-3", Unknown),
            ("123.anthropic.claude-3", Unknown),
            ("ünï.anthropic.claude-3", Unknown),
        ];
        for (id, expected) in cases {
            assert_eq!(ModelFamily::from_model_id(id), expected, "{id:?}");
        }
        assert_eq!(
            TextExtractor::for_model_id("us.meta.llama3-3-70b-instruct-v1:0").family(),
            MetaLlama
        );
    }

    #[test]
    fn family_names_round_trip_and_reject_others() {
        let names = [
            "anthropic-claude",
            "amazon-titan-text",
            "amazon-nova",
            "meta-llama",
            "mistral-text",
            "mistral-chat",
            "cohere",
            "ai21-jamba",
            "deepseek",
            "openai-gpt-oss",
            "unknown",
        ];
        assert_eq!(names.len(), ModelFamily::ALL.len());
        for (family, name) in ModelFamily::ALL.iter().zip(names) {
            assert_eq!(family.as_str(), name);
            assert_eq!(family.to_string(), name);
            assert_eq!(name.parse::<ModelFamily>(), Ok(*family));
            assert_eq!(name.to_uppercase().replace('-', "_").parse(), Ok(*family));
        }
        assert_eq!(" meta-llama\t".parse(), Ok(MetaLlama));
        for bad in [
            "",
            "llama",
            "meta-llam",
            "meta-llamaa",
            "anthropic claude",
            "ünknown",
        ] {
            let err = bad.parse::<ModelFamily>().unwrap_err();
            assert_eq!(err.name(), bad);
            let msg = err.to_string();
            assert!(
                msg.contains("anthropic-claude") && msg.contains("openai-gpt-oss"),
                "{msg}"
            );
        }
    }

    // ---- properties ----

    proptest! {
        /// Any text, escaped as UTF-16 `\uXXXX` units and cut at arbitrary unit boundaries
        /// (including between the halves of surrogate pairs), is reassembled exactly.
        #[test]
        fn prop_text_split_at_any_utf16_unit_is_reassembled(
            s in "\\PC{0,24}",
            cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..5),
            family_index in 0..TEXT_FAMILIES.len(),
        ) {
            let family = TEXT_FAMILIES[family_index];
            let units: Vec<u16> = s.encode_utf16().collect();
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(units.len() + 1)).collect();
            points.push(0);
            points.push(units.len());
            points.sort_unstable();
            let mut ex = TextExtractor::new(family);
            let mut out = String::new();
            for w in points.windows(2) {
                let chunk = text_chunk(family, &escape_utf16(&units[w[0]..w[1]]));
                if let Some(t) = ex.process(chunk.as_bytes()).into_text() {
                    out.push_str(&t);
                }
            }
            if let Some(rest) = ex.finish() {
                out.push_str(&rest);
            }
            prop_assert_eq!(out, s);
        }

        /// Arbitrary bytes never panic and never produce text out of nothing.
        #[test]
        fn prop_arbitrary_bytes_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
            family_index in 0..ModelFamily::ALL.len(),
        ) {
            let mut ex = TextExtractor::new(ModelFamily::ALL[family_index]);
            let info = ex.process(&bytes);
            if bytes.first() != Some(&b'{') {
                prop_assert!(info.is_empty());
            }
            let _ = ex.finish();
        }

        /// Arbitrary JSON-ish documents built from the fields the parsers know never panic.
        #[test]
        fn prop_fieldy_documents_never_panic(
            doc in r#"\{("(text|generation|outputText|type|delta|choices|outputs|usage|stop_reason|amazon-bedrock-invocationMetrics)":(null|1|-1|1\.5|"[a-z\\\\u0-9]{0,8}"|\[\]|\{\}|\[\{"text":"x"\}\]|\{"text":"\\ud83d"\}),?){0,6}\}"#,
            family_index in 0..ModelFamily::ALL.len(),
        ) {
            let mut ex = TextExtractor::new(ModelFamily::ALL[family_index]);
            let _ = ex.process(doc.as_bytes());
            let _ = ex.finish();
        }
    }
}
