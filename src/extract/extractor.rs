//! The extractor ([`TextExtractor`]) and what it reports per chunk ([`ChunkInfo`], [`Usage`],
//! [`InvocationMetrics`]).

use super::family::{recognise, ModelFamily, Recognised};
use super::parse_parts;
use super::text::{TextDecoder, REPLACEMENT};

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
    pub(super) fn into_option(self) -> Option<Usage> {
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
    pub(super) text: Option<String>,
    pub(super) stop_reason: Option<String>,
    pub(super) usage: Option<Usage>,
    pub(super) metrics: Option<InvocationMetrics>,
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
    /// The character held between chunks.
    text: TextDecoder,
}

impl TextExtractor {
    /// An extractor for chunks of the given family; for [`ModelFamily::Unknown`] the family is
    /// recognised from the chunks.
    #[must_use]
    pub fn new(family: ModelFamily) -> Self {
        TextExtractor {
            configured: family,
            family,
            text: TextDecoder::default(),
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
            Some(bytes) => self.text.decode_text(bytes),
            None => None,
        };
        let stop_reason = parts
            .stop
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(&s).into_owned());
        if stop_reason.is_some() && self.text.take_pending() {
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
        if self.text.take_pending() {
            Some(REPLACEMENT.to_string())
        } else {
            None
        }
    }
}
