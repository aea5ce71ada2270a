//! Folding the events of a ConverseStream response into the finished assistant [`Message`]:
//! text, tool uses (input fragments joined and parsed as JSON once the block stops), reasoning
//! with its signature, citations, tool results and images, plus the stop reason and usage.
//! The message goes back into the conversation unchanged for the next turn.

use std::collections::BTreeMap;

use serde_json::Value;

use super::events::{
    CitationsDelta, ContentBlockDelta, ContentBlockStart, ConverseStreamEvent,
    ReasoningContentBlockDelta, ToolResultBlockDelta,
};
use super::request::{PerformanceConfiguration, ServiceTier};
use super::response::{Metrics, StopReason, TokenUsage, Trace};
use super::types::{
    Citation, CitationGeneratedContent, CitationSourceContent, CitationsContentBlock, ContentBlock,
    ErrorBlock, ImageBlock, ImageFormat, ImageSource, Message, ReasoningContentBlock,
    ReasoningTextBlock, Role, ToolResultBlock, ToolResultContentBlock, ToolResultStatus,
    ToolUseBlock, ToolUseType,
};
use super::wire::{Blob, UnknownMember};
use crate::error::{Error, Phase, Result};
use crate::event::UnknownEvent;

/// What one ConverseStream response amounts to once all its events are folded in.
#[derive(Debug, Clone, PartialEq)]
pub struct ConverseStreamResult {
    /// The assistant message, ready to be appended to the conversation.
    pub message: Message,
    /// `messageStop.stopReason` (`None` if the stream had no `messageStop`).
    pub stop_reason: Option<StopReason>,
    /// `messageStop.additionalModelResponseFields`
    pub additional_model_response_fields: Option<Value>,
    /// `metadata.usage`
    pub usage: Option<TokenUsage>,
    /// `metadata.metrics`
    pub metrics: Option<Metrics>,
    /// `metadata.trace`
    pub trace: Option<Trace>,
    /// `metadata.performanceConfig`
    pub performance_config: Option<PerformanceConfiguration>,
    /// `metadata.serviceTier`
    pub service_tier: Option<ServiceTier>,
    /// Events of a type this library does not know, in arrival order.
    pub unknown_events: Vec<UnknownEvent>,
    /// Start and delta members this library does not know, with their block index; also the
    /// top-level members of `contentBlockStart`, `contentBlockDelta` and `contentBlockStop`
    /// events this library does not know.
    pub unknown_members: Vec<(u32, UnknownMember)>,
    /// The top-level members of `messageStart`, `messageStop` and `metadata` this library does
    /// not know, as received (a later event's member replaces an earlier one of the same name):
    /// what a ConverseResponse would carry beside its known members.
    pub other: serde_json::Map<String, Value>,
}

impl ConverseStreamResult {
    /// Whether the model asks for tools to be run (`stopReason` `tool_use`).
    pub fn wants_tools(&self) -> bool {
        self.stop_reason == Some(StopReason::ToolUse)
    }
}

enum Block {
    Text {
        text: String,
        citations: Vec<Citation>,
    },
    ToolUse {
        id: String,
        name: String,
        r#type: Option<ToolUseType>,
        input: String,
        parsed: Option<Value>,
    },
    Reasoning {
        text: String,
        signature: Option<String>,
        redacted: Option<Vec<u8>>,
    },
    ToolResult {
        id: String,
        r#type: Option<String>,
        status: Option<ToolResultStatus>,
        content: Vec<ToolResultContentBlock>,
    },
    Image {
        format: ImageFormat,
        source: Option<ImageSource>,
        error: Option<ErrorBlock>,
    },
}

impl Block {
    fn kind(&self) -> &'static str {
        match self {
            Block::Text { .. } => "text",
            Block::ToolUse { .. } => "toolUse",
            Block::Reasoning { .. } => "reasoningContent",
            Block::ToolResult { .. } => "toolResult",
            Block::Image { .. } => "image",
        }
    }
}

/// Folds [`ConverseStreamEvent`]s into a [`ConverseStreamResult`].
///
/// ```
/// use bedrock_stream::converse::{
///     ContentBlockDelta, ContentBlockDeltaEvent, ConverseStreamEvent, MessageAccumulator,
/// };
/// let mut acc = MessageAccumulator::new();
/// for piece in ["Hel", "lo"] {
///     acc.push(&ConverseStreamEvent::ContentBlockDelta(ContentBlockDeltaEvent {
///         delta: ContentBlockDelta::Text(piece.into()),
///         content_block_index: 0,
///         other: Default::default(),
///     }))
///     .unwrap();
/// }
/// assert_eq!(acc.finish().unwrap().message.text(), "Hello");
/// ```
#[derive(Default)]
pub struct MessageAccumulator {
    role: Option<Role>,
    blocks: BTreeMap<u32, Block>,
    stop_reason: Option<StopReason>,
    additional_model_response_fields: Option<Value>,
    usage: Option<TokenUsage>,
    metrics: Option<Metrics>,
    trace: Option<Trace>,
    performance_config: Option<PerformanceConfiguration>,
    service_tier: Option<ServiceTier>,
    unknown_events: Vec<UnknownEvent>,
    unknown_members: Vec<(u32, UnknownMember)>,
    other: serde_json::Map<String, Value>,
}

impl std::fmt::Debug for MessageAccumulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageAccumulator")
            .field("blocks", &self.blocks.len())
            .field("stop_reason", &self.stop_reason)
            .finish()
    }
}

fn inconsistent(message: String) -> Error {
    Error::protocol(message).with_phase(Phase::InStream)
}

impl MessageAccumulator {
    /// An empty accumulator.
    pub fn new() -> MessageAccumulator {
        MessageAccumulator::default()
    }

    /// Fold in one event. An error means the events contradict each other (a delta of one
    /// kind for a block of another, a tool use whose joined input is not JSON, ...).
    pub fn push(&mut self, event: &ConverseStreamEvent) -> Result<()> {
        self.keep_unknown_members(event);
        match event {
            ConverseStreamEvent::MessageStart(m) => self.role = Some(m.role.clone()),
            ConverseStreamEvent::ContentBlockStart(s) => {
                self.start(s.content_block_index, &s.start)?
            }
            ConverseStreamEvent::ContentBlockDelta(d) => {
                self.delta(d.content_block_index, &d.delta)?
            }
            ConverseStreamEvent::ContentBlockStop(s) => {
                if let Some(block) = self.blocks.get_mut(&s.content_block_index) {
                    parse_tool_input(s.content_block_index, block)?;
                }
            }
            ConverseStreamEvent::MessageStop(m) => {
                self.stop_reason = Some(m.stop_reason.clone());
                self.additional_model_response_fields = m.additional_model_response_fields.clone();
            }
            ConverseStreamEvent::Metadata(m) => {
                self.usage = Some(m.usage.clone());
                self.metrics = Some(m.metrics.clone());
                self.trace = m.trace.clone();
                self.performance_config = m.performance_config.clone();
                self.service_tier = m.service_tier.clone();
            }
            ConverseStreamEvent::Unknown(u) => self.unknown_events.push(u.clone()),
        }
        Ok(())
    }

    /// Keep the event's top-level members this library does not know (cheap when there are
    /// none, the usual case).
    fn keep_unknown_members(&mut self, event: &ConverseStreamEvent) {
        let (index, other) = match event {
            ConverseStreamEvent::ContentBlockStart(e) => (Some(e.content_block_index), &e.other),
            ConverseStreamEvent::ContentBlockDelta(e) => (Some(e.content_block_index), &e.other),
            ConverseStreamEvent::ContentBlockStop(e) => (Some(e.content_block_index), &e.other),
            ConverseStreamEvent::MessageStart(e) => (None, &e.other),
            ConverseStreamEvent::MessageStop(e) => (None, &e.other),
            ConverseStreamEvent::Metadata(e) => (None, &e.other),
            ConverseStreamEvent::Unknown(_) => return,
        };
        for (name, value) in other {
            match index {
                Some(index) => self.unknown_members.push((
                    index,
                    UnknownMember {
                        name: name.clone(),
                        value: value.clone(),
                    },
                )),
                None => {
                    self.other.insert(name.clone(), value.clone());
                }
            }
        }
    }

    fn start(&mut self, index: u32, start: &ContentBlockStart) -> Result<()> {
        let block = match start {
            ContentBlockStart::ToolUse(t) => Block::ToolUse {
                id: t.tool_use_id.clone(),
                name: t.name.clone(),
                r#type: t.r#type.clone(),
                input: String::new(),
                parsed: None,
            },
            ContentBlockStart::ToolResult(t) => Block::ToolResult {
                id: t.tool_use_id.clone(),
                r#type: t.r#type.clone(),
                status: t.status.clone(),
                content: Vec::new(),
            },
            ContentBlockStart::Image(i) => Block::Image {
                format: i.format.clone(),
                source: None,
                error: None,
            },
            ContentBlockStart::Unknown(u) => {
                self.unknown_members.push((index, u.clone()));
                return Ok(());
            }
        };
        if let Some(old) = self.blocks.get(&index) {
            return Err(inconsistent(format!(
                "contentBlockStart for block {index}, which already holds a {} block",
                old.kind()
            )));
        }
        self.blocks.insert(index, block);
        Ok(())
    }

    fn delta(&mut self, index: u32, delta: &ContentBlockDelta) -> Result<()> {
        if let ContentBlockDelta::Unknown(u) = delta {
            self.unknown_members.push((index, u.clone()));
            return Ok(());
        }
        let block = match self.blocks.entry(index) {
            std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => match delta {
                // Text and reasoning blocks may come without a contentBlockStart.
                ContentBlockDelta::Text(_) | ContentBlockDelta::Citation(_) => {
                    v.insert(Block::Text {
                        text: String::new(),
                        citations: Vec::new(),
                    })
                }
                ContentBlockDelta::ReasoningContent(_) => v.insert(Block::Reasoning {
                    text: String::new(),
                    signature: None,
                    redacted: None,
                }),
                other => {
                    return Err(inconsistent(format!(
                        "a {} delta for block {index}, which had no contentBlockStart",
                        other.member_name()
                    )))
                }
            },
        };
        match (block, delta) {
            (Block::Text { text, .. }, ContentBlockDelta::Text(t)) => text.push_str(t),
            (Block::Text { citations, .. }, ContentBlockDelta::Citation(c)) => {
                citations.push(citation(c))
            }
            (Block::ToolUse { input, parsed, .. }, ContentBlockDelta::ToolUse(t)) => {
                if parsed.is_some() {
                    return Err(inconsistent(format!(
                        "a toolUse delta for block {index} after its contentBlockStop"
                    )));
                }
                input.push_str(&t.input)
            }
            (
                Block::Reasoning {
                    text,
                    signature,
                    redacted,
                },
                ContentBlockDelta::ReasoningContent(r),
            ) => match r {
                ReasoningContentBlockDelta::Text(t) => text.push_str(t),
                ReasoningContentBlockDelta::Signature(s) => {
                    signature.get_or_insert_with(String::new).push_str(s)
                }
                ReasoningContentBlockDelta::RedactedContent(b) => redacted
                    .get_or_insert_with(Vec::new)
                    .extend_from_slice(b.as_bytes()),
                ReasoningContentBlockDelta::Unknown(u) => {
                    self.unknown_members.push((index, u.clone()))
                }
            },
            (Block::ToolResult { content, .. }, ContentBlockDelta::ToolResult(parts)) => {
                for p in parts {
                    match p {
                        ToolResultBlockDelta::Text(t) => match content.last_mut() {
                            Some(ToolResultContentBlock::Text(prev)) => prev.push_str(t),
                            _ => content.push(ToolResultContentBlock::Text(t.clone())),
                        },
                        ToolResultBlockDelta::Json(j) => {
                            content.push(ToolResultContentBlock::Json(j.clone()))
                        }
                        ToolResultBlockDelta::Unknown(u) => {
                            self.unknown_members.push((index, u.clone()))
                        }
                    }
                }
            }
            (Block::Image { source, error, .. }, ContentBlockDelta::Image(i)) => {
                if i.source.is_some() {
                    *source = i.source.clone();
                }
                if i.error.is_some() {
                    *error = i.error.clone();
                }
            }
            (block, delta) => {
                return Err(inconsistent(format!(
                    "a {} delta for block {index}, which is a {} block",
                    delta.member_name(),
                    block.kind()
                )))
            }
        }
        Ok(())
    }

    /// The finished message and everything else the stream said.
    pub fn finish(mut self) -> Result<ConverseStreamResult> {
        let mut content = Vec::with_capacity(self.blocks.len());
        for (index, mut block) in std::mem::take(&mut self.blocks) {
            parse_tool_input(index, &mut block)?;
            content.push(finish_block(index, block)?);
        }
        Ok(ConverseStreamResult {
            message: Message {
                role: self.role.unwrap_or(Role::Assistant),
                content,
            },
            stop_reason: self.stop_reason,
            additional_model_response_fields: self.additional_model_response_fields,
            usage: self.usage,
            metrics: self.metrics,
            trace: self.trace,
            performance_config: self.performance_config,
            service_tier: self.service_tier,
            unknown_events: self.unknown_events,
            unknown_members: self.unknown_members,
            other: self.other,
        })
    }
}

fn citation(c: &CitationsDelta) -> Citation {
    Citation {
        title: c.title.clone(),
        source: c.source.clone(),
        source_content: c.source_content.as_ref().map(|list| {
            list.iter()
                .filter_map(|s| s.text.clone().map(CitationSourceContent::Text))
                .collect()
        }),
        location: c.location.clone(),
    }
}

/// Parse the joined input of a tool-use block once (an empty input is `{}`).
fn parse_tool_input(index: u32, block: &mut Block) -> Result<()> {
    if let Block::ToolUse {
        input,
        parsed,
        name,
        ..
    } = block
    {
        if parsed.is_none() {
            let value = if input.trim().is_empty() {
                Value::Object(Default::default())
            } else {
                serde_json::from_str(input).map_err(|e| {
                    inconsistent(format!(
                        "the input of tool use {name:?} (block {index}) is not JSON once its \
                         fragments are joined: {e}"
                    ))
                })?
            };
            *parsed = Some(value);
        }
    }
    Ok(())
}

fn finish_block(index: u32, block: Block) -> Result<ContentBlock> {
    Ok(match block {
        Block::Text { text, citations } if citations.is_empty() => ContentBlock::Text(text),
        Block::Text { text, citations } => ContentBlock::CitationsContent(CitationsContentBlock {
            content: Some(vec![CitationGeneratedContent::Text(text)]),
            citations: Some(citations),
        }),
        Block::ToolUse {
            id,
            name,
            r#type,
            parsed,
            ..
        } => ContentBlock::ToolUse(ToolUseBlock {
            tool_use_id: id,
            name,
            input: parsed.unwrap_or(Value::Null),
            r#type,
        }),
        Block::Reasoning {
            text,
            signature,
            redacted,
        } => match redacted {
            None => ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(
                ReasoningTextBlock { text, signature },
            )),
            Some(bytes) if text.is_empty() && signature.is_none() => {
                ContentBlock::ReasoningContent(ReasoningContentBlock::RedactedContent(Blob(bytes)))
            }
            Some(_) => {
                return Err(inconsistent(format!(
                    "reasoning block {index} has both text and redactedContent deltas"
                )))
            }
        },
        Block::ToolResult {
            id,
            r#type,
            status,
            content,
        } => ContentBlock::ToolResult(ToolResultBlock {
            tool_use_id: id,
            content,
            status,
            r#type,
        }),
        Block::Image {
            format,
            source: Some(source),
            error,
        } => ContentBlock::Image(ImageBlock {
            format,
            source,
            error,
        }),
        Block::Image { source: None, .. } => {
            return Err(inconsistent(format!(
                "image block {index} ended without a source"
            )))
        }
    })
}
