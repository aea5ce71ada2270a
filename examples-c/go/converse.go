package bedrockstream

/*
#include "bsgo_converse.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"runtime"
	"time"
)

// BlockKind is the kind of one content block of a finished message.
type BlockKind int32

// The kinds of block (the numbers are the C library's).
const (
	// BlockText: Text.
	BlockText BlockKind = 1
	// BlockToolUse: the model asks for a tool (ToolUseID, ToolName, ToolInput).
	BlockToolUse BlockKind = 2
	// BlockReasoning: the model's reasoning (Text) and its signature (ReasoningSignature).
	BlockReasoning BlockKind = 3
	// BlockRedactedReasoning: encrypted reasoning (RedactedReasoning).
	BlockRedactedReasoning BlockKind = 4
	// BlockCitations: generated text with citations (Text; the citations in JSON).
	BlockCitations BlockKind = 5
	// BlockToolResult: a server-side tool's result (ToolUseID; the content in JSON).
	BlockToolResult BlockKind = 6
	// BlockImage: an image (JSON).
	BlockImage BlockKind = 7
	// BlockOther: any other block, also one this library does not know (JSON).
	BlockOther BlockKind = 8
)

// String names the kind as the service model's ContentBlock member does.
func (k BlockKind) String() string {
	switch k {
	case BlockText:
		return "text"
	case BlockToolUse:
		return "toolUse"
	case BlockReasoning:
		return "reasoningContent.reasoningText"
	case BlockRedactedReasoning:
		return "reasoningContent.redactedContent"
	case BlockCitations:
		return "citationsContent"
	case BlockToolResult:
		return "toolResult"
	case BlockImage:
		return "image"
	case BlockOther:
		return "other"
	}
	return "none"
}

// ContentBlock is one block of a finished message, copied into Go memory. Kind says which
// fields are set.
type ContentBlock struct {
	Kind BlockKind
	// Text of a BlockText, the reasoning of a BlockReasoning, the generated text of a
	// BlockCitations.
	Text string
	// ToolUseID of a BlockToolUse (answer it with AddToolResultJSON) or BlockToolResult.
	ToolUseID string
	// ToolName of a BlockToolUse.
	ToolName string
	// ToolInput of a BlockToolUse: the model's input fragments joined and checked, compact
	// JSON (decode it with json.Unmarshal).
	ToolInput json.RawMessage
	// ReasoningSignature of a BlockReasoning ("" when none).
	ReasoningSignature string
	// RedactedReasoning of a BlockRedactedReasoning.
	RedactedReasoning []byte
	// JSON is the block as on the wire, e.g. {"toolUse":{"toolUseId":...}}: the way to read
	// any kind.
	JSON json.RawMessage
}

// ConverseMessage is a finished assistant message with what came with it: the answer of a
// ConverseStream (folded from its events) or of a Converse call. Its fields are Go copies.
// Send it back for the next turn with ConverseRequest.AppendMessage.
type ConverseMessage struct {
	// StopReason as the service sent it: StopEndTurn, StopToolUse (run the tools in
	// ToolUses and send their results), StopMaxTokens, ...; "" when the stream had no
	// messageStop.
	StopReason StopReason
	// Text is the text of all text blocks, concatenated.
	Text string
	// Blocks are the content blocks, in order.
	Blocks []ContentBlock
	// Usage is nil when the stream had no metadata event.
	Usage *ConverseUsage
	// Latency is metrics.latencyMs (nil when absent).
	Latency *time.Duration
	// RequestID is the x-amzn-RequestId of a Converse response ("" for a stream: see
	// ConverseEventStream.RequestID).
	RequestID string
	// JSON is the whole answer under the ConverseResponse member names (output.message,
	// stopReason, usage, metrics, additionalModelResponseFields, trace, ...).
	JSON json.RawMessage

	c *cmessage // the library's message, for AppendMessage
}

// cmessage owns the library's message; shared by copies of a ConverseMessage and freed by
// the garbage collector.
type cmessage struct {
	ptr *C.bedrock_stream_converse_message
}

// ToolUses returns the BlockToolUse blocks: the tools the model asks for.
func (m *ConverseMessage) ToolUses() []ContentBlock {
	var out []ContentBlock
	if m == nil {
		return out
	}
	for _, b := range m.Blocks {
		if b.Kind == BlockToolUse {
			out = append(out, b)
		}
	}
	return out
}

// newMessage takes ownership of a message of the library and copies it into Go memory.
func newMessage(ptr *C.bedrock_stream_converse_message) *ConverseMessage {
	c := &cmessage{ptr: ptr}
	runtime.SetFinalizer(c, func(c *cmessage) { C.bedrock_stream_converse_message_free(c.ptr) })
	var v C.bsgo_converse_message_view
	C.bsgo_view_converse_message(ptr, &v)
	m := &ConverseMessage{
		StopReason: StopReason(goStringOrEmpty(v.stop_reason)),
		Text:       string(copyBytes(v.text)),
		Latency:    millisOf(v.has_latency, v.latency_ms),
		RequestID:  goStringOrEmpty(v.request_id),
		JSON:       copyBytes(v.json),
		Blocks:     make([]ContentBlock, int(v.block_count)),
		c:          c,
	}
	if v.has_usage {
		m.Usage = converseUsage(&v.usage)
	}
	for i := range m.Blocks {
		var b C.bsgo_converse_block_view
		C.bsgo_view_converse_block(ptr, C.size_t(i), &b)
		m.Blocks[i] = ContentBlock{
			Kind:               BlockKind(b.kind),
			Text:               string(copyBytes(b.text)),
			ToolUseID:          goStringOrEmpty(b.tool_use_id),
			ToolName:           goStringOrEmpty(b.tool_use_name),
			ReasoningSignature: goStringOrEmpty(b.reasoning_signature),
			JSON:               copyBytes(b.json),
		}
		if b.tool_use_input.len > 0 {
			m.Blocks[i].ToolInput = copyBytes(b.tool_use_input)
		}
		if b.redacted_reasoning.len > 0 {
			m.Blocks[i].RedactedReasoning = copyBytes(b.redacted_reasoning)
		}
	}
	runtime.KeepAlive(c)
	return m
}

// call runs one call of the library on the client with a cancel handle that ctx's end
// cancels. On success the caller owns cancel and the watcher (stop it, then free cancel); on
// failure both are released and the error wraps ctx.Err() when the context ended the call.
func (c *Client) call(ctx context.Context, f func(*C.bedrock_stream_client, *C.bedrock_stream_cancel, **C.bedrock_stream_error) C.bedrock_stream_status) (*C.bedrock_stream_cancel, *watcher, error) {
	if c == nil {
		return nil, nil, ErrNotInitialized
	}
	if ctx == nil {
		return nil, nil, localError(StatusNullArgument, "the context is nil (use context.Background())")
	}
	cancel, err := newCancel()
	if err != nil {
		return nil, nil, err
	}
	if ctx.Err() != nil {
		// Already done: the call fails at once rather than racing the watcher.
		C.bedrock_stream_cancel_cancel(cancel)
	}
	w := watch(ctx, cancel)
	c.mu.RLock()
	switch {
	case c.closed:
		err = ErrClosed
	case c.ptr == nil:
		err = ErrNotInitialized
	default:
		var cerr *C.bedrock_stream_error
		if rc := f(c.ptr, cancel, &cerr); rc != C.BEDROCK_STREAM_STATUS_OK {
			e := takeError(rc, cerr)
			if byContext := w.stop(); e.Status == StatusCancelled && (byContext || ctx.Err() != nil) {
				e.cause = ctx.Err()
			}
			err = e
		}
	}
	c.mu.RUnlock()
	if err != nil {
		w.stop()
		C.bedrock_stream_cancel_free(cancel)
		return nil, nil, err
	}
	return cancel, w, nil
}

// once runs a call that returns when its answer is in (Converse, InvokeModel).
func (c *Client) once(ctx context.Context, f func(*C.bedrock_stream_client, *C.bedrock_stream_cancel, **C.bedrock_stream_error) C.bedrock_stream_status) error {
	cancel, w, err := c.call(ctx, f)
	if err == nil {
		w.stop()
		C.bedrock_stream_cancel_free(cancel)
	}
	return err
}

// Converse sends req (not streamed) and returns the whole answer once it is in. Retried
// like a stream that delivered nothing; ctx cancels it (ErrCancelled wrapping ctx.Err()).
func (c *Client) Converse(ctx context.Context, req *ConverseRequest) (*ConverseMessage, error) {
	var msg *C.bedrock_stream_converse_message
	err := req.read(func(r *C.bedrock_stream_converse_request) error {
		return c.once(ctx, func(cl *C.bedrock_stream_client, cancel *C.bedrock_stream_cancel, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_client_converse(cl, r, cancel, &msg, e)
		})
	})
	if err != nil {
		return nil, err
	}
	return newMessage(msg), nil
}

// InvokeResponse is the answer of InvokeModel, copied into Go memory.
type InvokeResponse struct {
	// Body is the model's answer, byte for byte (usually JSON in the model's own format).
	Body []byte
	// ContentType is the MIME type of Body ("" when absent).
	ContentType string
	// RequestID is the x-amzn-RequestId ("" when absent).
	RequestID string
	// PerformanceConfigLatency and ServiceTier are what the service said it used ("" when
	// it did not say).
	PerformanceConfigLatency Latency
	ServiceTier              ServiceTier
}

// InvokeModel sends req (not streamed; the same Request as Invoke: model id, the model's own
// body, the optional members) and returns the model's whole answer once it is in. Retried
// like a stream that delivered nothing; ctx cancels it.
func (c *Client) InvokeModel(ctx context.Context, req *Request) (*InvokeResponse, error) {
	creq, err := req.build()
	if err != nil {
		return nil, err
	}
	defer C.bedrock_stream_request_free(creq)
	var resp *C.bedrock_stream_invoke_response
	err = c.once(ctx, func(cl *C.bedrock_stream_client, cancel *C.bedrock_stream_cancel, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_client_invoke_model(cl, creq, cancel, &resp, e)
	})
	if err != nil {
		return nil, err
	}
	defer C.bedrock_stream_invoke_response_free(resp)
	return &InvokeResponse{
		Body:                     copyBytes(C.bedrock_stream_invoke_response_body(resp)),
		ContentType:              goStringOrEmpty(C.bedrock_stream_invoke_response_content_type(resp)),
		RequestID:                goStringOrEmpty(C.bedrock_stream_invoke_response_request_id(resp)),
		PerformanceConfigLatency: Latency(goStringOrEmpty(C.bedrock_stream_invoke_response_performance_config_latency(resp))),
		ServiceTier:              ServiceTier(goStringOrEmpty(C.bedrock_stream_invoke_response_service_tier(resp))),
	}, nil
}

// ConverseStream sends req and calls fn once per event, in order, on this goroutine, until
// the stream ends; then it returns the finished message (folded from the events: text,
// tool uses with their input joined, reasoning with its signature, stop reason, usage),
// ready for ConverseRequest.AppendMessage. fn may be nil (only the message is wanted); the
// event it gets is a copy it may keep. As with Invoke:
//
//   - fn returns ErrStop: the stream is closed and ConverseStream returns nil, nil.
//   - fn returns another error: the stream is closed and the *Error (ErrStoppedByCallback)
//     wraps it.
//   - fn panics or calls runtime.Goexit: the stream is closed on the way up.
//   - ctx ends: the call is cancelled (ErrCancelled, wrapping ctx.Err()).
func (c *Client) ConverseStream(ctx context.Context, req *ConverseRequest, fn func(*ConverseEvent) error) (*ConverseMessage, error) {
	s, err := c.OpenConverseStream(ctx, req)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	for s.Next() {
		if fn == nil {
			continue
		}
		if err := fn(s.Event()); err != nil {
			return nil, s.stoppedBy(err)
		}
	}
	return s.Message()
}

// OpenConverseStream sends req and returns once the response headers are in (retries
// included), with a ConverseEventStream to read with Next. Failures before the stream are
// returned here as *Error. ctx governs the whole stream. Close the stream when done.
func (c *Client) OpenConverseStream(ctx context.Context, req *ConverseRequest) (*ConverseEventStream, error) {
	var acc *C.bedrock_stream_converse_accumulator
	var cerr *C.bedrock_stream_error
	if rc := C.bedrock_stream_converse_accumulator_new(&acc, &cerr); rc != C.BEDROCK_STREAM_STATUS_OK {
		return nil, takeError(rc, cerr)
	}
	var cs *C.bedrock_stream_converse_stream
	var cancel *C.bedrock_stream_cancel
	var w *watcher
	err := req.read(func(r *C.bedrock_stream_converse_request) (err error) {
		cancel, w, err = c.call(ctx, func(cl *C.bedrock_stream_client, cancel *C.bedrock_stream_cancel, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_client_converse_stream_open(cl, r, cancel, &cs, e)
		})
		return err
	})
	if err != nil {
		C.bedrock_stream_converse_accumulator_free(acc)
		return nil, err
	}
	s := &ConverseEventStream{
		streamCore: streamCore{cancel: cancel, watch: w, ctx: ctx, requestID: goStringOrEmpty(C.bedrock_stream_converse_stream_request_id(cs))},
		ptr:        cs,
		acc:        acc,
	}
	runtime.SetFinalizer(s, (*ConverseEventStream).Close)
	return s, nil
}

// ConverseEventStream is an open ConverseStream response read with Next (the pull API):
//
//	s, err := client.OpenConverseStream(ctx, req)
//	if err != nil { ... }
//	defer s.Close()
//	for s.Next() {
//		fmt.Print(s.Event().Text)
//	}
//	msg, err := s.Message() // the finished message, or the stream's failure
//
// The events are folded into the message as they are read. Next, Event, Err and Message
// are used by one goroutine at a time; Close may be called from any goroutine, also while
// Next waits. The zero ConverseEventStream has ended with ErrNotInitialized.
type ConverseEventStream struct {
	streamCore
	ptr     *C.bedrock_stream_converse_stream
	acc     *C.bedrock_stream_converse_accumulator
	event   *ConverseEvent
	message *ConverseMessage
}

// RequestID is the x-amzn-RequestId of the response ("" when the service sent none).
func (s *ConverseEventStream) RequestID() string { return s.requestID }

// Next waits for the next event. It returns true when there is one (read it with Event) and
// false at the clean end of the stream or on a failure (see Err); then it keeps returning
// false.
func (s *ConverseEventStream) Next() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.event = nil
	if !s.begin(s.ptr != nil) {
		return false
	}
	var ev *C.bedrock_stream_converse_event
	var cerr *C.bedrock_stream_error
	if rc := C.bedrock_stream_converse_stream_next(s.ptr, &ev, &cerr); rc != C.BEDROCK_STREAM_STATUS_OK {
		s.failed(rc, cerr)
		return false
	}
	if ev == nil { // the clean end: the message is complete
		var msg *C.bedrock_stream_converse_message
		if rc := C.bedrock_stream_converse_accumulator_finish(s.acc, &msg, &cerr); rc != C.BEDROCK_STREAM_STATUS_OK {
			s.finish(s.foldError(takeError(rc, cerr)))
			return false
		}
		s.message = newMessage(msg)
		s.finish(nil)
		return false
	}
	if rc := C.bedrock_stream_converse_accumulator_push(s.acc, ev, &cerr); rc != C.BEDROCK_STREAM_STATUS_OK {
		s.finish(s.foldError(takeError(rc, cerr)))
		return false
	}
	s.event = copyConverseEvent(ev)
	s.delivered++
	return true
}

// foldError completes an error of the accumulator (events that do not make a message).
func (s *ConverseEventStream) foldError(e *Error) *Error {
	e.RequestID = s.requestID
	e.EventsDelivered = s.delivered
	return e
}

// Event is the event read by the last successful Next (nil before the first and after the
// end): a copy in Go memory that stays valid after later calls.
func (s *ConverseEventStream) Event() *ConverseEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.event
}

// Err is nil while the stream runs and after its clean end; otherwise the failure that ended
// it: an *Error (with EventsDelivered), or ErrClosed when Close was called before the end.
func (s *ConverseEventStream) Err() error { return s.errLocked() }

// Message is the finished message once Next returned false at the clean end of the stream.
// Before the end it reads the rest of the stream first; after a failure it returns Err.
func (s *ConverseEventStream) Message() (*ConverseMessage, error) {
	for s.Next() {
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	return s.message, nil
}

// EventsDelivered counts the events Next has returned so far.
func (s *ConverseEventStream) EventsDelivered() uint64 { return s.deliveredLocked() }

// Close frees the stream. Before the end it closes the connection (the model stops
// generating), and a Next waiting in another goroutine returns false with Err ErrClosed.
// Idempotent; always returns nil.
func (s *ConverseEventStream) Close() error {
	s.close(func() {
		if s.ptr != nil {
			C.bedrock_stream_converse_stream_free(s.ptr)
			s.ptr = nil
		}
		if s.acc != nil {
			C.bedrock_stream_converse_accumulator_free(s.acc)
			s.acc = nil
		}
		runtime.SetFinalizer(s, nil)
	})
	return nil
}
