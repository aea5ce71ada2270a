package bedrockstream_test

// What a callback may do besides returning: panic (also with nil), runtime.Goexit
// (t.FailNow), Close the client; and what the zero values do.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	bedrockstream "github.com/bedrock-stream/bedrock-stream/examples-c/go"
)

// within fails the test unless done is closed within a generous bound.
func within(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: still waiting after 20 s", what)
	}
}

// proxy is a TCP proxy in front of the emulator that reports each client connection the
// library closes: a leaked connection is never reported.
type proxy struct {
	url    string
	closed chan struct{} // one value per client connection that was closed
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{url: "http://" + ln.Addr().String(), closed: make(chan struct{}, 100)}
	var conns sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close() // also a connection the library leaked
		}
		mu.Unlock()
		conns.Wait()
	})
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", u.Host)
			if err != nil {
				client.Close()
				continue
			}
			mu.Lock()
			open = append(open, client, server)
			mu.Unlock()
			conns.Add(1)
			go func() {
				defer conns.Done()
				go func() { io.Copy(client, server); client.Close() }()
				io.Copy(server, client) // returns when the library closes its end
				server.Close()
				p.closed <- struct{}{}
			}()
		}
	}()
	return p
}

// A panic(nil) in a callback is not swallowed: the stream stops, and the panic reaches the
// caller of Invoke (with Go < 1.21 recover() returns nil for it, so the callers below
// detect it by Invoke not returning).
func TestPanicNilInCallbackStopsTheStream(t *testing.T) {
	p := newProxy(t, emulator(t))
	c := newClient(t, bedrockstream.WithEndpoint(p.url))
	calls, returned := 0, false
	func() {
		defer func() { recover() }()
		c.Invoke(context.Background(), &bedrockstream.Request{ModelID: model, Body: claude("nil")},
			func(bedrockstream.Event) error {
				calls++
				panic(nil)
			})
		returned = true
	}()
	if returned || calls != 1 {
		t.Fatalf("Invoke returned normally (%v) after %d callback calls", returned, calls)
	}
	// Stopped mid-stream: the connection cannot be reused and is closed.
	done := make(chan struct{})
	go func() { <-p.closed; close(done) }()
	within(t, done, "the connection of the stream stopped by panic(nil) to be closed")
}

// runtime.Goexit in a callback (what t.FailNow does) ends the goroutine like anywhere in
// Go: the stream is closed on the way, its connection is not leaked, and the client
// still works.
func TestGoexitInCallbackClosesTheConnection(t *testing.T) {
	p := newProxy(t, emulator(t))
	c := newClient(t, bedrockstream.WithEndpoint(p.url))
	for round := 0; round < 3; round++ {
		done := make(chan struct{})
		calls, returned := 0, false
		go func() {
			defer close(done)
			// Two chunks, then silence until the client hangs up.
			c.Invoke(context.Background(), faulty("stall:after=2", "x"), func(bedrockstream.Event) error {
				if calls++; calls == 2 {
					runtime.Goexit()
				}
				return nil
			})
			returned = true
		}()
		within(t, done, "the goroutine that called runtime.Goexit in the callback to end")
		if returned || calls != 2 {
			t.Fatalf("round %d: Invoke returned (%v) after %d calls", round, returned, calls)
		}
		closed := make(chan struct{})
		go func() { <-p.closed; close(closed) }()
		within(t, closed, "the connection of the stalled stream to be closed (leaked)")
	}
	var s summary
	if err := c.Invoke(context.Background(), &bedrockstream.Request{ModelID: model, Body: claude("after Goexit")},
		func(ev bedrockstream.Event) error { s.add(ev); return nil }); err != nil {
		t.Fatal(err)
	}
	s.checkComplete(t, "after Goexit")
}

// Client.Close from inside a callback returns at once; the running stream goes on to its
// end and later calls fail with ErrClosed.
func TestCloseFromACallback(t *testing.T) {
	c := newClient(t)
	var s summary
	var closeErr, err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		err = c.Invoke(context.Background(), &bedrockstream.Request{ModelID: model, Body: claude("close me")},
			func(ev bedrockstream.Event) error {
				if s.add(ev); len(s.events) == 1 {
					closeErr = c.Close()
				}
				return nil
			})
	}()
	within(t, done, "Invoke whose callback closed the client")
	if err != nil || closeErr != nil {
		t.Fatalf("Invoke: %v, Close: %v", err, closeErr)
	}
	s.checkComplete(t, "close me")
	noop := func(bedrockstream.Event) error { return nil }
	if err := c.Invoke(context.Background(), &bedrockstream.Request{ModelID: model, Body: claude("x")}, noop); err != bedrockstream.ErrClosed {
		t.Errorf("Invoke after Close: %v", err)
	}
}

// The zero Client and the zero Stream return errors, never panic.
func TestZeroValuesAreSafe(t *testing.T) {
	noop := func(bedrockstream.Event) error { return nil }
	req := &bedrockstream.Request{ModelID: model, Body: claude("zero")}
	var c bedrockstream.Client
	if err := c.Invoke(context.Background(), req, noop); err != bedrockstream.ErrNotInitialized {
		t.Errorf("zero Client: Invoke: %v", err)
	}
	if s, err := c.Open(context.Background(), req); s != nil || err != bedrockstream.ErrNotInitialized {
		t.Errorf("zero Client: Open: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("zero Client: Close: %v", err)
	}
	if err := c.Invoke(context.Background(), req, noop); err != bedrockstream.ErrClosed {
		t.Errorf("zero Client after Close: Invoke: %v", err)
	}
	var nilClient *bedrockstream.Client
	if _, err := nilClient.Open(context.Background(), req); err != bedrockstream.ErrNotInitialized {
		t.Errorf("nil Client: Open: %v", err)
	}
	if err := nilClient.Close(); err != nil {
		t.Errorf("nil Client: Close: %v", err)
	}

	var s bedrockstream.Stream
	if s.Next() || s.Err() != bedrockstream.ErrNotInitialized || s.EventsDelivered() != 0 ||
		s.RequestID() != "" || s.Event().Kind != 0 {
		t.Errorf("zero Stream: Err %v", s.Err())
	}
	if s.Close() != nil || s.Next() {
		t.Error("zero Stream: Close")
	}
	var s2 bedrockstream.Stream
	s2.Close()
	if s2.Next() || s2.Err() != bedrockstream.ErrClosed {
		t.Errorf("closed zero Stream: Err %v", s2.Err())
	}
}

// Each kind of failure has a sentinel for errors.Is; timeouts say so (net.Error style).
func TestSentinelErrorsAndTimeout(t *testing.T) {
	c := newClient(t, bedrockstream.WithMaxAttempts(1))
	noop := func(bedrockstream.Event) error { return nil }
	cases := []struct {
		spec    string
		want    error
		timeout bool
	}{
		{"exception=throttlingException:after=1", bedrockstream.ErrThrottling, false},
		{"http=503", bedrockstream.ErrServiceUnavailable, false},
		{"exception=modelTimeoutException:after=0", bedrockstream.ErrModelTimeout, true},
		{"exception=internalServerException:after=2", bedrockstream.ErrInternalServer, false},
		{"exception=validationException:after=0", bedrockstream.ErrValidation, false},
	}
	others := []error{bedrockstream.ErrThrottling, bedrockstream.ErrServiceUnavailable, bedrockstream.ErrModelTimeout,
		bedrockstream.ErrInternalServer, bedrockstream.ErrValidation, bedrockstream.ErrTimeout, bedrockstream.ErrCancelled}
	for _, tc := range cases {
		err := c.Invoke(context.Background(), faulty(tc.spec, "x"), noop)
		e := asError(t, err)
		for _, other := range others {
			if errors.Is(err, other) != (other == tc.want) {
				t.Errorf("%s: errors.Is(%v, %v) = %v", tc.spec, err, other, !(other == tc.want))
			}
		}
		if e.Timeout() != tc.timeout {
			t.Errorf("%s: Timeout() = %v", tc.spec, e.Timeout())
		}
	}

	t.Run("read idle timer", func(t *testing.T) {
		c := newClient(t, bedrockstream.WithReadIdleTimeout(200*time.Millisecond), bedrockstream.WithMaxAttempts(1))
		err := c.Invoke(context.Background(), faulty("stall:after=2", "x"), noop)
		e := asError(t, err)
		if !errors.Is(err, bedrockstream.ErrTimeout) || !e.Timeout() || e.Timer != "read-idle" || e.EventsDelivered != 2 {
			t.Errorf("%v: timeout %v, timer %q", err, e.Timeout(), e.Timer)
		}
		var ne interface{ Timeout() bool }
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("not a Timeout() error: %v", err)
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		err := c.Invoke(ctx, faulty("stall:after=1", "x"), noop)
		e := asError(t, err)
		if !errors.Is(err, bedrockstream.ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) || !e.Timeout() {
			t.Errorf("%v: timeout %v", err, e.Timeout())
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := c.Invoke(ctx, faulty("stall:after=1", "x"), noop)
		e := asError(t, err)
		if !errors.Is(err, bedrockstream.ErrCancelled) || !errors.Is(err, context.Canceled) || e.Timeout() {
			t.Errorf("%v: timeout %v", err, e.Timeout())
		}
	})
	t.Run("stopped by the callback speaks Go", func(t *testing.T) {
		errMine := errors.New("mine")
		err := c.Invoke(context.Background(), &bedrockstream.Request{ModelID: model, Body: claude("x")},
			func(bedrockstream.Event) error { return errMine })
		e := asError(t, err)
		if !errors.Is(err, bedrockstream.ErrStoppedByCallback) || !errors.Is(err, errMine) || e.EventsDelivered != 1 ||
			e.RequestID == "" || e.Timeout() {
			t.Errorf("%v (%+v)", err, *e)
		}
		if msg := err.Error(); strings.Contains(msg, "returned 1") || !strings.Contains(msg, "the callback stopped the stream: mine") {
			t.Errorf("message %q", msg)
		}
	})
}
