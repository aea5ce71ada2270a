//! Amazon Titan Text.

use serde::Deserialize;

use super::lenient::{bytes_of, metrics_of, JStr, Num, RawMetrics};
use super::{Parts, Usage};

#[derive(Deserialize)]
pub(super) struct TitanChunk<'a> {
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
    pub(super) fn into_parts(self) -> Parts<'a> {
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
