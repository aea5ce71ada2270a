//! Converse and ConverseStream: one request shape and one event shape for every model, with
//! tool use, reasoning, guardrails and usage in typed form.
//!
//! * [`ConverseRequest`]: every member of `ConverseStreamRequest` / `ConverseRequest`, serialised
//!   exactly as the service expects (member names of the service model, base64 for blobs,
//!   unset members omitted); [`ConverseJson`] for a body the caller already has as JSON text.
//! * [`ConverseStreamEvent`]: the events of `ConverseStreamOutput`; exceptions in the stream are
//!   the crate's typed [`Error`](crate::Error); unknown event types and union members are kept,
//!   never an error.
//! * [`MessageAccumulator`]: folds the events into the finished assistant [`Message`], ready to
//!   be appended to the conversation for the next turn.
//! * [`ConverseResponse`]: the answer of the non-streaming Converse.
//!
//! Union shapes of the service model are Rust enums with an `Unknown` variant holding the
//! member's name and raw JSON; enum shapes are Rust enums with an `Unknown(String)` variant.

mod accumulator;
mod events;
mod request;
mod response;
mod stream;
mod types;
pub(crate) mod wire;

pub use accumulator::{ConverseStreamResult, MessageAccumulator};
pub(crate) use events::decode;
pub use events::{
    CitationSourceContentDelta, CitationsDelta, ContentBlockDelta, ContentBlockDeltaEvent,
    ContentBlockStart, ContentBlockStartEvent, ContentBlockStopEvent, ConverseStreamEvent,
    ImageBlockDelta, ImageBlockStart, MessageStartEvent, MessageStopEvent, MetadataEvent,
    ReasoningContentBlockDelta, ToolResultBlockDelta, ToolResultBlockStart, ToolUseBlockDelta,
    ToolUseBlockStart,
};
pub use request::{
    AnyToolChoice, AutoToolChoice, ConverseJson, ConverseRequest, GuardrailConfiguration,
    GuardrailStreamProcessingMode, GuardrailTrace, InferenceConfiguration, JsonSchemaDefinition,
    OutputConfig, OutputFormat, OutputFormatStructure, OutputFormatType, PerformanceConfigLatency,
    PerformanceConfiguration, PromptVariableValues, ServiceTier, ServiceTierType,
    SpecificToolChoice, SystemTool, Tool, ToolChoice, ToolConfiguration, ToolInputSchema,
    ToolSpecification, MAX_RESPONSE_FIELD_PATHS,
};
pub use response::{
    CacheDetail, ConverseOutput, ConverseResponse, GuardrailTraceAssessment, Metrics,
    PromptRouterTrace, StopReason, TokenUsage, Trace,
};
pub use stream::ConverseEventStream;
pub use types::{
    AudioBlock, AudioFormat, AudioSource, CachePointBlock, CachePointType, CacheTtl, Citation,
    CitationGeneratedContent, CitationLocation, CitationSourceContent, CitationsConfig,
    CitationsContentBlock, ContentBlock, DocumentBlock, DocumentContentBlock, DocumentFormat,
    DocumentLocation, DocumentSource, ErrorBlock, GuardrailConverseContentBlock,
    GuardrailConverseContentQualifier, GuardrailConverseImageBlock, GuardrailConverseImageFormat,
    GuardrailConverseImageSource, GuardrailConverseTextBlock, ImageBlock, ImageFormat, ImageSource,
    Message, ReasoningContentBlock, ReasoningTextBlock, Role, S3Location, SearchResultBlock,
    SearchResultContentBlock, SearchResultLocation, SystemContentBlock, ToolAdditionBlock,
    ToolReference, ToolRemovalBlock, ToolResultBlock, ToolResultContentBlock, ToolResultStatus,
    ToolUseBlock, ToolUseType, VideoBlock, VideoFormat, VideoSource, WebLocation,
};
pub use wire::{Blob, UnknownMember};
