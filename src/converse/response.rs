//! What the service answers: `ConverseResponse` and the members it shares with the stream's
//! `messageStop` and `metadata` events (stop reason, usage, metrics, trace).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::request::{PerformanceConfiguration, ServiceTier};
use super::types::{CacheTtl, Message};
use super::wire::{open_enum, union_shape};

open_enum! {
    /// `StopReason`: why the model stopped.
    StopReason {
        /// `end_turn`
        EndTurn = "end_turn",
        /// `tool_use`: the message holds tool uses to run.
        ToolUse = "tool_use",
        /// `max_tokens`
        MaxTokens = "max_tokens",
        /// `stop_sequence`
        StopSequence = "stop_sequence",
        /// `guardrail_intervened`
        GuardrailIntervened = "guardrail_intervened",
        /// `content_filtered`
        ContentFiltered = "content_filtered",
        /// `malformed_model_output`
        MalformedModelOutput = "malformed_model_output",
        /// `malformed_tool_use`
        MalformedToolUse = "malformed_tool_use",
        /// `model_context_window_exceeded`
        ModelContextWindowExceeded = "model_context_window_exceeded",
    }
}

/// `TokenUsage`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    /// `inputTokens`
    pub input_tokens: u32,
    /// `outputTokens`
    pub output_tokens: u32,
    /// `totalTokens`
    pub total_tokens: u32,
    /// `cacheReadInputTokens`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u32>,
    /// `cacheWriteInputTokens`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_input_tokens: Option<u32>,
    /// `cacheDetails`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_details: Option<Vec<CacheDetail>>,
}

/// `CacheDetail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheDetail {
    /// `ttl`
    pub ttl: CacheTtl,
    /// `inputTokens`
    pub input_tokens: u32,
}

/// `ConverseMetrics` / `ConverseStreamMetrics`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    /// `latencyMs`
    pub latency_ms: u64,
}

/// `ConverseTrace` / `ConverseStreamTrace`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trace {
    /// `guardrail`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail: Option<GuardrailTraceAssessment>,
    /// `promptRouter`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_router: Option<PromptRouterTrace>,
}

/// `GuardrailTraceAssessment`. Each `GuardrailAssessment` (topic, content, word, sensitive
/// information, contextual grounding and automated reasoning policies, invocation metrics,
/// applied guardrail details: a tree of some sixty shapes) is kept as its JSON value, under the
/// service model's member names.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailTraceAssessment {
    /// `modelOutput`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_output: Option<Vec<String>>,
    /// `inputAssessment`: guardrail id → `GuardrailAssessment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_assessment: Option<BTreeMap<String, Value>>,
    /// `outputAssessments`: guardrail id → list of `GuardrailAssessment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_assessments: Option<BTreeMap<String, Vec<Value>>>,
    /// `actionReason`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_reason: Option<String>,
}

/// `PromptRouterTrace`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptRouterTrace {
    /// `invokedModelId`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoked_model_id: Option<String>,
}

union_shape! {
    /// `ConverseOutput`.
    ConverseOutput("ConverseOutput") {
        /// `message`
        Message(Message) = "message",
    }
}

/// `ConverseResponse`: the whole answer of a Converse call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConverseResponse {
    /// `output`
    pub output: ConverseOutput,
    /// `stopReason`
    pub stop_reason: StopReason,
    /// `usage`
    pub usage: TokenUsage,
    /// `metrics`
    pub metrics: Metrics,
    /// `additionalModelResponseFields`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_response_fields: Option<Value>,
    /// `trace`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Trace>,
    /// `performanceConfig`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_config: Option<PerformanceConfiguration>,
    /// `serviceTier`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
    /// The `x-amzn-RequestId` of the HTTP response (not a body member).
    #[serde(skip)]
    pub request_id: Option<String>,
    /// Members this library does not know, as received (the service adds members often;
    /// serialised back beside the others).
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

impl ConverseResponse {
    /// The assistant message, unless the output is a member this library does not know.
    pub fn message(&self) -> Option<&Message> {
        match &self.output {
            ConverseOutput::Message(m) => Some(m),
            _ => None,
        }
    }
}
