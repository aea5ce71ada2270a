package bedrockstream

/*
#include <stdlib.h>
#include <bedrock_stream.h>
*/
import "C"

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// An Option changes one setting of NewClient. Settings that are not given are resolved
// from the environment and the shared AWS config files when the client is built.
type Option func(*settings)

// settings collects the options; nil / zero means "not set".
type settings struct {
	region, endpoint, profile, proxy, userAgentSuffix *string
	bearerToken                                       *string
	accessKeyID, secretAccessKey, sessionToken        string
	hasCredentials                                    bool
	ignoreEnvBearerToken, noProxy, fips, dualStack    *bool
	connectTimeout, responseHeadersTimeout            *time.Duration
	readIdleTimeout, deadline                         *time.Duration
	maxAttempts                                       *uint32
	backoffInitial, backoffMax                        *time.Duration
	caFiles                                           []string
	caPEMs                                            [][]byte
}

// WithRegion sets the AWS region (also the SigV4 signing region), e.g. "us-east-1".
func WithRegion(region string) Option { return func(s *settings) { s.region = &region } }

// WithEndpoint sets a custom endpoint URL (a VPC endpoint, the local emulator...), e.g.
// "http://127.0.0.1:8080". Requests are still signed for bedrock in the region.
func WithEndpoint(url string) Option { return func(s *settings) { s.endpoint = &url } }

// WithProfile selects the shared-config profile (instead of AWS_PROFILE / "default").
func WithProfile(profile string) Option { return func(s *settings) { s.profile = &profile } }

// WithCredentials sets static credentials; sessionToken may be empty.
func WithCredentials(accessKeyID, secretAccessKey, sessionToken string) Option {
	return func(s *settings) {
		s.accessKeyID, s.secretAccessKey, s.sessionToken = accessKeyID, secretAccessKey, sessionToken
		s.hasCredentials = true
	}
}

// WithBearerToken sets a Bedrock API key, sent as "Authorization: Bearer" instead of
// SigV4; it wins over static credentials and AWS_BEARER_TOKEN_BEDROCK.
func WithBearerToken(token string) Option { return func(s *settings) { s.bearerToken = &token } }

// WithIgnoreEnvBearerToken makes the client ignore AWS_BEARER_TOKEN_BEDROCK.
func WithIgnoreEnvBearerToken(ignore bool) Option {
	return func(s *settings) { s.ignoreEnvBearerToken = &ignore }
}

// WithConnectTimeout bounds connecting (DNS, TCP, proxy CONNECT, TLS); 0 switches it off.
// Default 10s.
func WithConnectTimeout(d time.Duration) Option {
	return func(s *settings) { s.connectTimeout = &d }
}

// WithResponseHeadersTimeout bounds the time from sending the request to the response
// headers; 0 switches it off. Default 300s.
func WithResponseHeadersTimeout(d time.Duration) Option {
	return func(s *settings) { s.responseHeadersTimeout = &d }
}

// WithReadIdleTimeout bounds the silence on an open stream (no byte at all); 0 switches
// it off. Default 60s (botocore's read timeout). A long generation is never cut while bytes
// flow.
func WithReadIdleTimeout(d time.Duration) Option {
	return func(s *settings) { s.readIdleTimeout = &d }
}

// WithDeadline bounds a whole call, retries included; 0 (the default) switches it off.
// A context deadline does the same per call.
func WithDeadline(d time.Duration) Option { return func(s *settings) { s.deadline = &d } }

// WithMaxAttempts sets the attempts in all, the first one included (1, or less, = never
// retry). Default 3. Retries happen only before the first event.
func WithMaxAttempts(n int) Option {
	return func(s *settings) {
		v := uint32(1)
		if n > 1 {
			v = uint32(math.MaxUint32)
			if uint64(n) < math.MaxUint32 {
				v = uint32(n)
			}
		}
		s.maxAttempts = &v
	}
}

// WithRetryBackoff sets the retry backoff bounds: the first retry waits a random time
// below initial, doubling per attempt, never more than max. Defaults 1s and 20s.
func WithRetryBackoff(initial, max time.Duration) Option {
	return func(s *settings) { s.backoffInitial, s.backoffMax = &initial, &max }
}

// WithCAFile trusts the CA certificates of a PEM file in addition to the built-in roots.
func WithCAFile(path string) Option {
	return func(s *settings) { s.caFiles = append(s.caFiles, path) }
}

// WithCAPEM trusts the CA certificates of a PEM bundle in memory in addition to the
// built-in roots.
func WithCAPEM(pem []byte) Option {
	return func(s *settings) { s.caPEMs = append(s.caPEMs, append([]byte(nil), pem...)) }
}

// WithProxy sets an HTTP(S) proxy URL ("http://user:pass@host:port") used instead of
// HTTPS_PROXY & co.
func WithProxy(url string) Option { return func(s *settings) { s.proxy = &url } }

// WithNoProxy(true) disables every proxy, including HTTPS_PROXY and WithProxy.
func WithNoProxy(noProxy bool) Option { return func(s *settings) { s.noProxy = &noProxy } }

// WithFIPS selects (or not) the FIPS endpoint, instead of AWS_USE_FIPS_ENDPOINT.
func WithFIPS(use bool) Option { return func(s *settings) { s.fips = &use } }

// WithDualStack selects (or not) the dual-stack endpoint, instead of
// AWS_USE_DUALSTACK_ENDPOINT.
func WithDualStack(use bool) Option { return func(s *settings) { s.dualStack = &use } }

// WithUserAgentSuffix appends text to the User-Agent header.
func WithUserAgentSuffix(suffix string) Option {
	return func(s *settings) { s.userAgentSuffix = &suffix }
}

// cString copies s to C memory (free it with C.free). A NUL byte cannot be passed to C,
// and the library takes UTF-8 only: both are refused here, where the error can name the Go
// field or option (what) rather than the C parameter.
func cString(what, s string) (*C.char, error) {
	if err := checkString(what, s); err != nil {
		return nil, err
	}
	return C.CString(s), nil
}

// checkString refuses a string that C cannot take whole: one with a NUL byte (ErrInvalidInput)
// or that is not valid UTF-8 (ErrInvalidUTF8). The value is never quoted: it may be a secret.
func checkString(what, s string) error {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return localError(StatusInvalidInput, fmt.Sprintf("%s contains a NUL byte (at offset %d)", what, i))
	}
	if !utf8.ValidString(s) {
		i := 0
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return localError(StatusInvalidUTF8, fmt.Sprintf("%s is not valid UTF-8 (invalid byte at offset %d)", what, i))
	}
	return nil
}

// setString calls a C setter that takes one string.
func setString(what string, value string, set func(*C.char, **C.bedrock_stream_error) C.bedrock_stream_status) error {
	cs, err := cString(what, value)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cs))
	var cerr *C.bedrock_stream_error
	if rc := set(cs, &cerr); rc != C.BEDROCK_STREAM_STATUS_OK {
		return takeError(rc, cerr)
	}
	return nil
}

// check converts the result of a C call that took err_out.
func check(rc C.bedrock_stream_status, cerr *C.bedrock_stream_error) error {
	if rc != C.BEDROCK_STREAM_STATUS_OK {
		return takeError(rc, cerr)
	}
	return nil
}

// millis converts a timeout: 0 stays 0 (off), anything positive is at least 1ms.
func millis(what string, d time.Duration) (C.uint64_t, error) {
	switch {
	case d < 0:
		return 0, localError(StatusConfig, fmt.Sprintf("%s must not be negative (got %v)", what, d))
	case d == 0:
		return 0, nil
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	return C.uint64_t(ms), nil
}

// newConfig builds the C config from the options; the caller frees it.
func newConfig(s *settings) (*C.bedrock_stream_config, error) {
	var cfg *C.bedrock_stream_config
	var cerr *C.bedrock_stream_error
	if rc := C.bedrock_stream_config_new(&cfg, &cerr); rc != C.BEDROCK_STREAM_STATUS_OK {
		return nil, takeError(rc, cerr)
	}
	if err := applySettings(cfg, s); err != nil {
		C.bedrock_stream_config_free(cfg)
		return nil, err
	}
	return cfg, nil
}

func applySettings(cfg *C.bedrock_stream_config, s *settings) error {
	strs := []struct {
		what  string
		value *string
		set   func(*C.char, **C.bedrock_stream_error) C.bedrock_stream_status
	}{
		{"WithRegion", s.region, func(v *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_config_set_region(cfg, v, e)
		}},
		{"WithEndpoint", s.endpoint, func(v *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_config_set_endpoint_url(cfg, v, e)
		}},
		{"WithProfile", s.profile, func(v *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_config_set_profile(cfg, v, e)
		}},
		{"WithBearerToken", s.bearerToken, func(v *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_config_set_bearer_token(cfg, v, e)
		}},
		{"WithProxy", s.proxy, func(v *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_config_set_proxy(cfg, v, e)
		}},
		{"WithUserAgentSuffix", s.userAgentSuffix, func(v *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_config_set_user_agent_suffix(cfg, v, e)
		}},
	}
	for _, f := range strs {
		if f.value == nil {
			continue
		}
		if err := setString(f.what, *f.value, f.set); err != nil {
			return err
		}
	}
	if s.hasCredentials {
		if err := setCredentials(cfg, s); err != nil {
			return err
		}
	}
	bools := []struct {
		value *bool
		set   func(C.bool, **C.bedrock_stream_error) C.bedrock_stream_status
	}{
		{s.ignoreEnvBearerToken, func(v C.bool, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_config_set_ignore_env_bearer_token(cfg, v, e)
		}},
		{s.noProxy, func(v C.bool, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_config_set_no_proxy(cfg, v, e)
		}},
		{s.fips, func(v C.bool, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_config_set_use_fips(cfg, v, e)
		}},
		{s.dualStack, func(v C.bool, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_config_set_use_dual_stack(cfg, v, e)
		}},
	}
	for _, f := range bools {
		if f.value == nil {
			continue
		}
		var cerr *C.bedrock_stream_error
		if err := check(f.set(C.bool(*f.value), &cerr), cerr); err != nil {
			return err
		}
	}
	timers := []struct {
		what  string
		value *time.Duration
		set   func(C.uint64_t, **C.bedrock_stream_error) C.bedrock_stream_status
	}{
		{"WithConnectTimeout", s.connectTimeout, func(v C.uint64_t, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_config_set_connect_timeout_ms(cfg, v, e)
		}},
		{"WithResponseHeadersTimeout", s.responseHeadersTimeout, func(v C.uint64_t, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_config_set_response_headers_timeout_ms(cfg, v, e)
		}},
		{"WithReadIdleTimeout", s.readIdleTimeout, func(v C.uint64_t, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_config_set_read_idle_timeout_ms(cfg, v, e)
		}},
		{"WithDeadline", s.deadline, func(v C.uint64_t, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_config_set_deadline_ms(cfg, v, e)
		}},
	}
	for _, f := range timers {
		if f.value == nil {
			continue
		}
		ms, err := millis(f.what, *f.value)
		if err != nil {
			return err
		}
		var cerr *C.bedrock_stream_error
		if err := check(f.set(ms, &cerr), cerr); err != nil {
			return err
		}
	}
	if s.maxAttempts != nil {
		var cerr *C.bedrock_stream_error
		if err := check(C.bedrock_stream_config_set_max_attempts(cfg, C.uint32_t(*s.maxAttempts), &cerr), cerr); err != nil {
			return err
		}
	}
	if s.backoffInitial != nil {
		initial, err := millis("WithRetryBackoff (initial)", *s.backoffInitial)
		if err != nil {
			return err
		}
		max, err := millis("WithRetryBackoff (max)", *s.backoffMax)
		if err != nil {
			return err
		}
		var cerr *C.bedrock_stream_error
		if err := check(C.bedrock_stream_config_set_retry_backoff_ms(cfg, initial, max, &cerr), cerr); err != nil {
			return err
		}
	}
	for _, path := range s.caFiles {
		err := setString("WithCAFile", path, func(v *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_config_set_ca_bundle_file(cfg, v, e)
		})
		if err != nil {
			return err
		}
	}
	for _, pem := range s.caPEMs {
		var p *C.uint8_t
		if len(pem) > 0 {
			p = (*C.uint8_t)(unsafe.Pointer(&pem[0]))
		}
		var cerr *C.bedrock_stream_error
		if err := check(C.bedrock_stream_config_set_ca_bundle_pem(cfg, p, C.size_t(len(pem)), &cerr), cerr); err != nil {
			return err
		}
	}
	return nil
}

func setCredentials(cfg *C.bedrock_stream_config, s *settings) error {
	akid, err := cString("WithCredentials (access key id)", s.accessKeyID)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(akid))
	secret, err := cString("WithCredentials (secret access key)", s.secretAccessKey)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(secret))
	var token *C.char
	if s.sessionToken != "" {
		if token, err = cString("WithCredentials (session token)", s.sessionToken); err != nil {
			return err
		}
		defer C.free(unsafe.Pointer(token))
	}
	var cerr *C.bedrock_stream_error
	return check(C.bedrock_stream_config_set_credentials(cfg, akid, secret, token, &cerr), cerr)
}
