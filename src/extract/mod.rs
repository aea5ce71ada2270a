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
//! caller (by name through [`FromStr`](std::str::FromStr), for example `"meta-llama"`). When the model id names no
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
//!
//! # Layout
//!
//! * `family` — [`ModelFamily`]: the ids, names, detection from a model id and from a chunk's
//!   shape;
//! * `extractor` — [`TextExtractor`] and its results ([`ChunkInfo`], [`Usage`],
//!   [`InvocationMetrics`]);
//! * `text` — the UTF-8 / UTF-16-surrogate state machine that joins characters split across
//!   chunks;
//! * `lenient` — the lenient JSON building blocks every family document is read with;
//! * one file per chunk format: `claude`, `titan`, `nova`, `cohere`, and `completion` (the one
//!   shape Llama, Mistral, Jamba, DeepSeek and gpt-oss share).

use std::borrow::Cow;

mod claude;
mod cohere;
mod completion;
mod extractor;
mod family;
mod lenient;
mod nova;
mod text;
mod titan;

#[cfg(test)]
mod tests;

pub use extractor::{ChunkInfo, InvocationMetrics, TextExtractor, Usage};
#[cfg(feature = "emulator")]
pub(crate) use family::PROVIDERS;
pub use family::{ModelFamily, ParseModelFamilyError};

use lenient::{is_json_object, parse, MetricsOnly, RawMetrics};

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
        ModelFamily::AnthropicClaude => {
            parse::<claude::ClaudeChunk>(chunk).map(claude::ClaudeChunk::into_parts)
        }
        ModelFamily::AmazonTitanText => {
            parse::<titan::TitanChunk>(chunk).map(titan::TitanChunk::into_parts)
        }
        ModelFamily::AmazonNova => parse::<nova::NovaChunk>(chunk).map(nova::NovaChunk::into_parts),
        ModelFamily::Cohere => {
            parse::<cohere::CohereChunk>(chunk).map(cohere::CohereChunk::into_parts)
        }
        ModelFamily::MetaLlama
        | ModelFamily::MistralText
        | ModelFamily::MistralChat
        | ModelFamily::Ai21Jamba
        | ModelFamily::DeepSeek
        | ModelFamily::OpenAiGptOss => {
            parse::<completion::CompletionChunk>(chunk).map(|c| c.into_parts(family))
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
