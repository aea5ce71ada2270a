package bedrockstream

/*
#include "bsgo.h"
*/
import "C"

import (
	"context"
	"runtime"
	"runtime/cgo"
	"sync"
	"unsafe"
)

// Client is a Bedrock Runtime client: resolved settings, credentials and a pool of
// keep-alive connections. It is safe for concurrent use by any number of goroutines;
// create one and share it. Close it when done.
type Client struct {
	mu     sync.Mutex
	idle   *sync.Cond // signalled when active drops to 0
	ptr    *C.bedrock_stream_client
	active int // calls running on ptr
	closed bool
}

// NewClient builds a client. Settings not given as options are resolved from the
// environment now (region, endpoint, profile, proxy, credential source); credentials
// themselves are fetched per call. No network traffic happens here. Fails with an *Error
// (StatusConfig, StatusCredentials, StatusInvalidUTF8, StatusInvalidInput).
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
	c.idle = sync.NewCond(&c.mu)
	var cerr *C.bedrock_stream_error
	if rc := C.bedrock_stream_client_new(cfg, &c.ptr, &cerr); rc != C.BEDROCK_STREAM_STATUS_OK {
		return nil, takeError(rc, cerr)
	}
	runtime.SetFinalizer(c, (*Client).Close)
	return c, nil
}

// Close waits for the calls running on the client to return, then frees it. Calls made
// afterwards fail with ErrClosed; Streams already open stay usable. Close is idempotent
// and always returns nil.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	for c.active > 0 {
		c.idle.Wait()
	}
	C.bedrock_stream_client_free(c.ptr)
	c.ptr = nil
	runtime.SetFinalizer(c, nil)
	return nil
}

// acquire registers a running call; false when the client is closed.
func (c *Client) acquire() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.active++
	return true
}

func (c *Client) release() {
	c.mu.Lock()
	c.active--
	if c.active == 0 {
		c.idle.Broadcast()
	}
	c.mu.Unlock()
}

// invocation is what the event callback of one Invoke call reaches through its cgo.Handle.
type invocation struct {
	fn       func(Event) error
	err      error // what fn returned to stop the stream
	panicked bool
	panicVal interface{}
}

// bsgoOnEvent is the library's event callback (through bsgo_event_cb in bsgo.c). It runs
// on the goroutine that called Invoke, while the C call is running. userData is the
// address of the call's cgo.Handle.
//
//export bsgoOnEvent
func bsgoOnEvent(userData unsafe.Pointer, event *C.bedrock_stream_event) (rc C.int32_t) {
	inv := (*(*cgo.Handle)(userData)).Value().(*invocation)
	// A panic must not unwind through the library's frames: stop the stream and re-raise
	// it in Invoke once the C call has returned.
	defer func() {
		if p := recover(); p != nil {
			inv.panicked, inv.panicVal = true, p
			rc = C.BEDROCK_STREAM_STOP
		}
	}()
	if err := inv.fn(copyEvent(event)); err != nil {
		inv.err = err
		return C.BEDROCK_STREAM_STOP
	}
	return C.BEDROCK_STREAM_CONTINUE
}

// Invoke sends req and calls fn once per event, in order, on this goroutine, until the
// stream ends (nil), fails (*Error), or fn stops it by returning an error. The Event
// given to fn is a copy the callback may keep.
//
//   - fn returns ErrStop: the stream is closed and Invoke returns nil.
//   - fn returns another error: the stream is closed and Invoke returns an *Error with
//     StatusAbortedByCallback that wraps it (errors.Is(err, yourErr) holds).
//   - fn panics: the stream is closed and Invoke panics with the same value.
//   - ctx is cancelled or expires: the call is cancelled from another goroutine and
//     Invoke returns an *Error with StatusCancelled that wraps ctx.Err().
//
// fn may start other calls on the same client; it must not call runtime.Goexit (so no
// t.FailNow in tests): that cannot unwind through the C library.
func (c *Client) Invoke(ctx context.Context, req *Request, fn func(Event) error) error {
	if fn == nil {
		return localError(StatusNullArgument, "the callback is nil")
	}
	if !c.acquire() {
		return ErrClosed
	}
	defer c.release()
	creq, err := req.build()
	if err != nil {
		return err
	}
	defer C.bedrock_stream_request_free(creq)
	cancel, err := newCancel()
	if err != nil {
		return err
	}
	defer C.bedrock_stream_cancel_free(cancel)

	inv := &invocation{fn: fn}
	h := cgo.NewHandle(inv)
	defer h.Delete()
	w := watch(ctx, cancel)
	var cerr *C.bedrock_stream_error
	rc := C.bsgo_invoke(c.ptr, creq, unsafe.Pointer(&h), cancel, &cerr)
	byContext := w.stop()
	if inv.panicked {
		if rc != C.BEDROCK_STREAM_STATUS_OK {
			C.bedrock_stream_error_free(cerr)
		}
		panic(inv.panicVal)
	}
	if rc == C.BEDROCK_STREAM_STATUS_OK {
		return nil
	}
	e := takeError(rc, cerr)
	switch {
	case e.Status == StatusAbortedByCallback && inv.err == ErrStop:
		return nil
	case e.Status == StatusAbortedByCallback:
		e.cause = inv.err
	case e.Status == StatusCancelled && (byContext || ctx.Err() != nil):
		e.cause = ctx.Err()
	}
	return e
}

// Open sends req and returns once the response headers are in (retries included), with a
// Stream to read with Next. Failures before the stream (HTTP errors, credentials,
// network, invalid input, cancellation) are returned here as *Error.
//
// ctx governs the whole stream: cancelling it makes a waiting or later Next fail with
// StatusCancelled (wrapping ctx.Err()). Close the Stream when done, also after an error.
func (c *Client) Open(ctx context.Context, req *Request) (*Stream, error) {
	if !c.acquire() {
		return nil, ErrClosed
	}
	defer c.release()
	creq, err := req.build()
	if err != nil {
		return nil, err
	}
	// The stream keeps nothing of the request: free it when open returns.
	defer C.bedrock_stream_request_free(creq)
	cancel, err := newCancel()
	if err != nil {
		return nil, err
	}
	w := watch(ctx, cancel)
	var cs *C.bedrock_stream_stream
	var cerr *C.bedrock_stream_error
	rc := C.bedrock_stream_client_open(c.ptr, creq, cancel, &cs, &cerr)
	if rc != C.BEDROCK_STREAM_STATUS_OK {
		byContext := w.stop()
		C.bedrock_stream_cancel_free(cancel)
		e := takeError(rc, cerr)
		if e.Status == StatusCancelled && (byContext || ctx.Err() != nil) {
			e.cause = ctx.Err()
		}
		return nil, e
	}
	s := &Stream{
		ptr:         cs,
		cancel:      cancel,
		watch:       w,
		ctx:         ctx,
		requestID:   goStringOrEmpty(C.bedrock_stream_stream_request_id(cs)),
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
// freed; it reports whether the context cancelled the call. Idempotent.
func (w *watcher) stop() bool {
	w.once.Do(func() {
		if w.done != nil {
			close(w.done)
			w.byCtx = <-w.fired
		}
	})
	return w.byCtx
}
