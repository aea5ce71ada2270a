package bedrockstream_test

// Converse, ConverseStream and InvokeModel against the emulator (see bedrockstream_test.go
// for how it is found), and the request builder against a recording server.

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	bedrockstream "github.com/bedrock-stream/bedrock-stream/examples-c/go"
)

// weatherSchema is the JSON Schema of the test tool's input.
const weatherSchema = `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`

// hello is a one-message Converse request.
func hello(modelID, prompt string) *bedrockstream.ConverseRequest {
	return bedrockstream.NewConverseRequest(modelID).AddMessage(bedrockstream.RoleUser).AddText(prompt)
}

// events collects what ConverseStream delivers.
type events struct {
	all  []*bedrockstream.ConverseEvent
	text string
}

func (e *events) add(ev *bedrockstream.ConverseEvent) error {
	e.all = append(e.all, ev)
	e.text += ev.Text
	return nil
}

// ofType returns the events of one type.
func (e *events) ofType(t bedrockstream.ConverseEventType) []*bedrockstream.ConverseEvent {
	var out []*bedrockstream.ConverseEvent
	for _, ev := range e.all {
		if ev.Type == t {
			out = append(out, ev)
		}
	}
	return out
}

// checkTextAnswer checks the events and the message of the emulator's answer to prompt.
func checkTextAnswer(t *testing.T, got *events, msg *bedrockstream.ConverseMessage, prompt string) {
	t.Helper()
	want := reply(prompt)
	if got.text != want || msg.Text != want {
		t.Errorf("text %q, message %q, want %q", got.text, msg.Text, want)
	}
	if len(got.all) == 0 || got.all[0].Type != bedrockstream.EventMessageStart || got.all[0].Role != bedrockstream.RoleAssistant ||
		got.all[0].TypeName != "messageStart" {
		t.Fatalf("first event %+v", got.all)
	}
	deltas := got.ofType(bedrockstream.EventContentBlockDelta)
	if len(deltas) < 2 {
		t.Fatalf("%d deltas", len(deltas))
	}
	for _, d := range deltas {
		if d.DeltaKind != bedrockstream.DeltaText || d.ContentBlockIndex != 0 || d.Member != "text" || string(d.Delta) != d.Text {
			t.Errorf("delta %+v", d)
		}
		var j struct {
			ContentBlockIndex *int
			Delta             map[string]string
		}
		if err := json.Unmarshal(d.JSON, &j); err != nil || j.ContentBlockIndex == nil || *j.ContentBlockIndex != 0 ||
			len(j.Delta) != 1 || j.Delta["text"] != d.Text {
			t.Errorf("delta JSON %s (%v)", d.JSON, err)
		}
	}
	stops := got.ofType(bedrockstream.EventMessageStop)
	if len(stops) != 1 || stops[0].StopReason != bedrockstream.StopEndTurn || msg.StopReason != bedrockstream.StopEndTurn {
		t.Errorf("message stop %+v, message %q", stops, msg.StopReason)
	}
	if n := len(got.ofType(bedrockstream.EventContentBlockStop)); n != 1 {
		t.Errorf("%d contentBlockStop", n)
	}
	meta := got.ofType(bedrockstream.EventMetadata)
	if len(meta) != 1 || meta[0].Usage == nil || meta[0].Latency == nil {
		t.Fatalf("metadata %+v", meta)
	}
	u := meta[0].Usage
	// The emulator counts one output token per delta.
	if u.OutputTokens != uint64(len(deltas)) || u.InputTokens == 0 || u.TotalTokens != u.InputTokens+u.OutputTokens ||
		u.CacheReadInputTokens != nil || u.CacheWriteInputTokens != nil {
		t.Errorf("usage %+v with %d deltas", *u, len(deltas))
	}
	if msg.Usage == nil || *msg.Usage != *u || msg.Latency == nil || *msg.Latency != *meta[0].Latency {
		t.Errorf("message usage %+v latency %v", msg.Usage, msg.Latency)
	}
	if len(msg.Blocks) != 1 || msg.Blocks[0].Kind != bedrockstream.BlockText || msg.Blocks[0].Text != want ||
		string(msg.Blocks[0].JSON) != `{"text":`+mustJSON(want)+`}` || len(msg.ToolUses()) != 0 {
		t.Errorf("blocks %+v", msg.Blocks)
	}
}

func mustJSON(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
}

func TestConverseStreamPushAndPull(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	// One request for every call: calls only read it.
	req := hello(model, "Hello Go").AddSystemText("Be brief.").SetMaxTokens(512)
	defer req.Close()

	var push events
	msg, err := c.ConverseStream(ctx, req, push.add)
	if err != nil {
		t.Fatal(err)
	}
	checkTextAnswer(t, &push, msg, "Hello Go")
	if msg.RequestID != "" {
		t.Errorf("a stream's message has no request id: %q", msg.RequestID)
	}

	// Pull: the same events; the request id of the response.
	s, err := c.OpenConverseStream(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.RequestID() == "" || s.Event() != nil {
		t.Errorf("request id %q, event before Next %+v", s.RequestID(), s.Event())
	}
	var pull events
	for s.Next() {
		pull.add(s.Event())
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	msg2, err := s.Message()
	if err != nil {
		t.Fatal(err)
	}
	checkTextAnswer(t, &pull, msg2, "Hello Go")
	if len(pull.all) != len(push.all) || s.EventsDelivered() != uint64(len(pull.all)) || s.Next() || s.Event() != nil {
		t.Errorf("pull %d events, push %d, delivered %d", len(pull.all), len(push.all), s.EventsDelivered())
	}

	// Without a callback: only the message. Message alone reads the whole stream too.
	msg3, err := c.ConverseStream(ctx, req, nil)
	if err != nil || msg3.Text != reply("Hello Go") {
		t.Errorf("nil callback: %v %+v", err, msg3)
	}
	s2, err := c.OpenConverseStream(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if msg4, err := s2.Message(); err != nil || msg4.Text != reply("Hello Go") || s2.EventsDelivered() != uint64(len(pull.all)) {
		t.Errorf("Message without Next: %v %+v", err, msg4)
	}

	// maxTokens cuts the answer: stop reason max_tokens.
	short := hello(model, "Hello Go").SetMaxTokens(2)
	if msg, err := c.ConverseStream(ctx, short, nil); err != nil || msg.StopReason != bedrockstream.StopMaxTokens ||
		msg.Usage.OutputTokens != 2 {
		t.Errorf("maxTokens 2: %v %+v", err, msg)
	}
}

// The whole tool-use loop: the model asks for the tool (its input split over several
// deltas), the program answers, the model answers with the result. Also with Converse.
func TestConverseToolUseRoundTrip(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	req := hello(model, "What is the weather in Zürich?").AddTool("get_weather", "The forecast for a city.", weatherSchema)
	defer req.Close()

	var first events
	msg, err := c.ConverseStream(ctx, req, first.add)
	if err != nil {
		t.Fatal(err)
	}
	if msg.StopReason != bedrockstream.StopToolUse || first.text != "Let me call get_weather." {
		t.Fatalf("stop reason %q, text %q", msg.StopReason, first.text)
	}
	starts := first.ofType(bedrockstream.EventContentBlockStart)
	if len(starts) != 1 || starts[0].ToolName != "get_weather" || !strings.HasPrefix(starts[0].ToolUseID, "tooluse_") ||
		starts[0].Member != "toolUse" || starts[0].ContentBlockIndex != 1 {
		t.Fatalf("contentBlockStart %+v", starts)
	}
	var fragments []string
	for _, ev := range first.ofType(bedrockstream.EventContentBlockDelta) {
		if ev.DeltaKind == bedrockstream.DeltaToolUse {
			if ev.ContentBlockIndex != 1 || ev.Member != "toolUse" || ev.Text != "" {
				t.Errorf("tool delta %+v", ev)
			}
			fragments = append(fragments, string(ev.Delta))
		}
	}
	uses := msg.ToolUses()
	if len(fragments) < 2 || len(uses) != 1 || len(msg.Blocks) != 2 {
		t.Fatalf("%d fragments, tool uses %+v", len(fragments), msg.Blocks)
	}
	use := uses[0]
	var input struct{ City string }
	if err := json.Unmarshal([]byte(strings.Join(fragments, "")), &input); err != nil || input.City != "Zürich" {
		t.Errorf("joined fragments %q: %v", fragments, err)
	}
	if use.ToolUseID != starts[0].ToolUseID || use.ToolName != "get_weather" || string(use.ToolInput) != `{"city":"Zürich"}` {
		t.Errorf("tool use %+v", use)
	}

	// The next turn: the model's message, then the tool's result.
	req.AppendMessage(msg).AddMessage(bedrockstream.RoleUser).
		AddToolResultJSON(use.ToolUseID, `{"celsius":21,"forecast":"sunny"}`, bedrockstream.ToolResultSuccess)
	if err := req.Err(); err != nil {
		t.Fatal(err)
	}
	var second events
	final, err := c.ConverseStream(ctx, req, second.add)
	if err != nil {
		t.Fatal(err)
	}
	want := `The tool answered: {"celsius":21,"forecast":"sunny"}. 你好，世界！ 🦀`
	if final.StopReason != bedrockstream.StopEndTurn || final.Text != want || second.text != want {
		t.Errorf("final %q %q", final.StopReason, final.Text)
	}

	// The same conversation, not streamed: the same answer, with its request id.
	conv, err := c.Converse(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if conv.Text != want || conv.StopReason != bedrockstream.StopEndTurn || conv.RequestID == "" || conv.Usage == nil ||
		conv.Usage.TotalTokens != conv.Usage.InputTokens+conv.Usage.OutputTokens {
		t.Errorf("Converse %+v", conv)
	}
	var resp struct {
		Output struct {
			Message struct {
				Role    string
				Content []map[string]interface{}
			}
		}
		StopReason string
	}
	if err := json.Unmarshal(conv.JSON, &resp); err != nil || resp.Output.Message.Role != "assistant" ||
		len(resp.Output.Message.Content) != 1 || resp.Output.Message.Content[0]["text"] != want || resp.StopReason != "end_turn" {
		t.Errorf("Converse JSON %s: %v", conv.JSON, err)
	}
	// A text result is sent as text.
	req2 := hello(model, "weather?").AddTool("get_weather", "", weatherSchema)
	first2, err := c.Converse(ctx, req2)
	if err != nil || len(first2.ToolUses()) != 1 {
		t.Fatalf("%v %+v", err, first2)
	}
	req2.AppendMessage(first2).AddMessage(bedrockstream.RoleUser).
		AddToolResultText(first2.ToolUses()[0].ToolUseID, "no such city", bedrockstream.ToolResultError)
	if got, err := c.Converse(ctx, req2); err != nil || got.Text != "The tool answered: no such city. 你好，世界！ 🦀" {
		t.Errorf("%v %+v", err, got)
	}
}

// Reasoning (text and signature, or redacted), the guardrail trace, and what the library
// does not know: an unknown event type and an unknown delta member are delivered, not errors.
func TestConverseReasoningGuardrailAndUnknownMembers(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	req := hello(model, "think").
		SetAdditionalModelRequestFields(`{"thinking":{"type":"enabled","budget_tokens":1024},"emulator":{"future":true}}`).
		SetGuardrail("gr1", "DRAFT", bedrockstream.GuardrailTraceEnabled, bedrockstream.StreamProcessingSync)
	var got events
	msg, err := c.ConverseStream(ctx, req, got.add)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[bedrockstream.DeltaKind]string{}
	for _, ev := range got.ofType(bedrockstream.EventContentBlockDelta) {
		kinds[ev.DeltaKind] += string(ev.Delta)
		if ev.DeltaKind == bedrockstream.DeltaUnknown && (ev.Member == "" || !json.Valid(ev.Delta)) {
			t.Errorf("unknown delta %+v", ev)
		}
	}
	if kinds[bedrockstream.DeltaReasoningText] != "The user wants an answer; I will give one." ||
		kinds[bedrockstream.DeltaReasoningSignature] != "RW11bGF0ZWQgc2lnbmF0dXJl" {
		t.Errorf("reasoning deltas %q", kinds)
	}
	if _, ok := kinds[bedrockstream.DeltaUnknown]; !ok {
		t.Errorf("no unknown delta member: %q", kinds)
	}
	unknown := got.ofType(bedrockstream.EventUnknown)
	if len(unknown) != 1 || unknown[0].TypeName == "" || unknown[0].Type.String() != "unknown" || len(unknown[0].JSON) == 0 {
		t.Errorf("unknown events %+v", unknown)
	}
	meta := got.ofType(bedrockstream.EventMetadata)
	if len(meta) != 1 || !strings.Contains(string(meta[0].JSON), `"guardrail"`) {
		t.Errorf("metadata without the guardrail trace: %+v", meta)
	}
	if len(msg.Blocks) < 2 || msg.Blocks[0].Kind != bedrockstream.BlockReasoning ||
		msg.Blocks[0].Text != "The user wants an answer; I will give one." ||
		msg.Blocks[0].ReasoningSignature != "RW11bGF0ZWQgc2lnbmF0dXJl" || msg.Text != reply("think") {
		t.Errorf("message %+v", msg)
	}
	// The signature goes back with the message.
	next := req.AppendMessage(msg).AddMessage(bedrockstream.RoleUser).AddText("and?")
	if m, err := c.ConverseStream(ctx, next, nil); err != nil || m.Text != reply("and?") {
		t.Errorf("next turn: %v", err)
	}

	red := hello(model, "hide").SetAdditionalModelRequestFields(`{"emulator":{"redacted_reasoning":true}}`)
	var redEvents events
	msg, err = c.ConverseStream(ctx, red, redEvents.add)
	if err != nil {
		t.Fatal(err)
	}
	want := "\x00emulated redacted reasoning\xff"
	if len(msg.Blocks) < 1 || msg.Blocks[0].Kind != bedrockstream.BlockRedactedReasoning || string(msg.Blocks[0].RedactedReasoning) != want {
		t.Errorf("redacted %+v", msg.Blocks)
	}
	seen := false
	for _, ev := range redEvents.all {
		seen = seen || (ev.DeltaKind == bedrockstream.DeltaReasoningRedacted && string(ev.Delta) == want)
	}
	if !seen {
		t.Error("no redacted reasoning delta")
	}
}

// Every stream exception, an error frame, HTTP errors, truncation and corruption: typed
// errors with their details.
func TestConverseErrorsAreTypedWithTheirDetails(t *testing.T) {
	c := newClient(t, bedrockstream.WithMaxAttempts(1))
	ctx := context.Background()
	for _, tc := range []struct {
		exception string
		sentinel  error
		http      int
	}{
		{"internalServerException", bedrockstream.ErrInternalServer, 500},
		{"modelStreamErrorException", bedrockstream.ErrModelStreamError, 424},
		{"validationException", bedrockstream.ErrValidation, 400},
		{"throttlingException", bedrockstream.ErrThrottling, 429},
		{"serviceUnavailableException", bedrockstream.ErrServiceUnavailable, 503},
		{"modelTimeoutException", bedrockstream.ErrModelTimeout, 408},
		{"brandNewException", bedrockstream.ErrUnmodeledService, 0},
	} {
		var got events
		msg, err := c.ConverseStream(ctx, hello("emulator-fault:exception="+tc.exception+":after=2:message=bad", "x"), got.add)
		e := asError(t, err)
		if msg != nil || !errors.Is(err, tc.sentinel) || e.Code != tc.exception || e.EventsDelivered != 2 || len(got.all) != 2 ||
			e.RequestID == "" || !strings.Contains(e.Message, "bad") || (tc.http != 0 && e.HTTPStatus != tc.http) {
			t.Errorf("%s: %+v (%d events)", tc.exception, *e, len(got.all))
		}
		if tc.exception == "modelStreamErrorException" && e.OriginalStatusCode != 500 {
			t.Errorf("original status %d", e.OriginalStatusCode)
		}
		if e.Timeout() != (tc.exception == "modelTimeoutException") {
			t.Errorf("%s: Timeout() %v", tc.exception, e.Timeout())
		}
	}
	for _, tc := range []struct {
		spec     string
		sentinel error
		code     string
		events   uint64
	}{
		{"error=InternalFailure:after=1", bedrockstream.ErrStreamError, "InternalFailure", 1},
		{"truncate:after=3:abrupt", bedrockstream.ErrTruncated, "", 3},
		{"bad-crc:after=2", bedrockstream.ErrProtocol, "", 2},
	} {
		s, err := c.OpenConverseStream(ctx, hello("emulator-fault:"+tc.spec, "x"))
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		for s.Next() {
		}
		msg, err := s.Message()
		e := asError(t, err)
		if msg != nil || !errors.Is(err, tc.sentinel) || e.Code != tc.code || e.EventsDelivered != tc.events ||
			s.EventsDelivered() != tc.events || s.Err() != err {
			t.Errorf("%s: %+v", tc.spec, *e)
		}
		s.Close()
	}
	// Before the stream: the same error from every call.
	for name, call := range map[string]func(*bedrockstream.ConverseRequest) error{
		"ConverseStream": func(r *bedrockstream.ConverseRequest) error { _, err := c.ConverseStream(ctx, r, nil); return err },
		"Open":           func(r *bedrockstream.ConverseRequest) error { _, err := c.OpenConverseStream(ctx, r); return err },
		"Converse":       func(r *bedrockstream.ConverseRequest) error { _, err := c.Converse(ctx, r); return err },
	} {
		err := call(hello("emulator-fault:http=403", "x"))
		if e := asError(t, err); !errors.Is(err, bedrockstream.ErrAccessDenied) || e.HTTPStatus != 403 || e.Attempts != 1 ||
			e.Code != "AccessDeniedException" || e.RequestID == "" {
			t.Errorf("%s: %+v", name, *e)
		}
		// The service refuses a conversation that starts with the assistant.
		err = call(bedrockstream.NewConverseRequest(model).AddMessage(bedrockstream.RoleAssistant).AddText("I start"))
		if e := asError(t, err); !errors.Is(err, bedrockstream.ErrValidation) || !strings.Contains(e.Message, "start with a user message") {
			t.Errorf("%s: %+v", name, *e)
		}
	}
	_, err := c.InvokeModel(ctx, faulty("http=429", "x"))
	if e := asError(t, err); !errors.Is(err, bedrockstream.ErrThrottling) || e.HTTPStatus != 429 || !e.Retryable || e.Attempts != 1 {
		t.Errorf("InvokeModel: %+v", *e)
	}
}

// The callback stops the stream: with ErrStop quietly, with another error wrapped.
func TestConverseCallbackStopsTheStream(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	mine := errors.New("enough")
	n := 0
	msg, err := c.ConverseStream(ctx, hello(model, "x"), func(*bedrockstream.ConverseEvent) error {
		if n++; n == 2 {
			return mine
		}
		return nil
	})
	if e := asError(t, err); msg != nil || !errors.Is(err, bedrockstream.ErrStoppedByCallback) || !errors.Is(err, mine) ||
		e.EventsDelivered != 2 || e.RequestID == "" || n != 2 {
		t.Errorf("%v (%d calls)", err, n)
	}
	n = 0
	msg, err = c.ConverseStream(ctx, hello(model, "x"), func(*bedrockstream.ConverseEvent) error {
		n++
		return bedrockstream.ErrStop
	})
	if msg != nil || err != nil || n != 1 {
		t.Errorf("ErrStop: %v %v (%d calls)", msg, err, n)
	}
}

// The context cancels every call promptly: streams (push, pull), Converse and InvokeModel
// waiting for their response headers.
func TestConverseContextCancels(t *testing.T) {
	c := newClient(t)
	stalled := hello("emulator-fault:stall:after=2", "x")
	checkCancelled := func(t *testing.T, err error, cause error, events uint64) {
		t.Helper()
		e := asError(t, err)
		if !errors.Is(err, bedrockstream.ErrCancelled) || !errors.Is(err, cause) || e.EventsDelivered != events {
			t.Errorf("want CANCELLED caused by %v after %d events, got %v (events %d)", cause, events, err, e.EventsDelivered)
		}
	}
	t.Run("push", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		second := make(chan struct{})
		go func() { <-second; cancel() }()
		n := 0
		_, err := c.ConverseStream(ctx, stalled, func(*bedrockstream.ConverseEvent) error {
			if n++; n == 2 {
				close(second)
			}
			return nil
		})
		checkCancelled(t, err, context.Canceled, 2)
	})
	t.Run("pull", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s, err := c.OpenConverseStream(ctx, stalled)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for n := 0; s.Next(); {
			if n++; n == 2 {
				go cancel()
			}
		}
		checkCancelled(t, s.Err(), context.Canceled, 2)
	})
	t.Run("deadline", func(t *testing.T) {
		// Long enough for the first two events on a busy machine.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := c.ConverseStream(ctx, stalled, nil)
		checkCancelled(t, err, context.DeadlineExceeded, 2)
		if !asError(t, err).Timeout() {
			t.Error("Timeout() is false for a deadline")
		}
	})
	t.Run("no event after the context is done", func(t *testing.T) {
		// The whole answer arrives at once; once ctx is done, Next delivers nothing more,
		// on both stream kinds, without waiting for the watcher goroutine.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s, err := c.OpenConverseStream(ctx, hello(model, "x"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		st, err := c.Open(ctx, &bedrockstream.Request{ModelID: model, Body: claude("x")})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if !s.Next() || !st.Next() {
			t.Fatal(s.Err(), st.Err())
		}
		cancel()
		if s.Next() || st.Next() {
			t.Error("an event after the context was cancelled")
		}
		checkCancelled(t, s.Err(), context.Canceled, 1)
		checkCancelled(t, st.Err(), context.Canceled, 1)
		// Already cancelled: nothing is sent.
		_, err = c.Converse(ctx, hello(model, "x"))
		checkCancelled(t, err, context.Canceled, 0)
		_, err = c.ConverseStream(ctx, hello(model, "x"), nil)
		checkCancelled(t, err, context.Canceled, 0)
	})
	t.Run("close from another goroutine", func(t *testing.T) {
		s, err := c.OpenConverseStream(context.Background(), stalled)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; s.Next(); {
			if n++; n == 2 {
				go s.Close()
			}
		}
		if msg, err := s.Message(); err != bedrockstream.ErrClosed || msg != nil || s.EventsDelivered() != 2 {
			t.Errorf("after Close: %v %v", msg, err)
		}
	})
	t.Run("not streamed", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, err := c.Converse(ctx, hello("emulator-fault:stall-headers", "x"))
			checkCancelled(t, err, context.Canceled, 0)
			_, err = c.InvokeModel(ctx, faulty("stall-headers", "x"))
			checkCancelled(t, err, context.Canceled, 0)
		}()
		cancel()
		within(t, done, "Converse and InvokeModel after cancel")
		ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := c.Converse(ctx, hello("emulator-fault:stall-headers", "x"))
		checkCancelled(t, err, context.DeadlineExceeded, 0)
	})
	// The client is still fine.
	if msg, err := c.Converse(context.Background(), hello(model, "after")); err != nil || msg.Text != reply("after") {
		t.Errorf("after the cancellations: %v", err)
	}
}

// One client and one request shared by many goroutines (run under -race by the Rust test).
func TestConverseGoroutinesShareOneRequest(t *testing.T) {
	c := newClient(t)
	req := hello(model, "shared")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for round := 0; round < 3; round++ {
				var msg *bedrockstream.ConverseMessage
				var err error
				if (i+round)%2 == 0 {
					msg, err = c.ConverseStream(context.Background(), req, nil)
				} else {
					msg, err = c.Converse(context.Background(), req)
				}
				if err == nil && msg.Text != reply("shared") {
					err = errors.New("text " + msg.Text)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestInvokeModel(t *testing.T) {
	c := newClient(t)
	resp, err := c.InvokeModel(context.Background(), &bedrockstream.Request{
		ModelID:                  model,
		Body:                     claude("whole"),
		PerformanceConfigLatency: bedrockstream.LatencyOptimized,
		ServiceTier:              bedrockstream.ServiceTierFlex,
	})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Content []struct{ Type, Text string }
	}
	if err := json.Unmarshal(resp.Body, &doc); err != nil || len(doc.Content) != 1 || doc.Content[0].Text != reply("whole") {
		t.Errorf("body %s: %v", resp.Body, err)
	}
	if resp.ContentType != "application/json" || resp.RequestID == "" ||
		resp.PerformanceConfigLatency != bedrockstream.LatencyOptimized || resp.ServiceTier != bedrockstream.ServiceTierFlex {
		t.Errorf("response %+v", *resp)
	}
}

// The builder refuses bad values at once, keeps the first failure, and no call sends a
// request that failed (no emulator needed).
func TestConverseRequestBuilderErrors(t *testing.T) {
	r := newRecorder(t)
	c := recorderClient(t, r)
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		req      *bedrockstream.ConverseRequest
		sentinel error
		message  string
	}{
		{"role", hello(model, "x").AddMessage("robot").AddText("never"), bedrockstream.ErrInvalidInput, "AddMessage: "},
		{"text before a message", bedrockstream.NewConverseRequest(model).AddText("x"), bedrockstream.ErrInvalidInput, "AddText: "},
		{"NUL", hello(model, "a\x00b"), bedrockstream.ErrInvalidInput, "AddText(text) contains a NUL byte"},
		{"UTF-8", hello(model, "a\xffb"), bedrockstream.ErrInvalidUTF8, "AddText(text) is not valid UTF-8"},
		{"model id", hello("", "x"), bedrockstream.ErrInvalidInput, "NewConverseRequest: "},
		{"schema", hello(model, "x").AddTool("t", "", `{"type":`), bedrockstream.ErrInvalidInput, "AddTool: "},
		{"max tokens", hello(model, "x").SetMaxTokens(-1), bedrockstream.ErrInvalidInput, "SetMaxTokens: -1 is out of range"},
		{"temperature", hello(model, "x").SetTemperature(2), bedrockstream.ErrInvalidInput, "SetTemperature: "},
		{"image", hello(model, "x").AddImage("bmp", []byte{1}), bedrockstream.ErrInvalidInput, "AddImage: "},
		{"empty image", hello(model, "x").AddImage(bedrockstream.ImagePNG, nil), bedrockstream.ErrInvalidInput, "AddImage: "},
		{"tool choice", hello(model, "x").SetToolChoice(bedrockstream.ToolChoiceAuto, "t"), bedrockstream.ErrInvalidInput, "SetToolChoice: "},
		{"nil message", hello(model, "x").AppendMessage(nil), bedrockstream.ErrNullArgument, "AppendMessage: the message is nil"},
		{"foreign message", hello(model, "x").AppendMessage(&bedrockstream.ConverseMessage{Text: "x"}), bedrockstream.ErrInvalidInput, "AppendMessage: "},
	} {
		// Later steps change nothing: the first failure stays.
		tc.req.AddText("later").SetMaxTokens(10)
		err := tc.req.Err()
		if e := asError(t, err); !errors.Is(err, tc.sentinel) || !strings.Contains(e.Message, tc.message) {
			t.Errorf("%s: %v", tc.name, err)
		}
		if _, got := c.ConverseStream(ctx, tc.req, nil); got != err {
			t.Errorf("%s: ConverseStream %v", tc.name, got)
		}
		if _, got := c.Converse(ctx, tc.req); got != err {
			t.Errorf("%s: Converse %v", tc.name, got)
		}
	}
	for _, body := range []string{`{"messages":[}`, `{"modelId":"x","messages":[]}`, `[]`, `{"messages":[{"role":"user","content":"text"}]}`} {
		if req, err := bedrockstream.ConverseRequestFromJSON(model, body); req != nil || !errors.Is(err, bedrockstream.ErrInvalidInput) {
			t.Errorf("FromJSON %s: %v", body, err)
		}
	}
	if _, err := bedrockstream.ConverseRequestFromJSON(model, `{"messages":[}`); !strings.Contains(err.Error(), "line 1") {
		t.Errorf("no position: %v", err)
	}
	// Nil, zero and closed values fail, never panic.
	var nilReq *bedrockstream.ConverseRequest
	if _, err := c.Converse(ctx, nilReq); !errors.Is(err, bedrockstream.ErrNullArgument) || nilReq.AddText("x") != nil || nilReq.Close() != nil {
		t.Errorf("nil request: %v", err)
	}
	var zero bedrockstream.ConverseRequest
	if _, err := c.Converse(ctx, &zero); err != bedrockstream.ErrNotInitialized || zero.AddText("x").Err() != bedrockstream.ErrNotInitialized {
		t.Errorf("zero request: %v", err)
	}
	closed := hello(model, "x")
	closed.Close()
	if _, err := c.ConverseStream(ctx, closed, nil); err != bedrockstream.ErrClosed || closed.Close() != nil {
		t.Errorf("closed request: %v", err)
	}
	var zs bedrockstream.ConverseEventStream
	if zs.Next() || zs.Err() != bedrockstream.ErrNotInitialized || zs.Event() != nil || zs.Close() != nil {
		t.Errorf("zero stream: %v", zs.Err())
	}
	if msg, err := zs.Message(); msg != nil || err != bedrockstream.ErrNotInitialized {
		t.Errorf("zero stream message: %v", err)
	}
	var zc bedrockstream.Client
	if _, err := zc.Converse(ctx, hello(model, "x")); err != bedrockstream.ErrNotInitialized {
		t.Errorf("zero client: %v", err)
	}
	if _, err := zc.InvokeModel(ctx, &bedrockstream.Request{ModelID: model}); err != bedrockstream.ErrNotInitialized {
		t.Errorf("zero client: %v", err)
	}
	//lint:ignore SA1012 a nil context is what is tested
	if _, err := c.Converse(nil, hello(model, "x")); !errors.Is(err, bedrockstream.ErrNullArgument) {
		t.Errorf("nil context: %v", err)
	}
	if n := r.requests(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// Every builder method reaches the wire under the service model's member names (no
// emulator needed: a recording server answers 400).
func TestConverseRequestMembersAreSent(t *testing.T) {
	r := newRecorder(t)
	c := recorderClient(t, r)
	ctx := context.Background()
	req := bedrockstream.NewConverseRequest("arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/abc").
		AddSystemText("Be brief.").
		AddMessage(bedrockstream.RoleUser).
		AddText("Look:").
		AddImage(bedrockstream.ImagePNG, []byte("\x89PNG")).
		AddDocument(bedrockstream.DocumentTXT, "notes", []byte("hello")).
		AddCachePoint().
		AddMessage(bedrockstream.RoleAssistant).
		AddToolUse("tu1", "get_weather", `{"city":"Bern"}`).
		AddMessage(bedrockstream.RoleUser).
		AddToolResultJSON("tu1", `{"celsius":21}`, bedrockstream.ToolResultSuccess).
		AddToolResultText("tu1", "sunny", "").
		AddTool("get_weather", "The forecast.", weatherSchema).
		SetToolChoice(bedrockstream.ToolChoiceTool, "get_weather").
		SetMaxTokens(300).
		SetTemperature(0.5).
		SetTopP(0.25).
		AddStopSequence("END").
		SetGuardrail("gr1", "3", bedrockstream.GuardrailTraceEnabledFull, bedrockstream.StreamProcessingAsync).
		SetAdditionalModelRequestFields(`{"top_k":50}`).
		AddAdditionalModelResponseFieldPath("/stop_sequence").
		SetRequestMetadata("team", "go").
		SetRequestMetadata("empty", "").
		SetPerformanceConfigLatency(bedrockstream.LatencyOptimized).
		SetServiceTier(bedrockstream.ServiceTierPriority)
	if err := req.Err(); err != nil {
		t.Fatal(err)
	}
	_, err := c.ConverseStream(ctx, req, nil)
	if e := asError(t, err); !errors.Is(err, bedrockstream.ErrValidation) || e.RequestID != "req-recorded-1" {
		t.Errorf("%v", err)
	}
	_, path, body := r.last()
	if !strings.HasSuffix(path, "/converse-stream") || !strings.Contains(path, "application-inference-profile") {
		t.Errorf("path %q", path)
	}
	var got interface{}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	const want = `{
		"messages": [
			{"role": "user", "content": [
				{"text": "Look:"},
				{"image": {"format": "png", "source": {"bytes": "iVBORw=="}}},
				{"document": {"format": "txt", "name": "notes", "source": {"bytes": "aGVsbG8="}}},
				{"cachePoint": {"type": "default"}}]},
			{"role": "assistant", "content": [
				{"toolUse": {"toolUseId": "tu1", "name": "get_weather", "input": {"city": "Bern"}}}]},
			{"role": "user", "content": [
				{"toolResult": {"toolUseId": "tu1", "content": [{"json": {"celsius": 21}}], "status": "success"}},
				{"toolResult": {"toolUseId": "tu1", "content": [{"text": "sunny"}]}}]}],
		"system": [{"text": "Be brief."}],
		"inferenceConfig": {"maxTokens": 300, "temperature": 0.5, "topP": 0.25, "stopSequences": ["END"]},
		"toolConfig": {
			"tools": [{"toolSpec": {"name": "get_weather", "description": "The forecast.",
				"inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}}],
			"toolChoice": {"tool": {"name": "get_weather"}}},
		"guardrailConfig": {"guardrailIdentifier": "gr1", "guardrailVersion": "3", "trace": "enabled_full", "streamProcessingMode": "async"},
		"additionalModelRequestFields": {"top_k": 50},
		"additionalModelResponseFieldPaths": ["/stop_sequence"],
		"requestMetadata": {"team": "go", "empty": ""},
		"performanceConfig": {"latency": "optimized"},
		"serviceTier": {"type": "priority"}
	}`
	var wantValue interface{}
	if err := json.Unmarshal([]byte(want), &wantValue); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, wantValue) {
		t.Errorf("sent %s", body)
	}

	// Converse has no streamProcessingMode: refused before sending.
	before := r.requests()
	if _, err := c.Converse(ctx, req); !errors.Is(err, bedrockstream.ErrInvalidInput) || r.requests() != before {
		t.Errorf("Converse with a stream processing mode: %v", err)
	}

	// JSON text is sent byte for byte, to converse for Converse.
	text := `{"messages":[{"role":"user","content":[{"text":"Hi"}]}],  "inferenceConfig":{"maxTokens":5}}`
	fromJSON, err := bedrockstream.ConverseRequestFromJSON(model, text)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Converse(ctx, fromJSON); !errors.Is(err, bedrockstream.ErrValidation) {
		t.Errorf("%v", err)
	}
	if _, path, body := r.last(); string(body) != text || !strings.HasSuffix(path, "/converse") {
		t.Errorf("from JSON: %q %s", path, body)
	}

	// InvokeModel: the body byte for byte, to invoke.
	if _, err := c.InvokeModel(ctx, &bedrockstream.Request{ModelID: model, Body: []byte(`{"inputText":"hi"}`)}); !errors.Is(err, bedrockstream.ErrValidation) {
		t.Errorf("%v", err)
	}
	if _, path, body := r.last(); string(body) != `{"inputText":"hi"}` || !strings.HasSuffix(path, "/invoke") {
		t.Errorf("InvokeModel: %q %s", path, body)
	}
}

// The builder methods of every other member of the service model reach the wire under its
// names (a recording server answers 400), and their refusals are typed.
func TestConverseRequestEveryOtherMemberIsSent(t *testing.T) {
	r := newRecorder(t)
	c := recorderClient(t, r)
	two := []byte{1, 2}
	req := bedrockstream.NewConverseRequest(model).
		AddMessage(bedrockstream.RoleUser).
		AddText("every member").
		AddImageS3(bedrockstream.ImagePNG, "s3://bucket-a/i.png", "123456789012").
		AddDocumentS3("", "big", "s3://bucket-a/d.pdf", "").
		AddDocumentText(bedrockstream.DocumentTXT, "memo", "plain").
		SetDocumentContext("ctx").
		SetCitationsEnabled(true).
		AddDocumentContent("", "parts", "one").
		AddDocumentContentText("two").
		AddVideo("mp4", two).
		AddVideoS3("mov", "s3://bucket-a/v.mov", "").
		AddAudio("mp3", two).
		AddAudioS3("wav", "s3://bucket-a/a.wav", "123456789012").
		AddGuardContentText("guarded", "query", "grounding_source").
		AddGuardContentImage(bedrockstream.ImageJPEG, two).
		AddCachePointTTL("1h").
		AddSearchResult("kb", "KB", "first").
		AddSearchResultText("second").
		AddToolAddition("mcp", "lookup", "srv").
		AddToolRemoval("", "lookup", "").
		AddMessage(bedrockstream.RoleAssistant).
		AddReasoningText("thinking", "sig").
		AddReasoningRedacted(two).
		AddCitationsContent().
		AddCitationGeneratedText("Paris.").
		AddCitation("Atlas", "atlas.pdf").
		AddCitationSourceText("the capital").
		SetCitationLocation("documentPage", 0, 3, -1).
		AddCitation("", "").
		SetCitationWebLocation("https://example.com", "").
		AddToolUse("tu_1", "web_search", `{}`).
		SetToolBlockType("server_tool_use").
		AddMessage(bedrockstream.RoleUser).
		BeginToolResult("tu_1", bedrockstream.ToolResultSuccess).
		AddJSONContent(`{"n":1}`).
		AddText("result text").
		EndToolResult().
		SetToolBlockType("custom").
		AddSystemText("sys").
		AddSystemGuardContentText("rules").
		AddSystemGuardContentImage(bedrockstream.ImagePNG, two).
		AddSystemCachePoint("").
		AddTool("lookup", "", weatherSchema).
		SetToolStrict(true).
		AddSystemTool("nova_grounding").
		AddToolCachePoint("5m").
		SetProjectIdentifier("proj_1").
		SetPromptVariable("city", "Paris").
		SetOutputJSONSchema(`{"type":"object"}`, "answer", "").
		SetOutputEffort("low")
	if err := req.Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ConverseStream(context.Background(), req, nil); !errors.Is(err, bedrockstream.ErrValidation) {
		t.Errorf("%v", err)
	}
	_, _, body := r.last()
	var got interface{}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	const want = `{
		"messages": [
			{"role": "user", "content": [
				{"text": "every member"},
				{"image": {"format": "png", "source": {"s3Location": {"uri": "s3://bucket-a/i.png", "bucketOwner": "123456789012"}}}},
				{"document": {"name": "big", "source": {"s3Location": {"uri": "s3://bucket-a/d.pdf"}}}},
				{"document": {"format": "txt", "name": "memo", "source": {"text": "plain"}, "context": "ctx", "citations": {"enabled": true}}},
				{"document": {"name": "parts", "source": {"content": [{"text": "one"}, {"text": "two"}]}}},
				{"video": {"format": "mp4", "source": {"bytes": "AQI="}}},
				{"video": {"format": "mov", "source": {"s3Location": {"uri": "s3://bucket-a/v.mov"}}}},
				{"audio": {"format": "mp3", "source": {"bytes": "AQI="}}},
				{"audio": {"format": "wav", "source": {"s3Location": {"uri": "s3://bucket-a/a.wav", "bucketOwner": "123456789012"}}}},
				{"guardContent": {"text": {"text": "guarded", "qualifiers": ["query", "grounding_source"]}}},
				{"guardContent": {"image": {"format": "jpeg", "source": {"bytes": "AQI="}}}},
				{"cachePoint": {"type": "default", "ttl": "1h"}},
				{"searchResult": {"source": "kb", "title": "KB", "content": [{"text": "first"}, {"text": "second"}]}},
				{"toolAddition": {"tool": {"type": "mcp", "name": "lookup", "serverName": "srv"}}},
				{"toolRemoval": {"tool": {"name": "lookup"}}}]},
			{"role": "assistant", "content": [
				{"reasoningContent": {"reasoningText": {"text": "thinking", "signature": "sig"}}},
				{"reasoningContent": {"redactedContent": "AQI="}},
				{"citationsContent": {"content": [{"text": "Paris."}], "citations": [
					{"title": "Atlas", "source": "atlas.pdf", "sourceContent": [{"text": "the capital"}],
					 "location": {"documentPage": {"documentIndex": 0, "start": 3}}},
					{"location": {"web": {"url": "https://example.com"}}}]}},
				{"toolUse": {"toolUseId": "tu_1", "name": "web_search", "input": {}, "type": "server_tool_use"}}]},
			{"role": "user", "content": [
				{"toolResult": {"toolUseId": "tu_1", "status": "success", "type": "custom",
					"content": [{"json": {"n": 1}}, {"text": "result text"}]}}]}],
		"system": [{"text": "sys"}, {"guardContent": {"text": {"text": "rules"}}},
			{"guardContent": {"image": {"format": "png", "source": {"bytes": "AQI="}}}},
			{"cachePoint": {"type": "default"}}],
		"toolConfig": {"tools": [
			{"toolSpec": {"name": "lookup", "strict": true,
				"inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}},
			{"systemTool": {"name": "nova_grounding"}},
			{"cachePoint": {"type": "default", "ttl": "5m"}}]},
		"projectIdentifier": "proj_1",
		"promptVariables": {"city": {"text": "Paris"}},
		"outputConfig": {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": {"schema": "{\"type\":\"object\"}", "name": "answer"}}}, "effort": "low"}
	}`
	var wantValue interface{}
	if err := json.Unmarshal([]byte(want), &wantValue); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, wantValue) {
		t.Errorf("sent %s", body)
	}

	// Refusals are typed and name the method; the first one sticks.
	for name, bad := range map[string]*bedrockstream.ConverseRequest{
		"AddImageS3":          hello(model, "x").AddImageS3(bedrockstream.ImagePNG, "http://x/y", ""),
		"AddGuardContentText": hello(model, "x").AddGuardContentText("t", "everything"),
		"AddJSONContent":      hello(model, "x").AddJSONContent("1"),
		"EndToolResult":       hello(model, "x").EndToolResult(),
		"SetCitationLocation": hello(model, "x").AddCitationsContent().AddCitation("", "").SetCitationLocation("page", 0, 0, 0),
		"SetOutputEffort":     hello(model, "x").SetOutputEffort("a very long effort"),
		"AddVideo":            hello(model, "x").AddVideo("avi", two).AddText("later"),
	} {
		err := bad.Err()
		if !errors.Is(err, bedrockstream.ErrInvalidInput) || !strings.HasPrefix(asError(t, err).Message, name+": ") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := hello(model, "x").AddGuardContentText("t", "query\x00").Err(); !errors.Is(err, bedrockstream.ErrInvalidInput) {
		t.Errorf("a qualifier with a NUL: %v", err)
	}
}
