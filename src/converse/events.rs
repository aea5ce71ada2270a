//! The events of a ConverseStream response (`ConverseStreamOutput`), decoded from event-stream
//! messages. Exception and error messages become the crate's typed [`Error`] exactly as for
//! InvokeModelWithResponseStream; an event type this library does not know is delivered as
//! [`ConverseStreamEvent::Unknown`], never an error.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::request::{PerformanceConfiguration, ServiceTier};
use super::response::{Metrics, StopReason, TokenUsage, Trace};
use super::types::{
    CitationLocation, ErrorBlock, ImageFormat, ImageSource, Role, ToolResultStatus, ToolUseType,
};
use super::wire::{open_struct, union_shape, Blob};
use crate::error::{Error, Phase, Result};
use crate::event::{self, UnknownEvent};
use crate::eventstream::MessageRef;

/// One event of a ConverseStream response.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConverseStreamEvent {
    /// `messageStart`
    MessageStart(MessageStartEvent),
    /// `contentBlockStart`
    ContentBlockStart(ContentBlockStartEvent),
    /// `contentBlockDelta`
    ContentBlockDelta(ContentBlockDeltaEvent),
    /// `contentBlockStop`
    ContentBlockStop(ContentBlockStopEvent),
    /// `messageStop`
    MessageStop(MessageStopEvent),
    /// `metadata`
    Metadata(MetadataEvent),
    /// An event type this library does not know (headers and payload kept). Never fatal.
    Unknown(UnknownEvent),
}

impl ConverseStreamEvent {
    /// The `:event-type` as on the wire.
    pub fn event_type(&self) -> &str {
        match self {
            ConverseStreamEvent::MessageStart(_) => "messageStart",
            ConverseStreamEvent::ContentBlockStart(_) => "contentBlockStart",
            ConverseStreamEvent::ContentBlockDelta(_) => "contentBlockDelta",
            ConverseStreamEvent::ContentBlockStop(_) => "contentBlockStop",
            ConverseStreamEvent::MessageStop(_) => "messageStop",
            ConverseStreamEvent::Metadata(_) => "metadata",
            ConverseStreamEvent::Unknown(u) => u.event_type(),
        }
    }

    /// The text of a `contentBlockDelta` text delta.
    pub fn text_delta(&self) -> Option<&str> {
        match self {
            ConverseStreamEvent::ContentBlockDelta(ContentBlockDeltaEvent {
                delta: ContentBlockDelta::Text(t),
                ..
            }) => Some(t),
            _ => None,
        }
    }

    /// The event's members as JSON, under the service model's names (`None` for an event type
    /// this library does not know: its raw payload is in the [`UnknownEvent`]).
    pub fn members(&self) -> Option<Value> {
        let v = match self {
            ConverseStreamEvent::MessageStart(x) => serde_json::to_value(x),
            ConverseStreamEvent::ContentBlockStart(x) => serde_json::to_value(x),
            ConverseStreamEvent::ContentBlockDelta(x) => serde_json::to_value(x),
            ConverseStreamEvent::ContentBlockStop(x) => serde_json::to_value(x),
            ConverseStreamEvent::MessageStop(x) => serde_json::to_value(x),
            ConverseStreamEvent::Metadata(x) => serde_json::to_value(x),
            ConverseStreamEvent::Unknown(_) => return None,
        };
        v.ok()
    }

    /// The event's top-level members this library does not know, as received (`None` for an
    /// event type this library does not know). Empty for a well-known event; the service adds
    /// members often, and they are kept rather than dropped.
    pub fn unknown_members(&self) -> Option<&serde_json::Map<String, Value>> {
        Some(match self {
            ConverseStreamEvent::MessageStart(x) => &x.other,
            ConverseStreamEvent::ContentBlockStart(x) => &x.other,
            ConverseStreamEvent::ContentBlockDelta(x) => &x.other,
            ConverseStreamEvent::ContentBlockStop(x) => &x.other,
            ConverseStreamEvent::MessageStop(x) => &x.other,
            ConverseStreamEvent::Metadata(x) => &x.other,
            ConverseStreamEvent::Unknown(_) => return None,
        })
    }

    /// Interpret one event-stream message of a ConverseStream response: an event, or the typed
    /// [`Error`] of an `exception` or `error` message or of a malformed event.
    pub fn from_message(msg: &MessageRef<'_>) -> Result<ConverseStreamEvent> {
        decode(msg, 0)
    }
}

open_struct! {
    /// `MessageStartEvent`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct MessageStartEvent("MessageStartEvent") {
        /// `role`
        pub role: Role = "role",
    }
    optional {}
}

open_struct! {
    /// `ContentBlockStartEvent`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ContentBlockStartEvent("ContentBlockStartEvent") {
        /// `start`
        pub start: ContentBlockStart = "start",
        /// `contentBlockIndex`
        pub content_block_index: u32 = "contentBlockIndex",
    }
    optional {}
}

union_shape! {
    /// `ContentBlockStart`.
    ContentBlockStart("ContentBlockStart") {
        /// `toolUse`
        ToolUse(ToolUseBlockStart) = "toolUse",
        /// `toolResult`
        ToolResult(ToolResultBlockStart) = "toolResult",
        /// `image`
        Image(ImageBlockStart) = "image",
    }
}

/// `ToolUseBlockStart`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseBlockStart {
    /// `toolUseId`
    pub tool_use_id: String,
    /// `name`
    pub name: String,
    /// `type`
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<ToolUseType>,
}

/// `ToolResultBlockStart`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolResultBlockStart {
    /// `toolUseId`
    pub tool_use_id: String,
    /// `type`
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// `status`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ToolResultStatus>,
}

/// `ImageBlockStart`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageBlockStart {
    /// `format`
    pub format: ImageFormat,
}

open_struct! {
    /// `ContentBlockDeltaEvent`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ContentBlockDeltaEvent("ContentBlockDeltaEvent") {
        /// `delta`
        pub delta: ContentBlockDelta = "delta",
        /// `contentBlockIndex`
        pub content_block_index: u32 = "contentBlockIndex",
    }
    optional {}
}

union_shape! {
    /// `ContentBlockDelta`.
    ContentBlockDelta("ContentBlockDelta") {
        /// `text`
        Text(String) = "text",
        /// `toolUse`: a fragment of the tool input's JSON text.
        ToolUse(ToolUseBlockDelta) = "toolUse",
        /// `toolResult`
        ToolResult(Vec<ToolResultBlockDelta>) = "toolResult",
        /// `reasoningContent`
        ReasoningContent(ReasoningContentBlockDelta) = "reasoningContent",
        /// `citation`
        Citation(CitationsDelta) = "citation",
        /// `image`
        Image(ImageBlockDelta) = "image",
    }
}

/// `ToolUseBlockDelta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseBlockDelta {
    /// `input`: the next fragment of the input JSON text (split anywhere).
    pub input: String,
}

union_shape! {
    /// `ToolResultBlockDelta`.
    ToolResultBlockDelta("ToolResultBlockDelta") {
        /// `text`
        Text(String) = "text",
        /// `json`
        Json(Value) = "json",
    }
}

union_shape! {
    /// `ReasoningContentBlockDelta`.
    sensitive ReasoningContentBlockDelta("ReasoningContentBlockDelta") {
        /// `text`
        Text(String) = "text",
        /// `redactedContent` (base64 in JSON)
        RedactedContent(Blob) = "redactedContent",
        /// `signature`
        Signature(String) = "signature",
    }
}

/// `CitationsDelta`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CitationsDelta {
    /// `title`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `source`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `sourceContent`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_content: Option<Vec<CitationSourceContentDelta>>,
    /// `location`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<CitationLocation>,
}

/// `CitationSourceContentDelta`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CitationSourceContentDelta {
    /// `text`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// `ImageBlockDelta`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageBlockDelta {
    /// `source`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ImageSource>,
    /// `error`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBlock>,
}

open_struct! {
    /// `ContentBlockStopEvent`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ContentBlockStopEvent("ContentBlockStopEvent") {
        /// `contentBlockIndex`
        pub content_block_index: u32 = "contentBlockIndex",
    }
    optional {}
}

open_struct! {
    /// `MessageStopEvent`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct MessageStopEvent("MessageStopEvent") {
        /// `stopReason`
        pub stop_reason: StopReason = "stopReason",
    }
    optional {
        /// `additionalModelResponseFields`
        pub additional_model_response_fields: Option<Value> = "additionalModelResponseFields",
    }
}

open_struct! {
    /// `ConverseStreamMetadataEvent`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct MetadataEvent("ConverseStreamMetadataEvent") {
        /// `usage`
        pub usage: TokenUsage = "usage",
        /// `metrics`
        pub metrics: Metrics = "metrics",
    }
    optional {
        /// `trace`
        pub trace: Option<Trace> = "trace",
        /// `performanceConfig`
        pub performance_config: Option<PerformanceConfiguration> = "performanceConfig",
        /// `serviceTier`
        pub service_tier: Option<ServiceTier> = "serviceTier",
    }
}

/// Decode one message of a ConverseStream response.
pub(crate) fn decode(msg: &MessageRef<'_>, events_delivered: u64) -> Result<ConverseStreamEvent> {
    fn payload<T: DeserializeOwned>(
        msg: &MessageRef<'_>,
        event_type: &str,
        events_delivered: u64,
    ) -> Result<T> {
        serde_json::from_slice(msg.payload()).map_err(|e| {
            Error::protocol(format!(
                "the {event_type} event at byte {} is not the documented JSON: {e}",
                msg.offset()
            ))
            .with_phase(Phase::InStream)
            .with_events_delivered(events_delivered)
        })
    }
    let t = event::event_type(msg, events_delivered)?;
    let n = events_delivered;
    Ok(match t {
        "messageStart" => ConverseStreamEvent::MessageStart(payload(msg, t, n)?),
        "contentBlockStart" => ConverseStreamEvent::ContentBlockStart(payload(msg, t, n)?),
        "contentBlockDelta" => ConverseStreamEvent::ContentBlockDelta(payload(msg, t, n)?),
        "contentBlockStop" => ConverseStreamEvent::ContentBlockStop(payload(msg, t, n)?),
        "messageStop" => ConverseStreamEvent::MessageStop(payload(msg, t, n)?),
        "metadata" => ConverseStreamEvent::Metadata(payload(msg, t, n)?),
        other => ConverseStreamEvent::Unknown(UnknownEvent::from_message(other, msg)),
    })
}
