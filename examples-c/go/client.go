package bedrockstream

/*
#include "bsgo.h"
*/
import "C"

import (
	"context"
	"runtime"
	"sync"
)

// Client is a Bedrock Runtime client: resolved settings, credentials and a pool of
// keep-alive connections. It is safe for concurrent use by any number of goroutines;
// create one with NewClient and share it. Close it when done.
//
// The zero Client is not usable: its calls return ErrNotInitialized (and Close does
// nothing), they never panic.
type Client struct {
	// mu is held for reading by the calls that use ptr (while the C library opens a
	// stream) and for writing by Close, which frees ptr.
	mu     sync.RWMutex
	ptr    *C.bedrock_stream_client
	closed bool
}

// NewClient builds a client. Settings not given as options are resolved from the
// environment now (region, endpoint, profile, proxy, credential source); credentials
// themselves are fetched per call. No network traffic happens here. Fails with an *Error
// (ErrConfig, ErrCredentials, ErrInvalidUTF8, ErrInvalidInput).
func NewClient(opts ...Option) (*Client, error) {
	var s settings
	for _, o := range opts {
		o(&s)
	}
	cfg, err := newConfig(&s)
	if err != nil {
		return nil, err
	}
	defer C.bedrock_stream_config_free(cfg)
	c := &Client{}
	var cerr *C.bedrock_stream_error
	if rc := C.bedrock_stream_client_new(cfg, &c.ptr, &cerr); rc != C.BEDROCK_STREAM_STATUS_OK {
		return nil, takeError(rc, cerr)
	}
	runtime.SetFinalizer(c, (*Client).Close)
	return c, nil
}

// Close frees the client once the calls that are opening a stream on it have their
// response headers. Calls made afterwards return ErrClosed. Streams already open, and
// Invoke calls already streaming, go on to their end: Close may be called from an
// Invoke callback. Close is idempotent and always returns nil.
func (c *Client) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if c.ptr != nil {
		C.bedrock_stream_client_free(c.ptr)
		c.ptr = nil
		runtime.SetFinalizer(c, nil)
	}
	return nil
}

// Invoke sends req and calls fn once per event, in order, on this goroutine, until the
// stream ends (nil), fails (*Error), or fn stops it by returning an error. The Event
// given to fn is a copy the callback may keep.
//
//   - fn returns ErrStop: the stream is closed and Invoke returns nil.
//   - fn returns another error: the stream is closed and Invoke returns an *Error
//     (ErrStoppedByCallback) that wraps it: errors.Is(err, yourErr) holds.
//   - fn panics or calls runtime.Goexit (t.FailNow in a test): the stream is closed and
//     the panic or Goexit goes on up the caller's stack, as from any Go function.
//   - ctx is cancelled or expires: the call is cancelled from another goroutine and
//     Invoke returns an *Error (ErrCancelled) that wraps ctx.Err().
//
// fn may start other calls on the same client, and even Close it (the running stream
// goes on to its end). Invoke is Open plus a loop over Next: the library never calls Go
// code, so nothing fn does can unwind through C frames.
func (c *Client) Invoke(ctx context.Context, req *Request, fn func(Event) error) error {
	if fn == nil {
		return localError(StatusNullArgument, "Invoke needs a callback: fn is nil")
	}
	s, err := c.Open(ctx, req)
	if err != nil {
		return err
	}
	// Deferred, so that it also runs when fn panics or calls runtime.Goexit: the
	// connection is closed, never leaked.
	defer s.Close()
	for s.Next() {
		if err := fn(s.Event()); err != nil {
			return s.stoppedBy(err)
		}
	}
	return s.Err()
}

// Open sends req and returns once the response headers are in (retries included), with a
// Stream to read with Next. Failures before the stream (HTTP errors, credentials,
// network, invalid input, cancellation) are returned here as *Error.
//
// ctx governs the whole stream: cancelling it makes a waiting or later Next fail with
// ErrCancelled (wrapping ctx.Err()). Close the Stream when done, also after an error.
func (c *Client) Open(ctx context.Context, req *Request) (*Stream, error) {
	if c == nil {
		return nil, ErrNotInitialized
	}
	if ctx == nil {
		return nil, localError(StatusNullArgument, "the context is nil (use context.Background())")
	}
	creq, err := req.build()
	if err != nil {
		return nil, err
	}
	// The stream keeps nothing of the request: free it when open returns.
	defer C.bedrock_stream_request_free(creq)
	var cs *C.bedrock_stream_stream
	cancel, w, err := c.call(ctx, func(cl *C.bedrock_stream_client, cancel *C.bedrock_stream_cancel, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_client_open(cl, creq, cancel, &cs, e)
	})
	if err != nil {
		return nil, err
	}
	s := &Stream{
		streamCore:  streamCore{cancel: cancel, watch: w, ctx: ctx, requestID: goStringOrEmpty(C.bedrock_stream_stream_request_id(cs))},
		ptr:         cs,
		contentType: goStringOrEmpty(C.bedrock_stream_stream_content_type(cs)),
	}
	runtime.SetFinalizer(s, (*Stream).Close)
	return s, nil
}

func newCancel() (*C.bedrock_stream_cancel, error) {
	var cancel *C.bedrock_stream_cancel
	var cerr *C.bedrock_stream_error
	if rc := C.bedrock_stream_cancel_new(&cancel, &cerr); rc != C.BEDROCK_STREAM_STATUS_OK {
		return nil, takeError(rc, cerr)
	}
	return cancel, nil
}

// watcher cancels a C call when its context is done, from its own goroutine.
type watcher struct {
	done  chan struct{}
	fired chan bool
	once  sync.Once
	byCtx bool
}

// watch starts watching ctx for the call that uses cancel. Call stop before freeing cancel.
func watch(ctx context.Context, cancel *C.bedrock_stream_cancel) *watcher {
	w := &watcher{}
	if ctx.Done() == nil {
		return w // context.Background(): never cancelled
	}
	w.done = make(chan struct{})
	w.fired = make(chan bool, 1)
	go func() {
		select {
		case <-ctx.Done():
			// Safe from any thread, at any time; the call returns CANCELLED promptly.
			C.bedrock_stream_cancel_cancel(cancel)
			w.fired <- true
		case <-w.done:
			w.fired <- false
		}
	}()
	return w
}

// stop ends the watch and waits for the goroutine, so that the cancel handle may be
// freed; it reports whether the context cancelled the call. Idempotent; a nil watcher
// (the zero Stream) watches nothing.
func (w *watcher) stop() bool {
	if w == nil {
		return false
	}
	w.once.Do(func() {
		if w.done != nil {
			close(w.done)
			w.byCtx = <-w.fired
		}
	})
	return w.byCtx
}
