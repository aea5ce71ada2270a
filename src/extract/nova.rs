//! Amazon Nova (understanding models).

use serde::Deserialize;

use super::lenient::{bytes_of, metrics_of, JStr, Num, RawMetrics};
use super::{Parts, Usage};

#[derive(Deserialize)]
pub(super) struct NovaChunk<'a> {
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
    pub(super) fn into_parts(self) -> Parts<'a> {
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
