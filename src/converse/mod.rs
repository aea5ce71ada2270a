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
//!
//! # A tool-use loop
//!
//! The model asks for a tool, the program runs it and sends the result back with the model's
//! own message, until the model ends its turn (here against the crate's emulator):
//!
//! ```
//! # #[cfg(feature = "emulator")] {
//! use bedrock_stream::converse::{
//!     ContentBlock, ConverseRequest, Message, Role, StopReason, ToolResultBlock,
//!     ToolSpecification,
//! };
//! use serde_json::json;
//!
//! # let emulator = bedrock_stream::emulator::Emulator::builder().start().unwrap();
//! # let client = bedrock_stream::Client::builder()
//! #     .region("us-east-1")
//! #     .endpoint_url(emulator.endpoint_url())
//! #     .credentials(bedrock_stream::Credentials::new("AKIDEMULATOR", "emulator-secret", None))
//! #     .ignore_env_bearer_token(true)
//! #     .no_proxy()
//! #     .build()
//! #     .unwrap();
//! let mut request = ConverseRequest::new("anthropic.claude-3-5-haiku-20241022-v1:0")
//!     .message(Message::user("What is the weather in Zürich?"))
//!     .tool(ToolSpecification::new(
//!         "get_weather",
//!         json!({"type": "object", "properties": {"city": {"type": "string"}}}),
//!     ));
//! loop {
//!     let answer = client.converse_stream(&request)?.accumulate()?;
//!     print!("{}", answer.message.text());
//!     if answer.stop_reason != Some(StopReason::ToolUse) {
//!         break;
//!     }
//!     let results = answer
//!         .message
//!         .tool_uses()
//!         .map(|t| ContentBlock::ToolResult(ToolResultBlock::json(&t.tool_use_id, json!({"celsius": 21}))))
//!         .collect();
//!     request = request
//!         .message(answer.message)
//!         .message(Message::new(Role::User, results));
//! }
//! # assert_eq!(request.messages.as_ref().unwrap().len(), 3);
//! # }
//! # Ok::<(), bedrock_stream::Error>(())
//! ```

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
