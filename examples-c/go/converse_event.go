package bedrockstream

/*
#include "bsgo_converse.h"
*/
import "C"

import (
	"encoding/json"
	"time"
)

// ConverseEventType is the type of a ConverseStream event (its :event-type).
type ConverseEventType int32

// The event types of ConverseStream (the numbers are the C library's; checked against the
// header at compile time).
const (
	// EventMessageStart: the assistant's message begins (Role).
	EventMessageStart ConverseEventType = 1
	// EventContentBlockStart: a block that has a start: a tool use (ToolUseID, ToolName).
	EventContentBlockStart ConverseEventType = 2
	// EventContentBlockDelta: the next piece of a block (DeltaKind, Delta, Text).
	EventContentBlockDelta ConverseEventType = 3
	// EventContentBlockStop: the block ContentBlockIndex is complete.
	EventContentBlockStop ConverseEventType = 4
	// EventMessageStop: the message is complete (StopReason; JSON has
	// additionalModelResponseFields).
	EventMessageStop ConverseEventType = 5
	// EventMetadata: usage and latency (Usage, Latency; JSON has the trace,
	// performanceConfig and serviceTier).
	EventMetadata ConverseEventType = 6
	// EventUnknown: an event type this library does not know (the service added one). Not
	// an error: TypeName names it, JSON is its payload.
	EventUnknown ConverseEventType = 7
)

// String is the event type as on the wire ("messageStart", ...), "unknown" for EventUnknown.
func (t ConverseEventType) String() string {
	switch t {
	case EventMessageStart:
		return "messageStart"
	case EventContentBlockStart:
		return "contentBlockStart"
	case EventContentBlockDelta:
		return "contentBlockDelta"
	case EventContentBlockStop:
		return "contentBlockStop"
	case EventMessageStop:
		return "messageStop"
	case EventMetadata:
		return "metadata"
	case EventUnknown:
		return "unknown"
	}
	return "none"
}

// DeltaKind is what a contentBlockDelta event carries (its delta member).
type DeltaKind int32

// The kinds of delta (the numbers are the C library's).
const (
	// DeltaNone: not a contentBlockDelta event.
	DeltaNone DeltaKind = 0
	// DeltaText: the next piece of the answer's text (also in Text).
	DeltaText DeltaKind = 1
	// DeltaToolUse: the next fragment of a tool use's input JSON text. Fragments split the
	// text anywhere: the stream's Message joins them.
	DeltaToolUse DeltaKind = 2
	// DeltaReasoningText: the next piece of the model's reasoning (UTF-8).
	DeltaReasoningText DeltaKind = 3
	// DeltaReasoningSignature: the next piece of the reasoning's signature.
	DeltaReasoningSignature DeltaKind = 4
	// DeltaReasoningRedacted: encrypted reasoning (raw bytes).
	DeltaReasoningRedacted DeltaKind = 5
	// DeltaCitation: a citation, as JSON text (CitationsDelta).
	DeltaCitation DeltaKind = 6
	// DeltaToolResult: tool result pieces, as JSON text.
	DeltaToolResult DeltaKind = 7
	// DeltaImage: an image piece, as JSON text.
	DeltaImage DeltaKind = 8
	// DeltaUnknown: a delta member this library does not know (Member names it); Delta is
	// its value as JSON text.
	DeltaUnknown DeltaKind = 9
)

// String names the kind as the service model's delta member does ("text", "toolUse",
// "reasoningContent.text", ...).
func (k DeltaKind) String() string {
	switch k {
	case DeltaText:
		return "text"
	case DeltaToolUse:
		return "toolUse"
	case DeltaReasoningText:
		return "reasoningContent.text"
	case DeltaReasoningSignature:
		return "reasoningContent.signature"
	case DeltaReasoningRedacted:
		return "reasoningContent.redactedContent"
	case DeltaCitation:
		return "citation"
	case DeltaToolResult:
		return "toolResult"
	case DeltaImage:
		return "image"
	case DeltaUnknown:
		return "unknown"
	}
	return "none"
}

// Stop reasons of Converse besides those of StopReason's common values.
const (
	StopGuardrailIntervened StopReason = "guardrail_intervened" // a guardrail stopped the answer
	StopContentFiltered     StopReason = "content_filtered"     // the content was filtered
)

// ConverseUsage is the token usage of one answer (TokenUsage). The cache counts are nil when
// the request did not use prompt caching.
type ConverseUsage struct {
	InputTokens           uint64
	OutputTokens          uint64
	TotalTokens           uint64
	CacheReadInputTokens  *uint64
	CacheWriteInputTokens *uint64
}

// ConverseEvent is one event of a ConverseStream response, copied into Go memory: it stays
// valid after the next event and may be kept. Type says which fields are set; the others
// are zero.
type ConverseEvent struct {
	Type ConverseEventType
	// TypeName is the :event-type as on the wire, also for EventUnknown.
	TypeName string
	// Role of EventMessageStart ("assistant").
	Role ConverseRole
	// ContentBlockIndex of EventContentBlockStart, EventContentBlockDelta and
	// EventContentBlockStop: the index of the block in the message.
	ContentBlockIndex int
	// Member is the union member of EventContentBlockStart (its start) or
	// EventContentBlockDelta (its delta) as on the wire: "toolUse", "text",
	// "reasoningContent", ..., or one this library does not know.
	Member string
	// DeltaKind of EventContentBlockDelta (DeltaNone for other events).
	DeltaKind DeltaKind
	// Delta is the delta's bytes by DeltaKind: the text or reasoning piece, the tool input
	// fragment, the signature piece, the redacted bytes, or the member's value as JSON text.
	Delta []byte
	// Text is the answer's text piece of a DeltaText event ("" otherwise), to print as it
	// arrives.
	Text string
	// ToolUseID and ToolName of an EventContentBlockStart that starts a tool use.
	ToolUseID string
	ToolName  string
	// StopReason of EventMessageStop.
	StopReason StopReason
	// Usage of EventMetadata (nil otherwise).
	Usage *ConverseUsage
	// Latency is metrics.latencyMs of EventMetadata (nil otherwise).
	Latency *time.Duration
	// JSON is the event's members under the service model's names, e.g.
	// {"contentBlockIndex":0,"delta":{"text":"Hel"}}: the way to read what has no field
	// (additionalModelResponseFields, trace, ...). For EventUnknown, the raw payload.
	JSON json.RawMessage
}

// converseUsage converts the C usage.
func converseUsage(u *C.bedrock_stream_converse_usage) *ConverseUsage {
	return &ConverseUsage{
		InputTokens:           uint64(u.input_tokens),
		OutputTokens:          uint64(u.output_tokens),
		TotalTokens:           uint64(u.total_tokens),
		CacheReadInputTokens:  count(u.has_cache_read_input_tokens, u.cache_read_input_tokens),
		CacheWriteInputTokens: count(u.has_cache_write_input_tokens, u.cache_write_input_tokens),
	}
}

// copyConverseEvent copies everything out of an event lent by the library.
func copyConverseEvent(ev *C.bedrock_stream_converse_event) *ConverseEvent {
	var v C.bsgo_converse_event_view
	C.bsgo_view_converse_event(ev, &v)
	e := &ConverseEvent{
		Type:       ConverseEventType(v._type),
		TypeName:   goStringOrEmpty(v.type_name),
		Role:       ConverseRole(goStringOrEmpty(v.role)),
		Member:     goStringOrEmpty(v.member),
		DeltaKind:  DeltaKind(v.delta_kind),
		ToolUseID:  goStringOrEmpty(v.tool_use_id),
		ToolName:   goStringOrEmpty(v.tool_use_name),
		StopReason: StopReason(goStringOrEmpty(v.stop_reason)),
		JSON:       copyBytes(v.json),
		Latency:    millisOf(v.has_latency, v.latency_ms),
	}
	if v.has_index {
		e.ContentBlockIndex = int(v.index)
	}
	if e.DeltaKind != DeltaNone {
		e.Delta = copyBytes(v.delta)
		if e.DeltaKind == DeltaText {
			e.Text = string(e.Delta)
		}
	}
	if v.has_usage {
		e.Usage = converseUsage(&v.usage)
	}
	return e
}

// The enumerations above are written as numbers (so that the documentation shows them);
// this expression does not compile ("constant overflows uint") when one differs from the
// header's value.
const _ = 0 +
	uint(int(EventMessageStart)-int(C.BEDROCK_STREAM_CONVERSE_EVENT_TYPE_MESSAGE_START)) + uint(int(C.BEDROCK_STREAM_CONVERSE_EVENT_TYPE_MESSAGE_START)-int(EventMessageStart)) +
	uint(int(EventContentBlockStart)-int(C.BEDROCK_STREAM_CONVERSE_EVENT_TYPE_CONTENT_BLOCK_START)) + uint(int(C.BEDROCK_STREAM_CONVERSE_EVENT_TYPE_CONTENT_BLOCK_START)-int(EventContentBlockStart)) +
	uint(int(EventContentBlockDelta)-int(C.BEDROCK_STREAM_CONVERSE_EVENT_TYPE_CONTENT_BLOCK_DELTA)) + uint(int(C.BEDROCK_STREAM_CONVERSE_EVENT_TYPE_CONTENT_BLOCK_DELTA)-int(EventContentBlockDelta)) +
	uint(int(EventContentBlockStop)-int(C.BEDROCK_STREAM_CONVERSE_EVENT_TYPE_CONTENT_BLOCK_STOP)) + uint(int(C.BEDROCK_STREAM_CONVERSE_EVENT_TYPE_CONTENT_BLOCK_STOP)-int(EventContentBlockStop)) +
	uint(int(EventMessageStop)-int(C.BEDROCK_STREAM_CONVERSE_EVENT_TYPE_MESSAGE_STOP)) + uint(int(C.BEDROCK_STREAM_CONVERSE_EVENT_TYPE_MESSAGE_STOP)-int(EventMessageStop)) +
	uint(int(EventMetadata)-int(C.BEDROCK_STREAM_CONVERSE_EVENT_TYPE_METADATA)) + uint(int(C.BEDROCK_STREAM_CONVERSE_EVENT_TYPE_METADATA)-int(EventMetadata)) +
	uint(int(EventUnknown)-int(C.BEDROCK_STREAM_CONVERSE_EVENT_TYPE_UNKNOWN)) + uint(int(C.BEDROCK_STREAM_CONVERSE_EVENT_TYPE_UNKNOWN)-int(EventUnknown)) +
	uint(int(DeltaNone)-int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_NONE)) + uint(int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_NONE)-int(DeltaNone)) +
	uint(int(DeltaText)-int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_TEXT)) + uint(int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_TEXT)-int(DeltaText)) +
	uint(int(DeltaToolUse)-int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_TOOL_USE)) + uint(int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_TOOL_USE)-int(DeltaToolUse)) +
	uint(int(DeltaReasoningText)-int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_REASONING_TEXT)) + uint(int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_REASONING_TEXT)-int(DeltaReasoningText)) +
	uint(int(DeltaReasoningSignature)-int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_REASONING_SIGNATURE)) + uint(int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_REASONING_SIGNATURE)-int(DeltaReasoningSignature)) +
	uint(int(DeltaReasoningRedacted)-int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_REASONING_REDACTED)) + uint(int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_REASONING_REDACTED)-int(DeltaReasoningRedacted)) +
	uint(int(DeltaCitation)-int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_CITATION)) + uint(int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_CITATION)-int(DeltaCitation)) +
	uint(int(DeltaToolResult)-int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_TOOL_RESULT)) + uint(int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_TOOL_RESULT)-int(DeltaToolResult)) +
	uint(int(DeltaImage)-int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_IMAGE)) + uint(int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_IMAGE)-int(DeltaImage)) +
	uint(int(DeltaUnknown)-int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_UNKNOWN)) + uint(int(C.BEDROCK_STREAM_CONVERSE_DELTA_KIND_UNKNOWN)-int(DeltaUnknown)) +
	uint(int(BlockText)-int(C.BEDROCK_STREAM_CONVERSE_BLOCK_KIND_TEXT)) + uint(int(C.BEDROCK_STREAM_CONVERSE_BLOCK_KIND_TEXT)-int(BlockText)) +
	uint(int(BlockToolUse)-int(C.BEDROCK_STREAM_CONVERSE_BLOCK_KIND_TOOL_USE)) + uint(int(C.BEDROCK_STREAM_CONVERSE_BLOCK_KIND_TOOL_USE)-int(BlockToolUse)) +
	uint(int(BlockReasoning)-int(C.BEDROCK_STREAM_CONVERSE_BLOCK_KIND_REASONING)) + uint(int(C.BEDROCK_STREAM_CONVERSE_BLOCK_KIND_REASONING)-int(BlockReasoning)) +
	uint(int(BlockRedactedReasoning)-int(C.BEDROCK_STREAM_CONVERSE_BLOCK_KIND_REDACTED_REASONING)) + uint(int(C.BEDROCK_STREAM_CONVERSE_BLOCK_KIND_REDACTED_REASONING)-int(BlockRedactedReasoning)) +
	uint(int(BlockCitations)-int(C.BEDROCK_STREAM_CONVERSE_BLOCK_KIND_CITATIONS)) + uint(int(C.BEDROCK_STREAM_CONVERSE_BLOCK_KIND_CITATIONS)-int(BlockCitations)) +
	uint(int(BlockToolResult)-int(C.BEDROCK_STREAM_CONVERSE_BLOCK_KIND_TOOL_RESULT)) + uint(int(C.BEDROCK_STREAM_CONVERSE_BLOCK_KIND_TOOL_RESULT)-int(BlockToolResult)) +
	uint(int(BlockImage)-int(C.BEDROCK_STREAM_CONVERSE_BLOCK_KIND_IMAGE)) + uint(int(C.BEDROCK_STREAM_CONVERSE_BLOCK_KIND_IMAGE)-int(BlockImage)) +
	uint(int(BlockOther)-int(C.BEDROCK_STREAM_CONVERSE_BLOCK_KIND_OTHER)) + uint(int(C.BEDROCK_STREAM_CONVERSE_BLOCK_KIND_OTHER)-int(BlockOther))
