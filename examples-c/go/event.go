package bedrockstream

/*
#include "bsgo.h"
*/
import "C"

import "unsafe"

// EventKind says what an event is.
type EventKind int32

const (
	// KindChunk is a chunk: Payload is the model's output document (usually JSON).
	KindChunk EventKind = C.BEDROCK_STREAM_EVENT_KIND_CHUNK
	// KindUnknown is an event type the library does not know (a newer member of the
	// service's stream); not an error. Payload is the raw payload, EventType its name.
	KindUnknown EventKind = C.BEDROCK_STREAM_EVENT_KIND_UNKNOWN
)

// String names the kind.
func (k EventKind) String() string {
	switch k {
	case KindChunk:
		return "chunk"
	case KindUnknown:
		return "unknown"
	}
	return "none"
}

// Event is one event of a response stream, copied into Go memory: it stays valid after
// the next event and may be kept.
type Event struct {
	Kind EventKind
	// EventType is the :event-type header ("chunk" for chunks).
	EventType string
	// Payload is the chunk's document exactly as the model produced it (base64-decoded),
	// or the raw payload of an unknown event.
	Payload []byte
	// Text is the text this chunk adds to the output, read according to the model family
	// (Claude's delta.text, Titan's outputText, ...); empty when there is none. A UTF-8
	// character split between chunks is delivered whole with the second one.
	Text string
	// StopReason is set ("end_turn", "max_tokens", ...) when this chunk ends the generation.
	StopReason string
	// Usage holds the token counts the model reported in this chunk (nil when none).
	Usage *Usage
	// Metrics holds amazon-bedrock-invocationMetrics (normally on the last chunk; nil when
	// absent).
	Metrics *Metrics
}

// Usage is the token counts a model reported in one chunk, in its own fields, copied and
// never summed. A count is meaningful only when its Has flag is true.
type Usage struct {
	InputTokens              uint64
	HasInputTokens           bool
	OutputTokens             uint64
	HasOutputTokens          bool
	CacheReadInputTokens     uint64
	HasCacheReadInputTokens  bool
	CacheWriteInputTokens    uint64
	HasCacheWriteInputTokens bool
}

// Metrics is the amazon-bedrock-invocationMetrics object of the last chunk: what was
// billed. A value is meaningful only when its Has flag is true.
type Metrics struct {
	InputTokenCount              uint64
	HasInputTokenCount           bool
	OutputTokenCount             uint64
	HasOutputTokenCount          bool
	InvocationLatencyMs          uint64
	HasInvocationLatencyMs       bool
	FirstByteLatencyMs           uint64
	HasFirstByteLatencyMs        bool
	CacheReadInputTokenCount     uint64
	HasCacheReadInputTokenCount  bool
	CacheWriteInputTokenCount    uint64
	HasCacheWriteInputTokenCount bool
}

// copyEvent copies everything out of an event lent by the library.
func copyEvent(ev *C.bedrock_stream_event) Event {
	var v C.bsgo_event_view
	C.bsgo_view_event(ev, &v)
	e := Event{
		Kind:       EventKind(v.kind),
		EventType:  goStringOrEmpty(v.event_type),
		Payload:    copyBytes(v.payload),
		StopReason: goStringOrEmpty(v.stop_reason),
	}
	if v.text.len > 0 {
		e.Text = string(copyBytes(v.text))
	}
	if v.has_usage {
		u := v.usage
		e.Usage = &Usage{
			InputTokens: uint64(u.input_tokens), HasInputTokens: bool(u.has_input_tokens),
			OutputTokens: uint64(u.output_tokens), HasOutputTokens: bool(u.has_output_tokens),
			CacheReadInputTokens: uint64(u.cache_read_input_tokens), HasCacheReadInputTokens: bool(u.has_cache_read_input_tokens),
			CacheWriteInputTokens: uint64(u.cache_write_input_tokens), HasCacheWriteInputTokens: bool(u.has_cache_write_input_tokens),
		}
	}
	if v.has_metrics {
		m := v.metrics
		e.Metrics = &Metrics{
			InputTokenCount: uint64(m.input_token_count), HasInputTokenCount: bool(m.has_input_token_count),
			OutputTokenCount: uint64(m.output_token_count), HasOutputTokenCount: bool(m.has_output_token_count),
			InvocationLatencyMs: uint64(m.invocation_latency_ms), HasInvocationLatencyMs: bool(m.has_invocation_latency_ms),
			FirstByteLatencyMs: uint64(m.first_byte_latency_ms), HasFirstByteLatencyMs: bool(m.has_first_byte_latency_ms),
			CacheReadInputTokenCount: uint64(m.cache_read_input_token_count), HasCacheReadInputTokenCount: bool(m.has_cache_read_input_token_count),
			CacheWriteInputTokenCount: uint64(m.cache_write_input_token_count), HasCacheWriteInputTokenCount: bool(m.has_cache_write_input_token_count),
		}
	}
	return e
}

// copyBytes copies borrowed bytes into a new Go slice (empty, not nil, when there are none).
func copyBytes(b C.bedrock_stream_bytes) []byte {
	out := make([]byte, int(b.len))
	if b.len > 0 {
		copy(out, unsafe.Slice((*byte)(unsafe.Pointer(b.data)), int(b.len)))
	}
	return out
}
