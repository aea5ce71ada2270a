//! Messages and content blocks (`Message`, `ContentBlock` and everything they hold), shared by
//! requests, responses and the accumulator. Member names, optionality and unions follow the
//! service model exactly.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::wire::{open_enum, union_shape, Blob};

open_enum! {
    /// `ConversationRole`.
    Role {
        /// `user`
        User = "user",
        /// `assistant`
        Assistant = "assistant",
        /// `system`
        System = "system",
    }
}

/// `Message`: one turn of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// `role`
    pub role: Role,
    /// `content`
    pub content: Vec<ContentBlock>,
}

impl Message {
    /// A message with these blocks.
    pub fn new(role: Role, content: Vec<ContentBlock>) -> Message {
        Message { role, content }
    }

    /// A user message holding one text block.
    pub fn user(text: impl Into<String>) -> Message {
        Message::new(Role::User, vec![ContentBlock::Text(text.into())])
    }

    /// An assistant message holding one text block.
    pub fn assistant(text: impl Into<String>) -> Message {
        Message::new(Role::Assistant, vec![ContentBlock::Text(text.into())])
    }

    /// The text of all `text` blocks, concatenated.
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The `toolUse` blocks, in order.
    pub fn tool_uses(&self) -> impl Iterator<Item = &ToolUseBlock> {
        self.content.iter().filter_map(|b| match b {
            ContentBlock::ToolUse(t) => Some(t),
            _ => None,
        })
    }
}

union_shape! {
    /// `ContentBlock`: exactly one kind of content.
    ContentBlock("ContentBlock") {
        /// `text`
        Text(String) = "text",
        /// `image`
        Image(ImageBlock) = "image",
        /// `document`
        Document(DocumentBlock) = "document",
        /// `video`
        Video(VideoBlock) = "video",
        /// `audio`
        Audio(AudioBlock) = "audio",
        /// `toolUse`
        ToolUse(ToolUseBlock) = "toolUse",
        /// `toolResult`
        ToolResult(ToolResultBlock) = "toolResult",
        /// `guardContent`
        GuardContent(GuardrailConverseContentBlock) = "guardContent",
        /// `cachePoint`
        CachePoint(CachePointBlock) = "cachePoint",
        /// `reasoningContent`
        ReasoningContent(ReasoningContentBlock) = "reasoningContent",
        /// `citationsContent`
        CitationsContent(CitationsContentBlock) = "citationsContent",
        /// `searchResult`
        SearchResult(SearchResultBlock) = "searchResult",
        /// `toolAddition`
        ToolAddition(ToolAdditionBlock) = "toolAddition",
        /// `toolRemoval`
        ToolRemoval(ToolRemovalBlock) = "toolRemoval",
    }
}

union_shape! {
    /// `SystemContentBlock`: one block of the system prompt.
    SystemContentBlock("SystemContentBlock") {
        /// `text`
        Text(String) = "text",
        /// `guardContent`
        GuardContent(GuardrailConverseContentBlock) = "guardContent",
        /// `cachePoint`
        CachePoint(CachePointBlock) = "cachePoint",
    }
}

// ---- media ----

open_enum! {
    /// `ImageFormat`.
    ImageFormat {
        /// `png`
        Png = "png",
        /// `jpeg`
        Jpeg = "jpeg",
        /// `gif`
        Gif = "gif",
        /// `webp`
        Webp = "webp",
    }
}

/// `ImageBlock`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageBlock {
    /// `format`
    pub format: ImageFormat,
    /// `source`
    pub source: ImageSource,
    /// `error`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBlock>,
}

impl ImageBlock {
    /// An image given by its bytes.
    pub fn bytes(format: ImageFormat, bytes: impl Into<Vec<u8>>) -> ImageBlock {
        ImageBlock {
            format,
            source: ImageSource::Bytes(Blob(bytes.into())),
            error: None,
        }
    }
}

union_shape! {
    /// `ImageSource`.
    sensitive ImageSource("ImageSource") {
        /// `bytes` (base64 in JSON)
        Bytes(Blob) = "bytes",
        /// `s3Location`
        S3Location(S3Location) = "s3Location",
    }
}

/// `S3Location`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Location {
    /// `uri` (`s3://bucket/key`)
    pub uri: String,
    /// `bucketOwner`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_owner: Option<String>,
}

/// `ErrorBlock` (sensitive: `Debug` hides the message).
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBlock {
    /// `message`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl fmt::Debug for ErrorBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ErrorBlock(** sensitive **)")
    }
}

open_enum! {
    /// `DocumentFormat`.
    DocumentFormat {
        /// `pdf`
        Pdf = "pdf",
        /// `csv`
        Csv = "csv",
        /// `doc`
        Doc = "doc",
        /// `docx`
        Docx = "docx",
        /// `xls`
        Xls = "xls",
        /// `xlsx`
        Xlsx = "xlsx",
        /// `html`
        Html = "html",
        /// `txt`
        Txt = "txt",
        /// `md`
        Md = "md",
    }
}

/// `DocumentBlock`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentBlock {
    /// `format`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<DocumentFormat>,
    /// `name` (1 to 200 characters)
    pub name: String,
    /// `source`
    pub source: DocumentSource,
    /// `context`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// `citations`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citations: Option<CitationsConfig>,
}

impl DocumentBlock {
    /// A document given by its bytes.
    pub fn bytes(
        format: DocumentFormat,
        name: impl Into<String>,
        bytes: impl Into<Vec<u8>>,
    ) -> DocumentBlock {
        DocumentBlock {
            format: Some(format),
            name: name.into(),
            source: DocumentSource::Bytes(Blob(bytes.into())),
            context: None,
            citations: None,
        }
    }
}

union_shape! {
    /// `DocumentSource`.
    DocumentSource("DocumentSource") {
        /// `bytes` (base64 in JSON)
        Bytes(Blob) = "bytes",
        /// `s3Location`
        S3Location(S3Location) = "s3Location",
        /// `text`
        Text(String) = "text",
        /// `content`
        Content(Vec<DocumentContentBlock>) = "content",
    }
}

union_shape! {
    /// `DocumentContentBlock`.
    DocumentContentBlock("DocumentContentBlock") {
        /// `text`
        Text(String) = "text",
    }
}

/// `CitationsConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CitationsConfig {
    /// `enabled`
    pub enabled: bool,
}

open_enum! {
    /// `VideoFormat`.
    VideoFormat {
        /// `mkv`
        Mkv = "mkv",
        /// `mov`
        Mov = "mov",
        /// `mp4`
        Mp4 = "mp4",
        /// `webm`
        Webm = "webm",
        /// `flv`
        Flv = "flv",
        /// `mpeg`
        Mpeg = "mpeg",
        /// `mpg`
        Mpg = "mpg",
        /// `wmv`
        Wmv = "wmv",
        /// `three_gp`
        ThreeGp = "three_gp",
    }
}

/// `VideoBlock`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoBlock {
    /// `format`
    pub format: VideoFormat,
    /// `source`
    pub source: VideoSource,
}

union_shape! {
    /// `VideoSource`.
    VideoSource("VideoSource") {
        /// `bytes` (base64 in JSON)
        Bytes(Blob) = "bytes",
        /// `s3Location`
        S3Location(S3Location) = "s3Location",
    }
}

open_enum! {
    /// `AudioFormat`.
    AudioFormat {
        /// `mp3`
        Mp3 = "mp3",
        /// `opus`
        Opus = "opus",
        /// `wav`
        Wav = "wav",
        /// `aac`
        Aac = "aac",
        /// `flac`
        Flac = "flac",
        /// `mp4`
        Mp4 = "mp4",
        /// `ogg`
        Ogg = "ogg",
        /// `mkv`
        Mkv = "mkv",
        /// `mka`
        Mka = "mka",
        /// `x-aac`
        XAac = "x-aac",
        /// `m4a`
        M4a = "m4a",
        /// `mpeg`
        Mpeg = "mpeg",
        /// `mpga`
        Mpga = "mpga",
        /// `pcm`
        Pcm = "pcm",
        /// `webm`
        Webm = "webm",
    }
}

/// `AudioBlock`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AudioBlock {
    /// `format`
    pub format: AudioFormat,
    /// `source`
    pub source: AudioSource,
    /// `error`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBlock>,
}

union_shape! {
    /// `AudioSource`.
    sensitive AudioSource("AudioSource") {
        /// `bytes` (base64 in JSON)
        Bytes(Blob) = "bytes",
        /// `s3Location`
        S3Location(S3Location) = "s3Location",
    }
}

// ---- tools ----

open_enum! {
    /// `ToolUseType`.
    ToolUseType {
        /// `server_tool_use`
        ServerToolUse = "server_tool_use",
    }
}

/// `ToolUseBlock`: the model asks for a tool to be run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseBlock {
    /// `toolUseId`
    pub tool_use_id: String,
    /// `name`
    pub name: String,
    /// `input`: the tool's arguments (any JSON value, passed through unchanged).
    pub input: Value,
    /// `type`
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<ToolUseType>,
}

open_enum! {
    /// `ToolResultStatus`.
    ToolResultStatus {
        /// `success`
        Success = "success",
        /// `error`
        Error = "error",
    }
}

/// `ToolResultBlock`: the result of a tool run, sent back in a user message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolResultBlock {
    /// `toolUseId` of the `toolUse` block this answers.
    pub tool_use_id: String,
    /// `content`
    pub content: Vec<ToolResultContentBlock>,
    /// `status`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ToolResultStatus>,
    /// `type`
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
}

impl ToolResultBlock {
    /// A successful result holding one JSON value.
    pub fn json(tool_use_id: impl Into<String>, value: Value) -> ToolResultBlock {
        ToolResultBlock {
            tool_use_id: tool_use_id.into(),
            content: vec![ToolResultContentBlock::Json(value)],
            status: Some(ToolResultStatus::Success),
            r#type: None,
        }
    }

    /// A successful result holding one text.
    pub fn text(tool_use_id: impl Into<String>, text: impl Into<String>) -> ToolResultBlock {
        ToolResultBlock {
            tool_use_id: tool_use_id.into(),
            content: vec![ToolResultContentBlock::Text(text.into())],
            status: Some(ToolResultStatus::Success),
            r#type: None,
        }
    }
}

union_shape! {
    /// `ToolResultContentBlock`.
    ToolResultContentBlock("ToolResultContentBlock") {
        /// `json`
        Json(Value) = "json",
        /// `text`
        Text(String) = "text",
        /// `image`
        Image(ImageBlock) = "image",
        /// `document`
        Document(DocumentBlock) = "document",
        /// `video`
        Video(VideoBlock) = "video",
        /// `searchResult`
        SearchResult(SearchResultBlock) = "searchResult",
    }
}

/// `SearchResultBlock`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResultBlock {
    /// `source`
    pub source: String,
    /// `title`
    pub title: String,
    /// `content`
    pub content: Vec<SearchResultContentBlock>,
    /// `citations`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citations: Option<CitationsConfig>,
}

/// `SearchResultContentBlock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResultContentBlock {
    /// `text`
    pub text: String,
}

/// `ToolReference` (of `toolAddition` / `toolRemoval`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolReference {
    /// `type`
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// `name`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `serverName`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
}

/// `ToolAdditionBlock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolAdditionBlock {
    /// `tool`
    pub tool: ToolReference,
}

/// `ToolRemovalBlock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolRemovalBlock {
    /// `tool`
    pub tool: ToolReference,
}

// ---- guardrails and caching ----

union_shape! {
    /// `GuardrailConverseContentBlock`: content the guardrail evaluates.
    GuardrailConverseContentBlock("GuardrailConverseContentBlock") {
        /// `text`
        Text(GuardrailConverseTextBlock) = "text",
        /// `image`
        Image(GuardrailConverseImageBlock) = "image",
    }
}

open_enum! {
    /// `GuardrailConverseContentQualifier`.
    GuardrailConverseContentQualifier {
        /// `grounding_source`
        GroundingSource = "grounding_source",
        /// `query`
        Query = "query",
        /// `guard_content`
        GuardContent = "guard_content",
    }
}

/// `GuardrailConverseTextBlock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailConverseTextBlock {
    /// `text`
    pub text: String,
    /// `qualifiers`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifiers: Option<Vec<GuardrailConverseContentQualifier>>,
}

open_enum! {
    /// `GuardrailConverseImageFormat`.
    GuardrailConverseImageFormat {
        /// `png`
        Png = "png",
        /// `jpeg`
        Jpeg = "jpeg",
    }
}

/// `GuardrailConverseImageBlock` (sensitive: `Debug` shows the format only).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailConverseImageBlock {
    /// `format`
    pub format: GuardrailConverseImageFormat,
    /// `source`
    pub source: GuardrailConverseImageSource,
}

impl fmt::Debug for GuardrailConverseImageBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GuardrailConverseImageBlock({}, ** sensitive **)",
            self.format
        )
    }
}

union_shape! {
    /// `GuardrailConverseImageSource`.
    sensitive GuardrailConverseImageSource("GuardrailConverseImageSource") {
        /// `bytes` (base64 in JSON)
        Bytes(Blob) = "bytes",
    }
}

open_enum! {
    /// `CachePointType`.
    CachePointType {
        /// `default`
        Default = "default",
    }
}

open_enum! {
    /// `CacheTTL`.
    CacheTtl {
        /// `5m`
        FiveMinutes = "5m",
        /// `1h`
        OneHour = "1h",
    }
}

/// `CachePointBlock`: a prompt-cache checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachePointBlock {
    /// `type`
    #[serde(rename = "type")]
    pub r#type: CachePointType,
    /// `ttl`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<CacheTtl>,
}

impl Default for CachePointBlock {
    fn default() -> CachePointBlock {
        CachePointBlock {
            r#type: CachePointType::Default,
            ttl: None,
        }
    }
}

// ---- reasoning and citations ----

union_shape! {
    /// `ReasoningContentBlock`: the model's reasoning (send it back unchanged on the next turn).
    sensitive ReasoningContentBlock("ReasoningContentBlock") {
        /// `reasoningText`
        ReasoningText(ReasoningTextBlock) = "reasoningText",
        /// `redactedContent` (base64 in JSON)
        RedactedContent(Blob) = "redactedContent",
    }
}

/// `ReasoningTextBlock` (sensitive: `Debug` shows lengths only).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasoningTextBlock {
    /// `text`
    pub text: String,
    /// `signature`: proves the reasoning is the model's; must go back with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl fmt::Debug for ReasoningTextBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ReasoningTextBlock(<{} bytes of text>, signature: {})",
            self.text.len(),
            self.signature.is_some()
        )
    }
}

/// `CitationsContentBlock`: generated text with the sources it cites.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CitationsContentBlock {
    /// `content`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Vec<CitationGeneratedContent>>,
    /// `citations`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citations: Option<Vec<Citation>>,
}

union_shape! {
    /// `CitationGeneratedContent`.
    CitationGeneratedContent("CitationGeneratedContent") {
        /// `text`
        Text(String) = "text",
    }
}

/// `Citation`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Citation {
    /// `title`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `source`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `sourceContent`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_content: Option<Vec<CitationSourceContent>>,
    /// `location`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<CitationLocation>,
}

union_shape! {
    /// `CitationSourceContent`.
    CitationSourceContent("CitationSourceContent") {
        /// `text`
        Text(String) = "text",
    }
}

union_shape! {
    /// `CitationLocation`.
    CitationLocation("CitationLocation") {
        /// `web`
        Web(WebLocation) = "web",
        /// `documentChar`
        DocumentChar(DocumentLocation) = "documentChar",
        /// `documentPage`
        DocumentPage(DocumentLocation) = "documentPage",
        /// `documentChunk`
        DocumentChunk(DocumentLocation) = "documentChunk",
        /// `searchResultLocation`
        SearchResultLocation(SearchResultLocation) = "searchResultLocation",
    }
}

/// `WebLocation`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebLocation {
    /// `url`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `domain`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

/// `DocumentCharLocation`, `DocumentPageLocation` and `DocumentChunkLocation` (the same three
/// members; what `start`/`end` count depends on the union member holding it).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentLocation {
    /// `documentIndex`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_index: Option<u32>,
    /// `start`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<u32>,
    /// `end`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<u32>,
}

/// `SearchResultLocation`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResultLocation {
    /// `searchResultIndex`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_result_index: Option<u32>,
    /// `start`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<u32>,
    /// `end`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<u32>,
}
