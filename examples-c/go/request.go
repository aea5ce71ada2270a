package bedrockstream

/*
#include <stdlib.h>
#include <bedrock_stream.h>
*/
import "C"

import (
	"encoding/json"
	"strconv"
	"unsafe"
)

// Trace is the X-Amzn-Bedrock-Trace header (Request.Trace).
type Trace string

// The values of Trace.
const (
	TraceEnabled     Trace = "ENABLED"
	TraceDisabled    Trace = "DISABLED"
	TraceEnabledFull Trace = "ENABLED_FULL"
)

// Latency is the X-Amzn-Bedrock-PerformanceConfig-Latency header
// (Request.PerformanceConfigLatency).
type Latency string

// The values of Latency.
const (
	LatencyStandard  Latency = "standard"
	LatencyOptimized Latency = "optimized"
)

// ServiceTier is the X-Amzn-Bedrock-Service-Tier header (Request.ServiceTier).
type ServiceTier string

// The values of ServiceTier.
const (
	ServiceTierPriority ServiceTier = "priority"
	ServiceTierDefault  ServiceTier = "default"
	ServiceTierFlex     ServiceTier = "flex"
	ServiceTierReserved ServiceTier = "reserved"
)

// ModelFamily tells the library how to read text, stop reason and usage from the chunks
// (Request.ModelFamily). It is not sent.
type ModelFamily string

// The values of ModelFamily.
const (
	FamilyAnthropicClaude ModelFamily = "anthropic-claude"
	FamilyAmazonTitanText ModelFamily = "amazon-titan-text"
	FamilyAmazonNova      ModelFamily = "amazon-nova"
	FamilyMetaLlama       ModelFamily = "meta-llama"
	FamilyMistralText     ModelFamily = "mistral-text"
	FamilyMistralChat     ModelFamily = "mistral-chat"
	FamilyCohere          ModelFamily = "cohere"
	FamilyAI21Jamba       ModelFamily = "ai21-jamba"
	FamilyDeepSeek        ModelFamily = "deepseek"
	FamilyOpenAIGptOss    ModelFamily = "openai-gpt-oss"
	FamilyUnknown         ModelFamily = "unknown"
)

// Request is one InvokeModelWithResponseStream request: every member of the service
// model. Empty fields are not sent. A Request is only read by the calls, so one value may
// be used by many goroutines at once as long as none changes it meanwhile.
type Request struct {
	// ModelID is a model id, inference profile id or ARN (required).
	ModelID string
	// Body is the model's JSON request document, sent byte for byte.
	Body []byte
	// ContentType is the MIME type of Body (default "application/json").
	ContentType string
	// Accept is the MIME type of the response chunks (X-Amzn-Bedrock-Accept, default
	// "application/json").
	Accept string
	// Trace is TraceEnabled, TraceDisabled or TraceEnabledFull (X-Amzn-Bedrock-Trace).
	Trace Trace
	// GuardrailIdentifier and GuardrailVersion select a guardrail; set both or neither.
	// The version is "DRAFT" or a number.
	GuardrailIdentifier string
	GuardrailVersion    string
	// PerformanceConfigLatency is LatencyStandard or LatencyOptimized.
	PerformanceConfigLatency Latency
	// ServiceTier is one of the ServiceTier constants.
	ServiceTier ServiceTier
	// RequestMetadata is sent as the X-Amzn-Bedrock-Request-Metadata JSON object
	// (at most 8,500 bytes). Never logged by the library.
	RequestMetadata map[string]string
	// ProjectIdentifier is sent as X-Amzn-Bedrock-ProjectIdentifier.
	ProjectIdentifier string
	// ModelFamily is not sent: it tells the library how to read text, stop reason and
	// usage from the chunks when the model id does not reveal it (an application
	// inference profile ARN): one of the Family constants.
	ModelFamily ModelFamily
}

// build makes the C request; the caller frees it with bedrock_stream_request_free.
func (r *Request) build() (*C.bedrock_stream_request, error) {
	if r == nil {
		return nil, localError(StatusNullArgument, "the request is nil")
	}
	model, err := cString("Request.ModelID", r.ModelID)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(model))
	var body *C.uint8_t
	if len(r.Body) > 0 {
		body = (*C.uint8_t)(unsafe.Pointer(&r.Body[0]))
	}
	var req *C.bedrock_stream_request
	var cerr *C.bedrock_stream_error
	if rc := C.bedrock_stream_request_new(model, body, C.size_t(len(r.Body)), &req, &cerr); rc != C.BEDROCK_STREAM_STATUS_OK {
		return nil, takeError(rc, cerr)
	}
	if err := r.apply(req); err != nil {
		C.bedrock_stream_request_free(req)
		return nil, err
	}
	return req, nil
}

type setter = func(*C.char, **C.bedrock_stream_error) C.bedrock_stream_status

func (r *Request) apply(req *C.bedrock_stream_request) error {
	var metadata string
	if len(r.RequestMetadata) > 0 {
		// json.Marshal would send invalid UTF-8 as U+FFFD: refuse it instead.
		for k, v := range r.RequestMetadata {
			if err := checkString("a key of Request.RequestMetadata", k); err != nil {
				return err
			}
			if err := checkString("Request.RequestMetadata["+strconv.Quote(k)+"]", v); err != nil {
				return err
			}
		}
		b, err := json.Marshal(r.RequestMetadata)
		if err != nil {
			return localError(StatusInvalidInput, "Request.RequestMetadata: "+err.Error())
		}
		metadata = string(b)
	}
	fields := []struct {
		what  string
		value string
		set   setter
	}{
		{"Request.ContentType", r.ContentType, func(v *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_request_set_content_type(req, v, e)
		}},
		{"Request.Accept", r.Accept, func(v *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_request_set_accept(req, v, e)
		}},
		{"Request.Trace", string(r.Trace), func(v *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_request_set_trace(req, v, e)
		}},
		{"Request.GuardrailIdentifier", r.GuardrailIdentifier, func(v *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_request_set_guardrail_identifier(req, v, e)
		}},
		{"Request.GuardrailVersion", r.GuardrailVersion, func(v *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_request_set_guardrail_version(req, v, e)
		}},
		{"Request.PerformanceConfigLatency", string(r.PerformanceConfigLatency), func(v *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_request_set_performance_config_latency(req, v, e)
		}},
		{"Request.ServiceTier", string(r.ServiceTier), func(v *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_request_set_service_tier(req, v, e)
		}},
		{"Request.RequestMetadata", metadata, func(v *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_request_set_request_metadata(req, v, e)
		}},
		{"Request.ProjectIdentifier", r.ProjectIdentifier, func(v *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_request_set_project_identifier(req, v, e)
		}},
		{"Request.ModelFamily", string(r.ModelFamily), func(v *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_request_set_model_family(req, v, e)
		}},
	}
	for _, f := range fields {
		if f.value == "" {
			continue
		}
		if err := setString(f.what, f.value, f.set); err != nil {
			return err
		}
	}
	return nil
}
