//! Anthropic Claude: Messages API streaming events.

use serde::Deserialize;

use super::lenient::{bytes_of, metrics_of, JStr, Num, RawMetrics};
use super::{Parts, Usage};

#[derive(Deserialize)]
pub(super) struct ClaudeChunk<'a> {
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
    pub(super) fn into_parts(self) -> Parts<'a> {
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
