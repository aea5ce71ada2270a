package bedrockstream

/*
#include "bsgo.h"
*/
import "C"

import (
	"time"
	"unsafe"
)

// EventKind says what an event is.
type EventKind int32

const (
	// KindChunk is a chunk: Payload is the model's output document (usually JSON).
	KindChunk EventKind = 1
	// KindUnknown is an event type the library does not know (a newer member of the
	// service's stream); not an error. Payload is the raw payload, EventType its name.
	KindUnknown EventKind = 2
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
	// StopReason is set (StopEndTurn, StopMaxTokens, ...) when this chunk ends the
	// generation, else "".
	StopReason StopReason
	// Usage holds the token counts the model reported in this chunk (nil when none).
	Usage *Usage
	// Metrics holds amazon-bedrock-invocationMetrics (normally on the last chunk; nil when
	// absent).
	Metrics *Metrics
}

// StopReason is why the model stopped generating, exactly as the model family reports
// it (not normalized): Claude says StopEndTurn, Llama StopStop, Titan "FINISH", ...
type StopReason string

// Common stop reasons; other values pass through as the model sent them.
const (
	StopEndTurn      StopReason = "end_turn"      // Claude, Nova: the turn is complete
	StopMaxTokens    StopReason = "max_tokens"    // Claude, Nova: max_tokens reached
	StopStopSequence StopReason = "stop_sequence" // Claude: a stop sequence matched
	StopToolUse      StopReason = "tool_use"      // Claude, Nova: the model calls a tool
	StopStop         StopReason = "stop"          // Llama, Mistral, OpenAI: a natural stop
	StopLength       StopReason = "length"        // Llama, Mistral, OpenAI: length limit
)

// Usage is the token counts a model reported in one chunk, copied as they are and never
// summed. A nil count was not reported (as the AWS SDK for Go does for optional members).
type Usage struct {
	InputTokens           *uint64
	OutputTokens          *uint64
	CacheReadInputTokens  *uint64
	CacheWriteInputTokens *uint64
}

// Metrics is the amazon-bedrock-invocationMetrics object of the last chunk: what was
// billed. A nil value was absent.
type Metrics struct {
	InputTokenCount           *uint64
	OutputTokenCount          *uint64
	InvocationLatency         *time.Duration
	FirstByteLatency          *time.Duration
	CacheReadInputTokenCount  *uint64
	CacheWriteInputTokenCount *uint64
}

// count is the value of a has_/value pair of the C structs, nil when absent.
func count(has C.bool, v C.uint64_t) *uint64 {
	if !has {
		return nil
	}
	n := uint64(v)
	return &n
}

// millisOf is a latency in milliseconds of the C structs, nil when absent.
func millisOf(has C.bool, v C.uint64_t) *time.Duration {
	if !has {
		return nil
	}
	d := time.Duration(v) * time.Millisecond
	return &d
}

// copyEvent copies everything out of an event lent by the library.
func copyEvent(ev *C.bedrock_stream_event) Event {
	var v C.bsgo_event_view
	C.bsgo_view_event(ev, &v)
	e := Event{
		Kind:       EventKind(v.kind),
		EventType:  goStringOrEmpty(v.event_type),
		Payload:    copyBytes(v.payload),
		StopReason: StopReason(goStringOrEmpty(v.stop_reason)),
	}
	if v.text.len > 0 {
		e.Text = string(copyBytes(v.text))
	}
	if v.has_usage {
		u := &v.usage
		e.Usage = &Usage{
			InputTokens:           count(u.has_input_tokens, u.input_tokens),
			OutputTokens:          count(u.has_output_tokens, u.output_tokens),
			CacheReadInputTokens:  count(u.has_cache_read_input_tokens, u.cache_read_input_tokens),
			CacheWriteInputTokens: count(u.has_cache_write_input_tokens, u.cache_write_input_tokens),
		}
	}
	if v.has_metrics {
		m := &v.metrics
		e.Metrics = &Metrics{
			InputTokenCount:           count(m.has_input_token_count, m.input_token_count),
			OutputTokenCount:          count(m.has_output_token_count, m.output_token_count),
			InvocationLatency:         millisOf(m.has_invocation_latency_ms, m.invocation_latency_ms),
			FirstByteLatency:          millisOf(m.has_first_byte_latency_ms, m.first_byte_latency_ms),
			CacheReadInputTokenCount:  count(m.has_cache_read_input_token_count, m.cache_read_input_token_count),
			CacheWriteInputTokenCount: count(m.has_cache_write_input_token_count, m.cache_write_input_token_count),
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
