package bedrockstream_test

// The tests run against a Bedrock emulator (or any endpoint speaking the same protocol
// with the emulator's fault injection) whose URL is in BEDROCK_STREAM_TEST_ENDPOINT;
// tests/go_example.rs starts one and sets it. Without it, the emulator tests are skipped
// and only the tests that bring their own net/http/httptest server run.
//
// Credentials default to the emulator's (AKIDEMULATOR / emulator-secret, us-east-1);
// BEDROCK_STREAM_TEST_ACCESS_KEY_ID, BEDROCK_STREAM_TEST_SECRET_ACCESS_KEY and
// BEDROCK_STREAM_TEST_REGION override them.
//
// The examples (example_test.go) read region, endpoint and credentials from the
// environment, as a program would: TestMain points AWS_* at the emulator.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bedrockstream "github.com/bedrock-stream/bedrock-stream/examples-c/go"
)

const model = "anthropic.claude-3-5-haiku-20241022-v1:0"

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func TestMain(m *testing.M) {
	flag.Parse()
	if url := os.Getenv("BEDROCK_STREAM_TEST_ENDPOINT"); url != "" {
		// What the examples read, like any program using NewClient() without options.
		for k, v := range map[string]string{
			"AWS_REGION":                       envOr("BEDROCK_STREAM_TEST_REGION", "us-east-1"),
			"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": url,
			"AWS_ACCESS_KEY_ID":                envOr("BEDROCK_STREAM_TEST_ACCESS_KEY_ID", "AKIDEMULATOR"),
			"AWS_SECRET_ACCESS_KEY":            envOr("BEDROCK_STREAM_TEST_SECRET_ACCESS_KEY", "emulator-secret"),
		} {
			os.Setenv(k, v)
		}
		for _, k := range []string{"AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK", "AWS_PROFILE"} {
			os.Unsetenv(k)
		}
	} else {
		fmt.Fprintln(os.Stderr, "note: BEDROCK_STREAM_TEST_ENDPOINT is not set: "+
			"the tests and examples that need the Bedrock emulator are skipped (run with -v for details)")
		// Examples cannot skip themselves: leave them out unless asked for by -run.
		if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "" {
			f.Value.Set("^Test")
		}
	}
	os.Exit(m.Run())
}

// emulator returns the endpoint of the emulator, or skips the test.
func emulator(t *testing.T) string {
	t.Helper()
	url := envOr("BEDROCK_STREAM_TEST_ENDPOINT", "")
	if url == "" {
		t.Skip("BEDROCK_STREAM_TEST_ENDPOINT is not set: start the emulator " +
			"(`cargo run --features cli -- emulator`) and set it to its URL; " +
			"`cargo test --features emulator --test go_example` does both")
	}
	return url
}

// newClient builds a client for the emulator with its credentials, closed at the end.
func newClient(t *testing.T, opts ...bedrockstream.Option) *bedrockstream.Client {
	t.Helper()
	base := []bedrockstream.Option{
		bedrockstream.WithRegion(envOr("BEDROCK_STREAM_TEST_REGION", "us-east-1")),
		bedrockstream.WithEndpoint(emulator(t)),
		bedrockstream.WithCredentials(
			envOr("BEDROCK_STREAM_TEST_ACCESS_KEY_ID", "AKIDEMULATOR"),
			envOr("BEDROCK_STREAM_TEST_SECRET_ACCESS_KEY", "emulator-secret"), ""),
		bedrockstream.WithIgnoreEnvBearerToken(true),
		bedrockstream.WithNoProxy(true),
	}
	c, err := bedrockstream.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func claude(prompt string) []byte {
	b, err := json.Marshal(map[string]interface{}{
		"anthropic_version": "bedrock-2023-05-31",
		"max_tokens":        512,
		"messages":          []interface{}{map[string]string{"role": "user", "content": prompt}},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// reply is the emulator's answer to a Claude prompt.
func reply(prompt string) string {
	return "Hello from the Bedrock emulator! You said: “" + prompt + "”. 你好，世界！ 🦀"
}

// faulty is a request for an emulator-fault model id (read as a Claude stream).
func faulty(spec, prompt string) *bedrockstream.Request {
	return &bedrockstream.Request{
		ModelID:     "emulator-fault:" + spec,
		Body:        claude(prompt),
		ModelFamily: "anthropic-claude",
	}
}

// asError unwraps err into *bedrockstream.Error or fails the test.
func asError(t *testing.T, err error) *bedrockstream.Error {
	t.Helper()
	var e *bedrockstream.Error
	if !errors.As(err, &e) {
		t.Fatalf("want *bedrockstream.Error, got %T: %v", err, err)
	}
	return e
}

// summary is what a whole stream said.
type summary struct {
	events     []bedrockstream.Event
	text       string
	stopReason bedrockstream.StopReason
	metrics    *bedrockstream.Metrics
	usageIn    uint64
	usageOut   uint64
	textEvents int
}

func (s *summary) add(ev bedrockstream.Event) {
	s.events = append(s.events, ev)
	s.text += ev.Text
	if ev.Text != "" {
		s.textEvents++
	}
	if ev.StopReason != "" {
		s.stopReason = ev.StopReason
	}
	if ev.Metrics != nil {
		s.metrics = ev.Metrics
	}
	if u := ev.Usage; u != nil {
		if u.InputTokens != nil {
			s.usageIn = *u.InputTokens
		}
		if u.OutputTokens != nil {
			s.usageOut = *u.OutputTokens
		}
	}
}

// checkComplete checks a whole successful stream of the emulator's answer to prompt.
func (s *summary) checkComplete(t *testing.T, prompt string) {
	t.Helper()
	if s.text != reply(prompt) {
		t.Errorf("text %q, want %q", s.text, reply(prompt))
	}
	if s.stopReason != "end_turn" {
		t.Errorf("stop reason %q", s.stopReason)
	}
	m := s.metrics
	if m == nil || m.InputTokenCount == nil || m.OutputTokenCount == nil {
		t.Fatalf("no invocation metrics: %+v", m)
	}
	// The emulator bills one output token per text chunk.
	if *m.OutputTokenCount != uint64(s.textEvents) || s.textEvents < 2 {
		t.Errorf("output tokens %d, text chunks %d", *m.OutputTokenCount, s.textEvents)
	}
	if s.usageOut != *m.OutputTokenCount || s.usageIn != *m.InputTokenCount {
		t.Errorf("model usage %d in %d out, metrics %d in %d out",
			s.usageIn, s.usageOut, *m.InputTokenCount, *m.OutputTokenCount)
	}
	if m.InvocationLatency == nil || m.FirstByteLatency == nil || *m.InvocationLatency < 0 {
		t.Errorf("latencies %v %v", m.InvocationLatency, m.FirstByteLatency)
	}
	// Every event is a Go copy that outlived the stream: still intact afterwards.
	for i, ev := range s.events {
		if ev.Kind != bedrockstream.KindChunk || ev.EventType != "chunk" {
			t.Errorf("event %d: kind %v, type %q", i, ev.Kind, ev.EventType)
		}
		if !json.Valid(ev.Payload) {
			t.Errorf("event %d: payload is not JSON: %q", i, ev.Payload)
		}
		if ev.Text != "" && !strings.Contains(string(ev.Payload), ev.Text) {
			t.Errorf("event %d: text %q is not in the payload %s", i, ev.Text, ev.Payload)
		}
	}
}

func TestVersionMatchesTheHeader(t *testing.T) {
	if err := bedrockstream.CheckVersion(); err != nil {
		t.Fatal(err)
	}
	if v := bedrockstream.Version(); !strings.HasPrefix(v, "0.") {
		t.Errorf("version %q", v)
	}
	if s := bedrockstream.StatusThrottling.String(); s != "THROTTLING" {
		t.Errorf("status name %q", s)
	}
	if s := bedrockstream.Status(9999).String(); s != "UNKNOWN" {
		t.Errorf("unknown status name %q", s)
	}
}

func TestInvokeStreamsText(t *testing.T) {
	c := newClient(t)
	var s summary
	err := c.Invoke(context.Background(), &bedrockstream.Request{ModelID: model, Body: claude("push me")},
		func(ev bedrockstream.Event) error {
			s.add(ev)
			return nil
		})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	s.checkComplete(t, "push me")
}

func TestOpenReadsTheSameStream(t *testing.T) {
	c := newClient(t)
	req := &bedrockstream.Request{ModelID: model, Body: claude("pull me")}
	var push summary
	if err := c.Invoke(context.Background(), req, func(ev bedrockstream.Event) error {
		push.add(ev)
		return nil
	}); err != nil {
		t.Fatalf("Invoke: %v", err)
	}

	st, err := c.Open(context.Background(), req)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer st.Close()
	if st.RequestID() == "" {
		t.Error("no request id")
	}
	var pull summary
	for st.Next() {
		pull.add(st.Event())
	}
	if err := st.Err(); err != nil {
		t.Fatalf("Err: %v", err)
	}
	pull.checkComplete(t, "pull me")
	if len(pull.events) != len(push.events) || pull.text != push.text {
		t.Errorf("pull: %d events %q; push: %d events %q", len(pull.events), pull.text, len(push.events), push.text)
	}
	if got := st.EventsDelivered(); got != uint64(len(pull.events)) {
		t.Errorf("EventsDelivered %d, read %d", got, len(pull.events))
	}
	if st.Next() || st.Err() != nil {
		t.Error("Next after the end must return false with no error")
	}
	if st.Close() != nil || st.Close() != nil {
		t.Error("Close must be idempotent")
	}
}

func TestMidStreamExceptionIsTypedWithEventsDelivered(t *testing.T) {
	c := newClient(t)
	req := faulty("exception=modelStreamErrorException:after=2:status=502:original-message=upstream-boom", "x")
	check := func(t *testing.T, err error, calls int) {
		e := asError(t, err)
		if !errors.Is(err, bedrockstream.ErrModelStreamError) || errors.Is(err, bedrockstream.ErrThrottling) {
			t.Errorf("errors.Is: %v", err)
		}
		if e.Status != bedrockstream.StatusModelStreamError || e.HTTPStatus != 424 ||
			e.Code != "modelStreamErrorException" || e.EventsDelivered != 2 || calls != 2 ||
			e.OriginalStatusCode != 502 || e.OriginalMessage != "upstream-boom" || e.RequestID == "" {
			t.Errorf("calls %d, error %+v", calls, *e)
		}
		if !strings.Contains(e.Error(), "MODEL_STREAM_ERROR") || !strings.Contains(e.Error(), e.Message) {
			t.Errorf("Error() = %q", e.Error())
		}
	}
	t.Run("push", func(t *testing.T) {
		calls := 0
		err := c.Invoke(context.Background(), req, func(bedrockstream.Event) error { calls++; return nil })
		check(t, err, calls)
	})
	t.Run("pull", func(t *testing.T) {
		st, err := c.Open(context.Background(), req)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer st.Close()
		calls := 0
		for st.Next() {
			calls++
		}
		check(t, st.Err(), calls)
	})
	t.Run("throttling", func(t *testing.T) {
		var s summary
		err := c.Invoke(context.Background(), faulty("exception=throttlingException:after=3", "x"),
			func(ev bedrockstream.Event) error { s.add(ev); return nil })
		e := asError(t, err)
		if !errors.Is(err, bedrockstream.ErrThrottling) || e.HTTPStatus != 429 ||
			e.Code != "throttlingException" || !e.Retryable || e.EventsDelivered != 3 || len(s.events) != 3 {
			t.Errorf("%d events, error %+v", len(s.events), *e)
		}
		if !strings.HasPrefix(reply("x"), s.text) || s.text == "" {
			t.Errorf("text before the exception %q", s.text)
		}
	})
}

func TestBadCredentialsGiveATyped403(t *testing.T) {
	check := func(t *testing.T, err error, wantCode string) {
		e := asError(t, err)
		if e.HTTPStatus != 403 || e.EventsDelivered != 0 || e.Retryable || e.RequestID == "" ||
			(wantCode != "" && e.Code != wantCode) || e.Code == "" {
			t.Errorf("error %+v", *e)
		}
		if !errors.Is(err, bedrockstream.ErrUnmodeledService) && !errors.Is(err, bedrockstream.ErrAccessDenied) {
			t.Errorf("status %v", e.Status)
		}
	}
	req := &bedrockstream.Request{ModelID: model, Body: claude("hi")}
	c := newClient(t, bedrockstream.WithCredentials("AKIDEMULATOR", "not-the-secret", ""))
	t.Run("push", func(t *testing.T) {
		calls := 0
		err := c.Invoke(context.Background(), req, func(bedrockstream.Event) error { calls++; return nil })
		check(t, err, "InvalidSignatureException")
		if calls != 0 {
			t.Errorf("%d callback calls", calls)
		}
	})
	t.Run("pull", func(t *testing.T) {
		st, err := c.Open(context.Background(), req)
		if st != nil {
			st.Close()
			t.Fatal("Open returned a stream")
		}
		check(t, err, "InvalidSignatureException")
	})
	t.Run("bearer", func(t *testing.T) {
		c := newClient(t, bedrockstream.WithBearerToken("not-the-api-key"))
		err := c.Invoke(context.Background(), req, func(bedrockstream.Event) error { return nil })
		check(t, err, "")
	})
}

func TestContextCancelsTheStream(t *testing.T) {
	c := newClient(t)
	// Two chunks, then silence until the client closes the connection.
	req := faulty("stall:after=2", "x")
	checkCancelled := func(t *testing.T, err error, cause error, events uint64) {
		e := asError(t, err)
		if !errors.Is(err, bedrockstream.ErrCancelled) || !errors.Is(err, cause) || e.EventsDelivered != events {
			t.Errorf("want CANCELLED caused by %v after %d events, got %v (events %d)", cause, events, err, e.EventsDelivered)
		}
	}
	t.Run("push", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		second := make(chan struct{})
		go func() { <-second; cancel() }() // another goroutine cancels while Invoke waits
		calls := 0
		err := c.Invoke(ctx, req, func(bedrockstream.Event) error {
			calls++
			if calls == 2 {
				close(second)
			}
			return nil
		})
		checkCancelled(t, err, context.Canceled, 2)
	})
	t.Run("pull", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		st, err := c.Open(ctx, req)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer st.Close()
		n := 0
		for st.Next() {
			if n++; n == 2 {
				go cancel()
			}
		}
		checkCancelled(t, st.Err(), context.Canceled, 2)
	})
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		err := c.Invoke(ctx, req, func(bedrockstream.Event) error { return nil })
		checkCancelled(t, err, context.DeadlineExceeded, 2)
	})
	t.Run("already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		calls := 0
		err := c.Invoke(ctx, &bedrockstream.Request{ModelID: model, Body: claude("x")},
			func(bedrockstream.Event) error { calls++; return nil })
		checkCancelled(t, err, context.Canceled, 0)
		if calls != 0 {
			t.Errorf("%d callback calls", calls)
		}
		if _, err := c.Open(ctx, req); !errors.Is(err, bedrockstream.ErrCancelled) || !errors.Is(err, context.Canceled) {
			t.Errorf("Open: %v", err)
		}
	})
	t.Run("close from another goroutine", func(t *testing.T) {
		st, err := c.Open(context.Background(), req)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		n := 0
		for st.Next() {
			if n++; n == 2 {
				go st.Close()
			}
		}
		if err := st.Err(); err != bedrockstream.ErrClosed || st.EventsDelivered() != 2 || st.Next() {
			t.Errorf("after Close: %v, %d events", err, st.EventsDelivered())
		}
		st.Close()
	})
	// The client is still fine.
	var s summary
	if err := c.Invoke(context.Background(), &bedrockstream.Request{ModelID: model, Body: claude("after")},
		func(ev bedrockstream.Event) error { s.add(ev); return nil }); err != nil {
		t.Fatal(err)
	}
	s.checkComplete(t, "after")
}

func TestCallbackErrorStopsTheStream(t *testing.T) {
	c := newClient(t)
	req := &bedrockstream.Request{ModelID: model, Body: claude("stop me")}
	t.Run("error", func(t *testing.T) {
		errEnough := errors.New("enough")
		calls := 0
		err := c.Invoke(context.Background(), req, func(bedrockstream.Event) error {
			if calls++; calls == 3 {
				return errEnough
			}
			return nil
		})
		e := asError(t, err)
		if !errors.Is(err, errEnough) || !errors.Is(err, bedrockstream.ErrStoppedByCallback) ||
			calls != 3 || e.EventsDelivered != 3 {
			t.Errorf("calls %d, error %v %+v", calls, err, *e)
		}
		if !strings.HasSuffix(err.Error(), ": enough") {
			t.Errorf("Error() = %q", err.Error())
		}
	})
	t.Run("ErrStop", func(t *testing.T) {
		calls := 0
		err := c.Invoke(context.Background(), req, func(bedrockstream.Event) error {
			if calls++; calls == 2 {
				return bedrockstream.ErrStop
			}
			return nil
		})
		if err != nil || calls != 2 {
			t.Errorf("calls %d, error %v", calls, err)
		}
	})
	t.Run("panic", func(t *testing.T) {
		got := func() (p interface{}) {
			defer func() { p = recover() }()
			c.Invoke(context.Background(), req, func(bedrockstream.Event) error { panic("boom") })
			return nil
		}()
		if got != "boom" {
			t.Errorf("recovered %v", got)
		}
	})
	t.Run("nested call from the callback", func(t *testing.T) {
		var inner summary
		outer := 0
		err := c.Invoke(context.Background(), req, func(bedrockstream.Event) error {
			if outer++; outer == 1 {
				return c.Invoke(context.Background(), &bedrockstream.Request{ModelID: model, Body: claude("inner")},
					func(ev bedrockstream.Event) error { inner.add(ev); return nil })
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		inner.checkComplete(t, "inner")
	})
	// The client is still usable after all that.
	var s summary
	if err := c.Invoke(context.Background(), req, func(ev bedrockstream.Event) error { s.add(ev); return nil }); err != nil {
		t.Fatal(err)
	}
	s.checkComplete(t, "stop me")
}

// 32 goroutines share one client; each makes calls that succeed or fail in its own way.
// Every error must carry the details of its own call (marker in the message or code,
// events delivered), which a thread-local "last error" would mix up as goroutines move
// between OS threads.
func TestGoroutinesShareOneClientWithoutMixingErrors(t *testing.T) {
	c := newClient(t, bedrockstream.WithMaxAttempts(1))
	const goroutines, rounds = 32, 6
	var wg sync.WaitGroup
	var ok, failed, mismatched atomic.Int64
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				mark := fmt.Sprintf("mark-g%02d-r%02d-end", g, r)
				after := (g + r) % 4
				var req *bedrockstream.Request
				want := func(e *bedrockstream.Error) bool { return false }
				switch (g + r) % 4 {
				case 0: // success
					req = &bedrockstream.Request{ModelID: model, Body: claude(mark)}
				case 1: // HTTP error before the stream
					req = faulty("http=429:message="+mark, mark)
					want = func(e *bedrockstream.Error) bool {
						return e.Status == bedrockstream.StatusThrottling && e.HTTPStatus == 429 &&
							e.EventsDelivered == 0 && strings.Contains(e.Message, mark)
					}
				case 2: // exception after some events
					req = faulty(fmt.Sprintf("exception=serviceUnavailableException:after=%d:message=%s", after, mark), mark)
					want = func(e *bedrockstream.Error) bool {
						return e.Status == bedrockstream.StatusServiceUnavailable && e.HTTPStatus == 503 &&
							e.EventsDelivered == uint64(after) && strings.Contains(e.Message, mark)
					}
				case 3: // an error message whose code is the marker
					req = faulty(fmt.Sprintf("error=%s:after=%d", mark, after), mark)
					want = func(e *bedrockstream.Error) bool {
						return e.Status == bedrockstream.StatusStreamError && e.Code == mark &&
							e.EventsDelivered == uint64(after)
					}
				}
				var s summary
				var err error
				if g%2 == 0 {
					err = c.Invoke(context.Background(), req, func(ev bedrockstream.Event) error { s.add(ev); return nil })
				} else {
					var st *bedrockstream.Stream
					if st, err = c.Open(context.Background(), req); err == nil {
						for st.Next() {
							s.add(st.Event())
						}
						err = st.Err()
						st.Close()
					}
				}
				switch {
				case (g+r)%4 == 0 && err == nil && s.text == reply(mark):
					ok.Add(1)
				case (g+r)%4 == 0:
					mismatched.Add(1)
					t.Errorf("g%d r%d: error %v, text %q", g, r, err, s.text)
				default:
					var e *bedrockstream.Error
					if errors.As(err, &e) && want(e) && uint64(len(s.events)) == e.EventsDelivered {
						failed.Add(1)
					} else {
						mismatched.Add(1)
						t.Errorf("g%d r%d (%s): %d events, error %#v", g, r, mark, len(s.events), err)
					}
				}
			}
		}(g)
	}
	wg.Wait()
	if ok.Load()+failed.Load() != goroutines*rounds || mismatched.Load() != 0 {
		t.Errorf("ok %d, failed as expected %d, mismatched %d", ok.Load(), failed.Load(), mismatched.Load())
	}
}

func TestUnknownEventsAreDelivered(t *testing.T) {
	c := newClient(t)
	var s summary
	err := c.Invoke(context.Background(), faulty("unknown-event=futureEvent:after=1", "x"),
		func(ev bedrockstream.Event) error { s.add(ev); return nil })
	if err != nil {
		t.Fatal(err)
	}
	unknown := 0
	for _, ev := range s.events {
		if ev.Kind == bedrockstream.KindUnknown {
			unknown++
			if ev.EventType != "futureEvent" || ev.Text != "" {
				t.Errorf("unknown event %+v", ev)
			}
		}
	}
	if unknown != 1 || s.text != reply("x") {
		t.Errorf("%d unknown events, text %q", unknown, s.text)
	}
}

// WithMaxAttempts: 1 or less never retries; more than the C library's uint32 holds is the
// most it holds, not a wrapped-around small number.
func TestMaxAttemptsBounds(t *testing.T) {
	noop := func(bedrockstream.Event) error { return nil }
	attempts := func(opt bedrockstream.Option, ctx context.Context) *bedrockstream.Error {
		t.Helper()
		c := newClient(t, opt, bedrockstream.WithRetryBackoff(time.Millisecond, time.Millisecond))
		return asError(t, c.Invoke(ctx, faulty("http=503", "x"), noop))
	}
	for _, n := range []int{-1, 0, 1} {
		if e := attempts(bedrockstream.WithMaxAttempts(n), context.Background()); e.Attempts != 1 {
			t.Errorf("WithMaxAttempts(%d): %d attempts", n, e.Attempts)
		}
	}
	if e := attempts(bedrockstream.WithMaxAttempts(4), context.Background()); e.Attempts != 4 {
		t.Errorf("WithMaxAttempts(4): %d attempts", e.Attempts)
	}
	if strconv.IntSize == 64 {
		// 1<<32 + 2 wrapped around to 2 in a uint32; clamped, the retries go on until the
		// client's retry quota (100 retries) is used up.
		huge := int(uint64(1)<<32 + 2)
		if e := attempts(bedrockstream.WithMaxAttempts(huge), context.Background()); e.Attempts <= 4 {
			t.Errorf("WithMaxAttempts(1<<32 + 2): %v after %d attempts", e, e.Attempts)
		}
	}
}

func TestClosedClient(t *testing.T) {
	c := newClient(t)
	st, err := c.Open(context.Background(), &bedrockstream.Request{ModelID: model, Body: claude("outlive")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if c.Close() != nil || c.Close() != nil {
		t.Error("Close must be idempotent")
	}
	if err := c.Invoke(context.Background(), &bedrockstream.Request{ModelID: model}, func(bedrockstream.Event) error { return nil }); err != bedrockstream.ErrClosed {
		t.Errorf("Invoke after Close: %v", err)
	}
	if _, err := c.Open(context.Background(), &bedrockstream.Request{ModelID: model}); err != bedrockstream.ErrClosed {
		t.Errorf("Open after Close: %v", err)
	}
	// A stream stays usable after its client was closed.
	var s summary
	for st.Next() {
		s.add(st.Event())
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	s.checkComplete(t, "outlive")
}

// recorder is an HTTP server that records one request and answers with a modeled error.
type recorder struct {
	mu     sync.Mutex
	count  int
	header http.Header
	path   string
	body   []byte
	srv    *httptest.Server
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.count++
		r.header, r.path, r.body = req.Header.Clone(), req.URL.EscapedPath(), body
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("x-amzn-RequestId", "req-recorded-1")
		w.Header().Set("x-amzn-ErrorType", "ValidationException")
		w.WriteHeader(400)
		io.WriteString(w, `{"message":"recorded by the test server"}`)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// last is the last request recorded.
func (r *recorder) last() (http.Header, string, []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.header, r.path, r.body
}

func (r *recorder) requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count
}

func recorderClient(t *testing.T, r *recorder) *bedrockstream.Client {
	c, err := bedrockstream.NewClient(
		bedrockstream.WithRegion("us-west-2"),
		bedrockstream.WithEndpoint(r.srv.URL),
		bedrockstream.WithBearerToken("test-api-key"),
		bedrockstream.WithMaxAttempts(1),
		bedrockstream.WithNoProxy(true),
		bedrockstream.WithConnectTimeout(5*time.Second),
		bedrockstream.WithResponseHeadersTimeout(30*time.Second),
		bedrockstream.WithReadIdleTimeout(30*time.Second),
		bedrockstream.WithDeadline(time.Minute),
		bedrockstream.WithRetryBackoff(10*time.Millisecond, 100*time.Millisecond),
		bedrockstream.WithUserAgentSuffix("go-test/1"),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Every member of the Request reaches the wire (no emulator needed).
func TestEveryRequestMemberIsSent(t *testing.T) {
	r := newRecorder(t)
	c := recorderClient(t, r)
	req := &bedrockstream.Request{
		ModelID:                  "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/abc",
		Body:                     []byte(`{"inputText":"hi"}`),
		ContentType:              "application/json; charset=utf-8",
		Accept:                   "application/json",
		Trace:                    bedrockstream.TraceEnabledFull,
		GuardrailIdentifier:      "gr-123",
		GuardrailVersion:         "DRAFT",
		PerformanceConfigLatency: bedrockstream.LatencyOptimized,
		ServiceTier:              bedrockstream.ServiceTierFlex,
		RequestMetadata:          map[string]string{"team": "go", "run": "1"},
		ProjectIdentifier:        "proj-42",
		ModelFamily:              "amazon-titan-text",
	}
	err := c.Invoke(context.Background(), req, func(bedrockstream.Event) error {
		t.Error("no event expected")
		return nil
	})
	e := asError(t, err)
	if e.Status != bedrockstream.StatusValidation || !errors.Is(err, bedrockstream.ErrValidation) ||
		e.HTTPStatus != 400 || e.Code != "ValidationException" || e.RequestID != "req-recorded-1" ||
		!strings.Contains(e.Message, "recorded by the test server") || e.Attempts != 1 || e.Retryable {
		t.Errorf("error %+v", *e)
	}
	h, path, body := r.last()
	want := map[string]string{
		"Content-Type":                             "application/json; charset=utf-8",
		"X-Amzn-Bedrock-Accept":                    "application/json",
		"X-Amzn-Bedrock-Trace":                     "ENABLED_FULL",
		"X-Amzn-Bedrock-Guardrailidentifier":       "gr-123",
		"X-Amzn-Bedrock-Guardrailversion":          "DRAFT",
		"X-Amzn-Bedrock-Performanceconfig-Latency": "optimized",
		"X-Amzn-Bedrock-Service-Tier":              "flex",
		"X-Amzn-Bedrock-Projectidentifier":         "proj-42",
		"Authorization":                            "Bearer test-api-key",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	var md map[string]string
	if err := json.Unmarshal([]byte(h.Get("X-Amzn-Bedrock-Request-Metadata")), &md); err != nil ||
		len(md) != 2 || md["team"] != "go" || md["run"] != "1" {
		t.Errorf("request metadata %q", h.Get("X-Amzn-Bedrock-Request-Metadata"))
	}
	if !strings.HasSuffix(h.Get("User-Agent"), "go-test/1") {
		t.Errorf("User-Agent %q", h.Get("User-Agent"))
	}
	if !strings.Contains(path, "application-inference-profile") || !strings.HasSuffix(path, "/invoke-with-response-stream") {
		t.Errorf("path %q", path)
	}
	if string(body) != `{"inputText":"hi"}` {
		t.Errorf("body %q", body)
	}
}

// Invalid settings and requests fail with a typed error, before anything is sent.
func TestInvalidInputFailsBeforeSending(t *testing.T) {
	r := newRecorder(t)
	c := recorderClient(t, r)
	noop := func(bedrockstream.Event) error { return nil }
	cases := []struct {
		name string
		req  bedrockstream.Request
		want bedrockstream.Status
	}{
		{"trace", bedrockstream.Request{ModelID: model, Trace: "enable"}, bedrockstream.StatusInvalidInput},
		{"tier", bedrockstream.Request{ModelID: model, ServiceTier: "gold"}, bedrockstream.StatusInvalidInput},
		{"latency", bedrockstream.Request{ModelID: model, PerformanceConfigLatency: "fast"}, bedrockstream.StatusInvalidInput},
		{"family", bedrockstream.Request{ModelID: model, ModelFamily: "claude"}, bedrockstream.StatusInvalidInput},
		{"guardrail without version", bedrockstream.Request{ModelID: model, GuardrailIdentifier: "gr"}, bedrockstream.StatusInvalidInput},
		{"empty model id", bedrockstream.Request{}, bedrockstream.StatusInvalidInput},
		{"NUL in model id", bedrockstream.Request{ModelID: "a\x00b"}, bedrockstream.StatusInvalidInput},
		{"invalid UTF-8", bedrockstream.Request{ModelID: model, ProjectIdentifier: "\xff"}, bedrockstream.StatusInvalidUTF8},
		{"invalid UTF-8 in model id", bedrockstream.Request{ModelID: "ab\xc3("}, bedrockstream.StatusInvalidUTF8},
		// json.Marshal would have sent U+FFFD in its place.
		{"invalid UTF-8 in metadata", bedrockstream.Request{ModelID: model,
			RequestMetadata: map[string]string{"team": "caf\xe9"}}, bedrockstream.StatusInvalidUTF8},
		{"invalid UTF-8 in a metadata key", bedrockstream.Request{ModelID: model,
			RequestMetadata: map[string]string{"\xe9": "x"}}, bedrockstream.StatusInvalidUTF8},
	}
	// The messages name the Go field, never the C parameter (model_id, project, ...).
	messages := map[string]string{
		"NUL in model id":                 "bedrockstream: INVALID_INPUT: Request.ModelID contains a NUL byte (at offset 1)",
		"invalid UTF-8":                   "bedrockstream: INVALID_UTF8: Request.ProjectIdentifier is not valid UTF-8 (invalid byte at offset 0)",
		"invalid UTF-8 in model id":       "bedrockstream: INVALID_UTF8: Request.ModelID is not valid UTF-8 (invalid byte at offset 2)",
		"invalid UTF-8 in metadata":       `bedrockstream: INVALID_UTF8: Request.RequestMetadata["team"] is not valid UTF-8 (invalid byte at offset 3)`,
		"invalid UTF-8 in a metadata key": "bedrockstream: INVALID_UTF8: a key of Request.RequestMetadata is not valid UTF-8 (invalid byte at offset 0)",
	}
	for _, tc := range cases {
		err := c.Invoke(context.Background(), &tc.req, noop)
		if e := asError(t, err); e.Status != tc.want || e.Message == "" || e.HTTPStatus != 0 {
			t.Errorf("%s: %v (%+v)", tc.name, err, *e)
		}
		if want, ok := messages[tc.name]; ok && err.Error() != want {
			t.Errorf("%s: message %q, want %q", tc.name, err, want)
		}
		if _, err := c.Open(context.Background(), &tc.req); !errors.Is(err, tc.want) {
			t.Errorf("%s: Open: %v", tc.name, err)
		}
	}
	if err := c.Invoke(context.Background(), nil, noop); !errors.Is(err, bedrockstream.ErrNullArgument) {
		t.Errorf("nil request: %v", err)
	}
	if err := c.Invoke(context.Background(), &bedrockstream.Request{ModelID: model}, nil); !errors.Is(err, bedrockstream.ErrNullArgument) {
		t.Errorf("nil callback: %v", err)
	}
	//lint:ignore SA1012 a nil context is what is tested
	if err := c.Invoke(nil, &bedrockstream.Request{ModelID: model}, noop); !errors.Is(err, bedrockstream.ErrNullArgument) {
		t.Errorf("nil context: %v", err)
	}
	if n := r.requests(); n != 0 {
		t.Errorf("%d requests were sent", n)
	}

	configs := []struct {
		name string
		opt  bedrockstream.Option
		want bedrockstream.Status
	}{
		{"endpoint", bedrockstream.WithEndpoint("not a url"), bedrockstream.StatusConfig},
		{"proxy", bedrockstream.WithProxy("::nope::"), bedrockstream.StatusConfig},
		{"negative timeout", bedrockstream.WithConnectTimeout(-time.Second), bedrockstream.StatusConfig},
		{"missing CA file", bedrockstream.WithCAFile("/nonexistent/ca.pem"), bedrockstream.StatusConfig},
		{"bad CA PEM", bedrockstream.WithCAPEM([]byte("no certificate here\n")), bedrockstream.StatusConfig},
		{"NUL in region", bedrockstream.WithRegion("us\x00east"), bedrockstream.StatusInvalidInput},
		{"invalid UTF-8 in region", bedrockstream.WithRegion("us-\xffeast"), bedrockstream.StatusInvalidUTF8},
		{"invalid UTF-8 in the secret", bedrockstream.WithCredentials("AKID", "s3cr\xffet", ""), bedrockstream.StatusInvalidUTF8},
	}
	configMessages := map[string]string{
		"negative timeout":        "bedrockstream: CONFIG: WithConnectTimeout must not be negative (got -1s)",
		"NUL in region":           "bedrockstream: INVALID_INPUT: WithRegion contains a NUL byte (at offset 2)",
		"invalid UTF-8 in region": "bedrockstream: INVALID_UTF8: WithRegion is not valid UTF-8 (invalid byte at offset 3)",
		// The secret itself is never quoted.
		"invalid UTF-8 in the secret": "bedrockstream: INVALID_UTF8: WithCredentials (secret access key) is not valid UTF-8 (invalid byte at offset 4)",
	}
	for _, tc := range configs {
		c, err := bedrockstream.NewClient(bedrockstream.WithRegion("us-east-1"), tc.opt)
		if c != nil {
			c.Close()
		}
		var e *bedrockstream.Error
		if !errors.As(err, &e) || e.Status != tc.want || e.Message == "" {
			t.Errorf("%s: %v", tc.name, err)
		}
		if want, ok := configMessages[tc.name]; ok && (err == nil || err.Error() != want) {
			t.Errorf("%s: message %v, want %q", tc.name, err, want)
		}
	}
}
