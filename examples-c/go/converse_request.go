package bedrockstream

/*
#include <stdlib.h>
#include <bedrock_stream.h>
*/
import "C"

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"unsafe"
)

// ConverseRole is the role of a message.
type ConverseRole string

// The roles of a conversation.
const (
	RoleUser      ConverseRole = "user"
	RoleAssistant ConverseRole = "assistant"
)

// ImageFormat is the format of an image block.
type ImageFormat string

// The image formats of the service model.
const (
	ImagePNG  ImageFormat = "png"
	ImageJPEG ImageFormat = "jpeg"
	ImageGIF  ImageFormat = "gif"
	ImageWebP ImageFormat = "webp"
)

// DocumentFormat is the format of a document block.
type DocumentFormat string

// The document formats of the service model.
const (
	DocumentPDF  DocumentFormat = "pdf"
	DocumentCSV  DocumentFormat = "csv"
	DocumentDOC  DocumentFormat = "doc"
	DocumentDOCX DocumentFormat = "docx"
	DocumentXLS  DocumentFormat = "xls"
	DocumentXLSX DocumentFormat = "xlsx"
	DocumentHTML DocumentFormat = "html"
	DocumentTXT  DocumentFormat = "txt"
	DocumentMD   DocumentFormat = "md"
)

// ToolChoice is toolConfig.toolChoice.
type ToolChoice string

// The tool choices.
const (
	ToolChoiceAuto ToolChoice = "auto" // the model decides
	ToolChoiceAny  ToolChoice = "any"  // the model must use some tool
	ToolChoiceTool ToolChoice = "tool" // the model must use the named tool
)

// ToolResultStatus is the status of a tool result ("" is not sent).
type ToolResultStatus string

// The tool result statuses.
const (
	ToolResultSuccess ToolResultStatus = "success"
	ToolResultError   ToolResultStatus = "error"
)

// GuardrailTrace is guardrailConfig.trace ("" is not sent).
type GuardrailTrace string

// The guardrail trace settings.
const (
	GuardrailTraceEnabled     GuardrailTrace = "enabled"
	GuardrailTraceDisabled    GuardrailTrace = "disabled"
	GuardrailTraceEnabledFull GuardrailTrace = "enabled_full"
)

// StreamProcessingMode is guardrailConfig.streamProcessingMode, for ConverseStream only
// ("" is not sent).
type StreamProcessingMode string

// The stream processing modes.
const (
	StreamProcessingSync  StreamProcessingMode = "sync"
	StreamProcessingAsync StreamProcessingMode = "async"
)

// ConverseRequest is one Converse or ConverseStream request: the model id and the members
// of the request body. Build it with NewConverseRequest and the Add/Set methods (a message,
// then its blocks; tools, system prompt, inference and guardrail settings...), or from JSON
// text with ConverseRequestFromJSON:
//
//	req := bedrockstream.NewConverseRequest("anthropic.claude-3-5-haiku-20241022-v1:0").
//		AddSystemText("Answer in one sentence.").
//		AddMessage(bedrockstream.RoleUser).
//		AddText("What is Go?").
//		SetMaxTokens(512)
//
// Each method checks its values against the service model at once and returns the request,
// so that calls chain. The first failure is kept: later methods do nothing, Err returns it,
// and every call with the request returns it (an *Error matching ErrInvalidInput,
// ErrInvalidUTF8...) without sending anything. A request that failed stays failed: build a
// new one.
//
// Calls only read the request: one request may be used by several goroutines at once; the
// Add/Set methods wait for running calls to have sent it. Close frees it (a finalizer does
// otherwise); the zero ConverseRequest fails with ErrNotInitialized.
type ConverseRequest struct {
	mu     sync.RWMutex
	ptr    *C.bedrock_stream_converse_request
	err    error
	closed bool
}

// cstr is one string argument of a C builder function: what names it in errors; optional
// ones are passed as NULL when empty.
type cstr struct {
	what     string
	value    string
	optional bool
}

// NewConverseRequest starts a request for modelID (a model id, inference profile id or ARN).
// Add at least one user message before sending it.
func NewConverseRequest(modelID string) *ConverseRequest {
	r := &ConverseRequest{}
	r.err = withCStrings([]cstr{{what: "NewConverseRequest(modelID)", value: modelID}}, func(s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_converse_request_new(s[0], &r.ptr, e)
	})
	if r.ptr != nil {
		runtime.SetFinalizer(r, (*ConverseRequest).Close)
	}
	return r
}

// ConverseRequestFromJSON makes a request for modelID whose body is the JSON text body: the
// members of ConverseStreamRequest (or ConverseRequest) without modelId, as the service model
// names them, e.g. {"messages":[{"role":"user","content":[{"text":"Hi"}]}]}. The text is
// checked now (ErrInvalidInput with the line and column) and sent byte for byte. The Add/Set
// methods may still be used (AppendMessage for the next turn): from then on the request is
// sent as the library serialises it.
func ConverseRequestFromJSON(modelID, body string) (*ConverseRequest, error) {
	r := &ConverseRequest{}
	r.err = withCStrings([]cstr{{what: "ConverseRequestFromJSON(modelID)", value: modelID}, {what: "ConverseRequestFromJSON(body)", value: body}},
		func(s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_from_json(s[0], s[1], &r.ptr, e)
		})
	if r.err != nil {
		return nil, r.err
	}
	runtime.SetFinalizer(r, (*ConverseRequest).Close)
	return r, nil
}

// withCStrings converts the strings to C (checked for NUL and UTF-8), runs f and frees them.
// A failure's message starts with the Go name of the argument or method.
func withCStrings(args []cstr, f func([]*C.char, **C.bedrock_stream_error) C.bedrock_stream_status) error {
	cs := make([]*C.char, len(args))
	defer func() {
		for _, s := range cs {
			C.free(unsafe.Pointer(s)) // free(NULL) does nothing
		}
	}()
	for i, a := range args {
		if a.optional && a.value == "" {
			continue
		}
		s, err := cString(a.what, a.value)
		if err != nil {
			return err
		}
		cs[i] = s
	}
	var cerr *C.bedrock_stream_error
	if rc := f(cs, &cerr); rc != C.BEDROCK_STREAM_STATUS_OK {
		e := takeError(rc, cerr)
		if len(args) > 0 {
			e.Message = goName(args[0].what) + ": " + e.Message
		}
		return e
	}
	return nil
}

// goName is the method part of an argument's name: "AddTool(name)" -> "AddTool".
func goName(what string) string {
	for i := 0; i < len(what); i++ {
		if what[i] == '(' {
			return what[:i]
		}
	}
	return what
}

// change runs one builder step with the request held exclusively, unless an earlier step
// failed; the first failure is kept.
func (r *ConverseRequest) change(method string, args []cstr, f func(*C.bedrock_stream_converse_request, []*C.char, **C.bedrock_stream_error) C.bedrock_stream_status) *ConverseRequest {
	if r == nil {
		return nil // calls report a nil request
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.err != nil:
		return r
	case r.closed:
		r.err = ErrClosed
		return r
	case r.ptr == nil:
		r.err = ErrNotInitialized
		return r
	}
	if len(args) == 0 {
		args = []cstr{{what: method, optional: true}}
	}
	r.err = withCStrings(args, func(s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return f(r.ptr, s, e)
	})
	return r
}

// fail records err as the request's failure, unless an earlier step failed.
func (r *ConverseRequest) fail(err error) *ConverseRequest {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = err
	}
	return r
}

// Err returns the first failure of the builder methods, nil if none.
func (r *ConverseRequest) Err() error {
	return r.read(func(*C.bedrock_stream_converse_request) error { return nil })
}

// read runs f with the C request held for reading (by a call), or returns why it cannot.
func (r *ConverseRequest) read(f func(*C.bedrock_stream_converse_request) error) error {
	if r == nil {
		return localError(StatusNullArgument, "the Converse request is nil")
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	switch {
	case r.err != nil:
		return r.err
	case r.closed:
		return ErrClosed
	case r.ptr == nil:
		return ErrNotInitialized
	}
	return f(r.ptr)
}

// Close frees the request; later calls with it return ErrClosed. It waits for running calls
// to have sent it. Idempotent; always returns nil.
func (r *ConverseRequest) Close() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.ptr != nil {
		C.bedrock_stream_converse_request_free(r.ptr)
		r.ptr = nil
		runtime.SetFinalizer(r, nil)
	}
	return nil
}

// AddMessage starts a new message (messages) with role; the block methods (AddText,
// AddImage, ...) add to the last message started. The conversation starts with a user
// message.
func (r *ConverseRequest) AddMessage(role ConverseRole) *ConverseRequest {
	return r.change("AddMessage", []cstr{{what: "AddMessage(role)", value: string(role)}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_message(p, s[0], e)
		})
}

// AddText adds a text block to the last message.
func (r *ConverseRequest) AddText(text string) *ConverseRequest {
	return r.change("AddText", []cstr{{what: "AddText(text)", value: text}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_text(p, s[0], e)
		})
}

// AddImage adds an image block (the image's bytes, sent as base64) to the last message.
func (r *ConverseRequest) AddImage(format ImageFormat, data []byte) *ConverseRequest {
	return r.change("AddImage", []cstr{{what: "AddImage(format)", value: string(format)}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			ptr, n := cBytes(data)
			defer C.free(unsafe.Pointer(ptr))
			return C.bedrock_stream_converse_request_add_image(p, s[0], ptr, n, e)
		})
}

// AddDocument adds a document block to the last message: name (1 to 200 characters) names
// it to the model; data is the document (sent as base64).
func (r *ConverseRequest) AddDocument(format DocumentFormat, name string, data []byte) *ConverseRequest {
	return r.change("AddDocument", []cstr{{what: "AddDocument(format)", value: string(format)}, {what: "AddDocument(name)", value: name}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			ptr, n := cBytes(data)
			defer C.free(unsafe.Pointer(ptr))
			return C.bedrock_stream_converse_request_add_document(p, s[0], s[1], ptr, n, e)
		})
}

// AddToolUse adds a toolUse block to the last message (an assistant message written by the
// program, e.g. replaying a conversation): its id, the tool's name and its input as JSON
// text. To send back the model's own message use AppendMessage.
func (r *ConverseRequest) AddToolUse(toolUseID, name, inputJSON string) *ConverseRequest {
	return r.change("AddToolUse", []cstr{{what: "AddToolUse(toolUseID)", value: toolUseID}, {what: "AddToolUse(name)", value: name}, {what: "AddToolUse(inputJSON)", value: inputJSON}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_tool_use(p, s[0], s[1], s[2], e)
		})
}

// AddToolResultJSON adds a toolResult block holding one JSON value (JSON text) to the last
// message, a user message answering the model's tool use toolUseID. status may be "" (not
// sent).
func (r *ConverseRequest) AddToolResultJSON(toolUseID, resultJSON string, status ToolResultStatus) *ConverseRequest {
	return r.change("AddToolResultJSON", []cstr{{what: "AddToolResultJSON(toolUseID)", value: toolUseID}, {what: "AddToolResultJSON(resultJSON)", value: resultJSON}, {what: "AddToolResultJSON(status)", value: string(status), optional: true}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_tool_result_json(p, s[0], s[1], s[2], e)
		})
}

// AddToolResultText adds a toolResult block holding one text to the last message, as
// AddToolResultJSON.
func (r *ConverseRequest) AddToolResultText(toolUseID, text string, status ToolResultStatus) *ConverseRequest {
	return r.change("AddToolResultText", []cstr{{what: "AddToolResultText(toolUseID)", value: toolUseID}, {what: "AddToolResultText(text)", value: text}, {what: "AddToolResultText(status)", value: string(status), optional: true}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_tool_result_text(p, s[0], s[1], s[2], e)
		})
}

// AddCachePoint adds a cachePoint block (type default) to the last message: a prompt-cache
// checkpoint after the blocks before it.
func (r *ConverseRequest) AddCachePoint() *ConverseRequest {
	return r.change("AddCachePoint", nil,
		func(p *C.bedrock_stream_converse_request, _ []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_cache_point(p, e)
		})
}

// AddSystemText adds a text block to the system prompt (system).
func (r *ConverseRequest) AddSystemText(text string) *ConverseRequest {
	return r.change("AddSystemText", []cstr{{what: "AddSystemText(text)", value: text}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_system_text(p, s[0], e)
		})
}

// AddTool offers the model a tool (toolConfig.tools): its name, a description ("" is not
// sent) and the JSON Schema of its input as JSON text, e.g.
// {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}.
func (r *ConverseRequest) AddTool(name, description, inputSchemaJSON string) *ConverseRequest {
	return r.change("AddTool", []cstr{{what: "AddTool(name)", value: name}, {what: "AddTool(description)", value: description, optional: true}, {what: "AddTool(inputSchemaJSON)", value: inputSchemaJSON}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_tool(p, s[0], s[1], s[2], e)
		})
}

// SetToolChoice sets toolConfig.toolChoice; toolName is the tool for ToolChoiceTool and ""
// otherwise. Add the tools too.
func (r *ConverseRequest) SetToolChoice(choice ToolChoice, toolName string) *ConverseRequest {
	return r.change("SetToolChoice", []cstr{{what: "SetToolChoice(choice)", value: string(choice)}, {what: "SetToolChoice(toolName)", value: toolName, optional: true}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_set_tool_choice(p, s[0], s[1], e)
		})
}

// SetMaxTokens sets inferenceConfig.maxTokens (at least 1).
func (r *ConverseRequest) SetMaxTokens(maxTokens int) *ConverseRequest {
	if maxTokens < 0 || uint64(maxTokens) > math.MaxUint32 {
		return r.fail(localError(StatusInvalidInput, fmt.Sprintf("SetMaxTokens: %d is out of range (1 to %d)", maxTokens, uint32(math.MaxUint32))))
	}
	return r.change("SetMaxTokens", nil,
		func(p *C.bedrock_stream_converse_request, _ []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_set_max_tokens(p, C.uint32_t(maxTokens), e)
		})
}

// SetTemperature sets inferenceConfig.temperature (0 to 1).
func (r *ConverseRequest) SetTemperature(temperature float32) *ConverseRequest {
	return r.change("SetTemperature", nil,
		func(p *C.bedrock_stream_converse_request, _ []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_set_temperature(p, C.float(temperature), e)
		})
}

// SetTopP sets inferenceConfig.topP (0 to 1).
func (r *ConverseRequest) SetTopP(topP float32) *ConverseRequest {
	return r.change("SetTopP", nil,
		func(p *C.bedrock_stream_converse_request, _ []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_set_top_p(p, C.float(topP), e)
		})
}

// AddStopSequence adds a sequence that stops the generation (inferenceConfig.stopSequences).
func (r *ConverseRequest) AddStopSequence(sequence string) *ConverseRequest {
	return r.change("AddStopSequence", []cstr{{what: "AddStopSequence(sequence)", value: sequence}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_stop_sequence(p, s[0], e)
		})
}

// SetGuardrail applies a guardrail (guardrailConfig): its identifier (id or ARN) and version
// ("DRAFT" or a number); trace and mode may be "" (not sent). A StreamProcessingMode makes
// Converse (not streamed) fail with ErrInvalidInput.
func (r *ConverseRequest) SetGuardrail(identifier, version string, trace GuardrailTrace, mode StreamProcessingMode) *ConverseRequest {
	return r.change("SetGuardrail", []cstr{{what: "SetGuardrail(identifier)", value: identifier}, {what: "SetGuardrail(version)", value: version}, {what: "SetGuardrail(trace)", value: string(trace), optional: true}, {what: "SetGuardrail(mode)", value: string(mode), optional: true}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_set_guardrail(p, s[0], s[1], s[2], s[3], e)
		})
}

// SetAdditionalModelRequestFields sets model-specific parameters as JSON text (an object
// sent unchanged, e.g. {"top_k":50}); replaces an earlier value.
func (r *ConverseRequest) SetAdditionalModelRequestFields(fieldsJSON string) *ConverseRequest {
	return r.change("SetAdditionalModelRequestFields", []cstr{{what: "SetAdditionalModelRequestFields(fieldsJSON)", value: fieldsJSON}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_set_additional_model_request_fields(p, s[0], e)
		})
}

// AddAdditionalModelResponseFieldPath adds a JSON pointer (e.g. "/stop_sequence") to a
// model-specific response field to return in additionalModelResponseFields (at most 10).
func (r *ConverseRequest) AddAdditionalModelResponseFieldPath(path string) *ConverseRequest {
	return r.change("AddAdditionalModelResponseFieldPath", []cstr{{what: "AddAdditionalModelResponseFieldPath(path)", value: path}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_additional_model_response_field_path(p, s[0], e)
		})
}

// SetRequestMetadata sets one entry of requestMetadata (at most 16), recorded with the
// invocation logs. Never logged by the library.
func (r *ConverseRequest) SetRequestMetadata(key, value string) *ConverseRequest {
	return r.change("SetRequestMetadata", []cstr{{what: "SetRequestMetadata(key)", value: key}, {what: "SetRequestMetadata(value)", value: value}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_set_request_metadata(p, s[0], s[1], e)
		})
}

// SetPerformanceConfigLatency sets performanceConfig.latency.
func (r *ConverseRequest) SetPerformanceConfigLatency(latency Latency) *ConverseRequest {
	return r.change("SetPerformanceConfigLatency", []cstr{{what: "SetPerformanceConfigLatency(latency)", value: string(latency)}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_set_performance_config_latency(p, s[0], e)
		})
}

// SetServiceTier sets serviceTier.type.
func (r *ConverseRequest) SetServiceTier(tier ServiceTier) *ConverseRequest {
	return r.change("SetServiceTier", []cstr{{what: "SetServiceTier(tier)", value: string(tier)}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_set_service_tier(p, s[0], e)
		})
}

// AppendMessage appends the model's finished message (a copy, reasoning signatures
// included) to the conversation: the next turn. Then start the user's answer with
// AddMessage(RoleUser) and add a tool result per tool use.
func (r *ConverseRequest) AppendMessage(m *ConverseMessage) *ConverseRequest {
	switch {
	case m == nil:
		return r.fail(localError(StatusNullArgument, "AppendMessage: the message is nil"))
	case m.c == nil:
		return r.fail(localError(StatusInvalidInput, "AppendMessage: the message was not made by this package (ConverseStream, Converse)"))
	}
	return r.change("AppendMessage", nil,
		func(p *C.bedrock_stream_converse_request, _ []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			defer runtime.KeepAlive(m.c)
			return C.bedrock_stream_converse_request_append_message(p, m.c.ptr, e)
		})
}

// cBytes copies data to C memory (free it with C.free); never NULL for an empty slice, so
// that the library reports "empty" rather than a NULL argument.
func cBytes(data []byte) (*C.uint8_t, C.size_t) {
	p := C.malloc(C.size_t(len(data) + 1))
	if len(data) > 0 {
		copy(unsafe.Slice((*byte)(p), len(data)), data)
	}
	return (*C.uint8_t)(p), C.size_t(len(data))
}

// VideoFormat is the format of a video block: "mkv", "mov", "mp4", "webm", "flv", "mpeg",
// "mpg", "wmv" or "three_gp".
type VideoFormat string

// AudioFormat is the format of an audio block: "mp3", "opus", "wav", "aac", "flac", "mp4",
// "ogg", "mkv", "mka", "x-aac", "m4a", "mpeg", "mpga", "pcm" or "webm".
type AudioFormat string

// The other members of the service model. The block methods add to the last message, or to
// the tool result opened by BeginToolResult until EndToolResult; the C functions of the same
// names (include/bedrock_stream.h) document every value. bucketOwner, format and the other
// optional strings are not sent when "".

// AddImageS3 adds an image block whose source is an object in Amazon S3 (s3://bucket/key).
func (r *ConverseRequest) AddImageS3(format ImageFormat, uri, bucketOwner string) *ConverseRequest {
	return r.s3("AddImageS3", string(format), uri, bucketOwner,
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_image_s3(p, s[0], s[1], s[2], e)
		})
}

// AddDocumentS3 adds a document block whose source is an object in Amazon S3.
func (r *ConverseRequest) AddDocumentS3(format DocumentFormat, name, uri, bucketOwner string) *ConverseRequest {
	return r.change("AddDocumentS3", []cstr{{what: "AddDocumentS3(format)", value: string(format), optional: true}, {what: "AddDocumentS3(name)", value: name}, {what: "AddDocumentS3(uri)", value: uri}, {what: "AddDocumentS3(bucketOwner)", value: bucketOwner, optional: true}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_document_s3(p, s[0], s[1], s[2], s[3], e)
		})
}

// AddDocumentText adds a document block given as plain text (source.text).
func (r *ConverseRequest) AddDocumentText(format DocumentFormat, name, text string) *ConverseRequest {
	return r.change("AddDocumentText", []cstr{{what: "AddDocumentText(format)", value: string(format), optional: true}, {what: "AddDocumentText(name)", value: name}, {what: "AddDocumentText(text)", value: text}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_document_text(p, s[0], s[1], s[2], e)
		})
}

// AddDocumentContent adds a document block made of text blocks (source.content), starting
// with text; AddDocumentContentText adds more.
func (r *ConverseRequest) AddDocumentContent(format DocumentFormat, name, text string) *ConverseRequest {
	return r.change("AddDocumentContent", []cstr{{what: "AddDocumentContent(format)", value: string(format), optional: true}, {what: "AddDocumentContent(name)", value: name}, {what: "AddDocumentContent(text)", value: text}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_document_content(p, s[0], s[1], s[2], e)
		})
}

// AddDocumentContentText adds a text block to the last block added, a document from
// AddDocumentContent.
func (r *ConverseRequest) AddDocumentContentText(text string) *ConverseRequest {
	return r.text1("AddDocumentContentText", "text", text, func(p *C.bedrock_stream_converse_request, s *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_converse_request_add_document_content_text(p, s, e)
	})
}

// SetDocumentContext sets the context of the last block added, a document.
func (r *ConverseRequest) SetDocumentContext(context string) *ConverseRequest {
	return r.text1("SetDocumentContext", "context", context, func(p *C.bedrock_stream_converse_request, s *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_converse_request_set_document_context(p, s, e)
	})
}

// SetCitationsEnabled sets citations.enabled of the last block added, a document or a
// search result.
func (r *ConverseRequest) SetCitationsEnabled(enabled bool) *ConverseRequest {
	return r.change("SetCitationsEnabled", nil,
		func(p *C.bedrock_stream_converse_request, _ []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_set_citations_enabled(p, C.bool(enabled), e)
		})
}

// AddVideo adds a video block (its bytes, sent as base64).
func (r *ConverseRequest) AddVideo(format VideoFormat, data []byte) *ConverseRequest {
	return r.media("AddVideo", string(format), data, func(p *C.bedrock_stream_converse_request, f *C.char, d *C.uint8_t, n C.size_t, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_converse_request_add_video(p, f, d, n, e)
	})
}

// AddVideoS3 adds a video block whose source is an object in Amazon S3.
func (r *ConverseRequest) AddVideoS3(format VideoFormat, uri, bucketOwner string) *ConverseRequest {
	return r.s3("AddVideoS3", string(format), uri, bucketOwner,
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_video_s3(p, s[0], s[1], s[2], e)
		})
}

// AddAudio adds an audio block (its bytes, sent as base64).
func (r *ConverseRequest) AddAudio(format AudioFormat, data []byte) *ConverseRequest {
	return r.media("AddAudio", string(format), data, func(p *C.bedrock_stream_converse_request, f *C.char, d *C.uint8_t, n C.size_t, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_converse_request_add_audio(p, f, d, n, e)
	})
}

// AddAudioS3 adds an audio block whose source is an object in Amazon S3.
func (r *ConverseRequest) AddAudioS3(format AudioFormat, uri, bucketOwner string) *ConverseRequest {
	return r.s3("AddAudioS3", string(format), uri, bucketOwner,
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_audio_s3(p, s[0], s[1], s[2], e)
		})
}

// AddGuardContentText adds a guardContent block holding text for the guardrail; each
// qualifier is "grounding_source", "query" or "guard_content".
func (r *ConverseRequest) AddGuardContentText(text string, qualifiers ...string) *ConverseRequest {
	return r.guardText("AddGuardContentText", text, qualifiers, func(p *C.bedrock_stream_converse_request, t *C.char, q **C.char, n C.size_t, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_converse_request_add_guard_content_text(p, t, q, n, e)
	})
}

// AddGuardContentImage adds a guardContent block holding an image ("png" or "jpeg").
func (r *ConverseRequest) AddGuardContentImage(format ImageFormat, data []byte) *ConverseRequest {
	return r.media("AddGuardContentImage", string(format), data, func(p *C.bedrock_stream_converse_request, f *C.char, d *C.uint8_t, n C.size_t, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_converse_request_add_guard_content_image(p, f, d, n, e)
	})
}

// AddCachePointTTL adds a cachePoint block with a ttl ("5m" or "1h").
func (r *ConverseRequest) AddCachePointTTL(ttl string) *ConverseRequest {
	return r.text1("AddCachePointTTL", "ttl", ttl, func(p *C.bedrock_stream_converse_request, s *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_converse_request_add_cache_point_ttl(p, s, e)
	})
}

// AddReasoningText adds a reasoningContent block with the reasoning text and its signature
// (replaying a saved conversation; AppendMessage sends back the model's own).
func (r *ConverseRequest) AddReasoningText(text, signature string) *ConverseRequest {
	return r.change("AddReasoningText", []cstr{{what: "AddReasoningText(text)", value: text}, {what: "AddReasoningText(signature)", value: signature, optional: true}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_reasoning_text(p, s[0], s[1], e)
		})
}

// AddReasoningRedacted adds a reasoningContent block with redactedContent.
func (r *ConverseRequest) AddReasoningRedacted(data []byte) *ConverseRequest {
	return r.change("AddReasoningRedacted", nil,
		func(p *C.bedrock_stream_converse_request, _ []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			ptr, n := cBytes(data)
			defer C.free(unsafe.Pointer(ptr))
			return C.bedrock_stream_converse_request_add_reasoning_redacted(p, ptr, n, e)
		})
}

// AddCitationsContent adds an empty citationsContent block, filled by the AddCitation*
// and SetCitation* methods.
func (r *ConverseRequest) AddCitationsContent() *ConverseRequest {
	return r.change("AddCitationsContent", nil,
		func(p *C.bedrock_stream_converse_request, _ []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_citations_content(p, e)
		})
}

// AddCitationGeneratedText adds a generated text to the citationsContent block.
func (r *ConverseRequest) AddCitationGeneratedText(text string) *ConverseRequest {
	return r.text1("AddCitationGeneratedText", "text", text, func(p *C.bedrock_stream_converse_request, s *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_converse_request_add_citation_generated_text(p, s, e)
	})
}

// AddCitation adds a citation (title and source may be "") to the citationsContent block.
func (r *ConverseRequest) AddCitation(title, source string) *ConverseRequest {
	return r.change("AddCitation", []cstr{{what: "AddCitation(title)", value: title, optional: true}, {what: "AddCitation(source)", value: source, optional: true}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_citation(p, s[0], s[1], e)
		})
}

// AddCitationSourceText adds a text the last citation quotes from its source.
func (r *ConverseRequest) AddCitationSourceText(text string) *ConverseRequest {
	return r.text1("AddCitationSourceText", "text", text, func(p *C.bedrock_stream_converse_request, s *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_converse_request_add_citation_source_text(p, s, e)
	})
}

// SetCitationWebLocation sets the last citation's location to a web page.
func (r *ConverseRequest) SetCitationWebLocation(url, domain string) *ConverseRequest {
	return r.change("SetCitationWebLocation", []cstr{{what: "SetCitationWebLocation(url)", value: url, optional: true}, {what: "SetCitationWebLocation(domain)", value: domain, optional: true}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_set_citation_web_location(p, s[0], s[1], e)
		})
}

// SetCitationLocation sets the last citation's location in a document ("documentChar",
// "documentPage", "documentChunk") or a search result ("searchResultLocation"); a negative
// index, start or end is not sent.
func (r *ConverseRequest) SetCitationLocation(kind string, index, start, end int64) *ConverseRequest {
	return r.change("SetCitationLocation", []cstr{{what: "SetCitationLocation(kind)", value: kind}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_set_citation_location(p, s[0], C.int64_t(index), C.int64_t(start), C.int64_t(end), e)
		})
}

// AddSearchResult adds a searchResult block with its first text; AddSearchResultText adds
// more.
func (r *ConverseRequest) AddSearchResult(source, title, text string) *ConverseRequest {
	return r.change("AddSearchResult", []cstr{{what: "AddSearchResult(source)", value: source}, {what: "AddSearchResult(title)", value: title}, {what: "AddSearchResult(text)", value: text}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_search_result(p, s[0], s[1], s[2], e)
		})
}

// AddSearchResultText adds a text to the last block added, a search result.
func (r *ConverseRequest) AddSearchResultText(text string) *ConverseRequest {
	return r.text1("AddSearchResultText", "text", text, func(p *C.bedrock_stream_converse_request, s *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_converse_request_add_search_result_text(p, s, e)
	})
}

// AddToolAddition adds a toolAddition block referring to a tool by type, name and server
// name.
func (r *ConverseRequest) AddToolAddition(toolType, name, serverName string) *ConverseRequest {
	return r.change("AddToolAddition", []cstr{{what: "AddToolAddition(toolType)", value: toolType, optional: true}, {what: "AddToolAddition(name)", value: name, optional: true}, {what: "AddToolAddition(serverName)", value: serverName, optional: true}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_tool_addition(p, s[0], s[1], s[2], e)
		})
}

// AddToolRemoval adds a toolRemoval block, as AddToolAddition.
func (r *ConverseRequest) AddToolRemoval(toolType, name, serverName string) *ConverseRequest {
	return r.change("AddToolRemoval", []cstr{{what: "AddToolRemoval(toolType)", value: toolType, optional: true}, {what: "AddToolRemoval(name)", value: name, optional: true}, {what: "AddToolRemoval(serverName)", value: serverName, optional: true}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_tool_removal(p, s[0], s[1], s[2], e)
		})
}

// BeginToolResult opens a toolResult block answering toolUseID: AddText, AddJSONContent,
// AddImage*, AddDocument*, AddVideo* and AddSearchResult add to its content until
// EndToolResult.
func (r *ConverseRequest) BeginToolResult(toolUseID string, status ToolResultStatus) *ConverseRequest {
	return r.change("BeginToolResult", []cstr{{what: "BeginToolResult(toolUseID)", value: toolUseID}, {what: "BeginToolResult(status)", value: string(status), optional: true}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_begin_tool_result(p, s[0], s[1], e)
		})
}

// AddJSONContent adds a json block (JSON text) to the open tool result.
func (r *ConverseRequest) AddJSONContent(valueJSON string) *ConverseRequest {
	return r.text1("AddJSONContent", "valueJSON", valueJSON, func(p *C.bedrock_stream_converse_request, s *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_converse_request_add_json_content(p, s, e)
	})
}

// EndToolResult closes the tool result opened by BeginToolResult.
func (r *ConverseRequest) EndToolResult() *ConverseRequest {
	return r.change("EndToolResult", nil,
		func(p *C.bedrock_stream_converse_request, _ []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_end_tool_result(p, e)
		})
}

// SetToolBlockType sets the type of the last toolUse ("server_tool_use") or toolResult
// block of the last message.
func (r *ConverseRequest) SetToolBlockType(blockType string) *ConverseRequest {
	return r.text1("SetToolBlockType", "blockType", blockType, func(p *C.bedrock_stream_converse_request, s *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_converse_request_set_tool_block_type(p, s, e)
	})
}

// AddSystemGuardContentText adds a guardContent text block to the system prompt.
func (r *ConverseRequest) AddSystemGuardContentText(text string, qualifiers ...string) *ConverseRequest {
	return r.guardText("AddSystemGuardContentText", text, qualifiers, func(p *C.bedrock_stream_converse_request, t *C.char, q **C.char, n C.size_t, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_converse_request_add_system_guard_content_text(p, t, q, n, e)
	})
}

// AddSystemGuardContentImage adds a guardContent image block to the system prompt.
func (r *ConverseRequest) AddSystemGuardContentImage(format ImageFormat, data []byte) *ConverseRequest {
	return r.media("AddSystemGuardContentImage", string(format), data, func(p *C.bedrock_stream_converse_request, f *C.char, d *C.uint8_t, n C.size_t, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_converse_request_add_system_guard_content_image(p, f, d, n, e)
	})
}

// AddSystemCachePoint adds a cachePoint block to the system prompt (ttl "5m", "1h" or "").
func (r *ConverseRequest) AddSystemCachePoint(ttl string) *ConverseRequest {
	return r.change("AddSystemCachePoint", []cstr{{what: "AddSystemCachePoint(ttl)", value: ttl, optional: true}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_system_cache_point(p, s[0], e)
		})
}

// AddSystemTool offers the model a tool the service provides (toolConfig.tools systemTool).
func (r *ConverseRequest) AddSystemTool(name string) *ConverseRequest {
	return r.text1("AddSystemTool", "name", name, func(p *C.bedrock_stream_converse_request, s *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_converse_request_add_system_tool(p, s, e)
	})
}

// AddToolCachePoint adds a cachePoint to toolConfig.tools (ttl "5m", "1h" or "").
func (r *ConverseRequest) AddToolCachePoint(ttl string) *ConverseRequest {
	return r.change("AddToolCachePoint", []cstr{{what: "AddToolCachePoint(ttl)", value: ttl, optional: true}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_add_tool_cache_point(p, s[0], e)
		})
}

// SetToolStrict sets strict of the last tool added with AddTool.
func (r *ConverseRequest) SetToolStrict(strict bool) *ConverseRequest {
	return r.change("SetToolStrict", nil,
		func(p *C.bedrock_stream_converse_request, _ []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_set_tool_strict(p, C.bool(strict), e)
		})
}

// SetProjectIdentifier sets projectIdentifier (an id or ARN).
func (r *ConverseRequest) SetProjectIdentifier(project string) *ConverseRequest {
	return r.text1("SetProjectIdentifier", "project", project, func(p *C.bedrock_stream_converse_request, s *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_converse_request_set_project_identifier(p, s, e)
	})
}

// SetPromptVariable sets one entry of promptVariables (a managed prompt's variable).
func (r *ConverseRequest) SetPromptVariable(name, text string) *ConverseRequest {
	return r.change("SetPromptVariable", []cstr{{what: "SetPromptVariable(name)", value: name}, {what: "SetPromptVariable(text)", value: text}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_set_prompt_variable(p, s[0], s[1], e)
		})
}

// SetOutputJSONSchema sets outputConfig.textFormat: the answer follows the JSON Schema
// schemaJSON (JSON text); name and description may be "".
func (r *ConverseRequest) SetOutputJSONSchema(schemaJSON, name, description string) *ConverseRequest {
	return r.change("SetOutputJSONSchema", []cstr{{what: "SetOutputJSONSchema(schemaJSON)", value: schemaJSON}, {what: "SetOutputJSONSchema(name)", value: name, optional: true}, {what: "SetOutputJSONSchema(description)", value: description, optional: true}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return C.bedrock_stream_converse_request_set_output_json_schema(p, s[0], s[1], s[2], e)
		})
}

// SetOutputEffort sets outputConfig.effort (0 to 16 characters).
func (r *ConverseRequest) SetOutputEffort(effort string) *ConverseRequest {
	return r.text1("SetOutputEffort", "effort", effort, func(p *C.bedrock_stream_converse_request, s *C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
		return C.bedrock_stream_converse_request_set_output_effort(p, s, e)
	})
}

// text1 is a builder step with one required string argument.
func (r *ConverseRequest) text1(method, arg, value string, f func(*C.bedrock_stream_converse_request, *C.char, **C.bedrock_stream_error) C.bedrock_stream_status) *ConverseRequest {
	return r.change(method, []cstr{{what: method + "(" + arg + ")", value: value}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			return f(p, s[0], e)
		})
}

// s3 is a media block from S3: format, uri and an optional bucket owner.
func (r *ConverseRequest) s3(method, format, uri, bucketOwner string, f func(*C.bedrock_stream_converse_request, []*C.char, **C.bedrock_stream_error) C.bedrock_stream_status) *ConverseRequest {
	return r.change(method, []cstr{{what: method + "(format)", value: format}, {what: method + "(uri)", value: uri}, {what: method + "(bucketOwner)", value: bucketOwner, optional: true}}, f)
}

// media is a block of format and bytes.
func (r *ConverseRequest) media(method, format string, data []byte, f func(*C.bedrock_stream_converse_request, *C.char, *C.uint8_t, C.size_t, **C.bedrock_stream_error) C.bedrock_stream_status) *ConverseRequest {
	return r.change(method, []cstr{{what: method + "(format)", value: format}},
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			ptr, n := cBytes(data)
			defer C.free(unsafe.Pointer(ptr))
			return f(p, s[0], ptr, n, e)
		})
}

// guardText is a guardContent text with its qualifiers (an array of C strings).
func (r *ConverseRequest) guardText(method, text string, qualifiers []string, f func(*C.bedrock_stream_converse_request, *C.char, **C.char, C.size_t, **C.bedrock_stream_error) C.bedrock_stream_status) *ConverseRequest {
	args := []cstr{{what: method + "(text)", value: text}}
	for _, q := range qualifiers {
		args = append(args, cstr{what: method + "(qualifiers)", value: q})
	}
	return r.change(method, args,
		func(p *C.bedrock_stream_converse_request, s []*C.char, e **C.bedrock_stream_error) C.bedrock_stream_status {
			var q **C.char
			if len(s) > 1 {
				// A Go array of C pointers: no Go pointer inside, so C may read it.
				q = &s[1]
			}
			return f(p, s[0], q, C.size_t(len(s)-1), e)
		})
}
