package bedrockstream

/*
#include <bedrock_stream.h>
*/
import "C"

// The constants of this package are written as numbers (so that the documentation shows
// them); this expression does not compile ("constant overflows uint") when one differs
// from the header's value.
const _ = 0 +
	uint(int(StatusOK)-int(C.BEDROCK_STREAM_STATUS_OK)) + uint(int(C.BEDROCK_STREAM_STATUS_OK)-int(StatusOK)) +
	uint(int(StatusNullArgument)-int(C.BEDROCK_STREAM_STATUS_NULL_ARGUMENT)) + uint(int(C.BEDROCK_STREAM_STATUS_NULL_ARGUMENT)-int(StatusNullArgument)) +
	uint(int(StatusInvalidUTF8)-int(C.BEDROCK_STREAM_STATUS_INVALID_UTF8)) + uint(int(C.BEDROCK_STREAM_STATUS_INVALID_UTF8)-int(StatusInvalidUTF8)) +
	uint(int(StatusAbortedByCallback)-int(C.BEDROCK_STREAM_STATUS_ABORTED_BY_CALLBACK)) + uint(int(C.BEDROCK_STREAM_STATUS_ABORTED_BY_CALLBACK)-int(StatusAbortedByCallback)) +
	uint(int(StatusPanic)-int(C.BEDROCK_STREAM_STATUS_PANIC)) + uint(int(C.BEDROCK_STREAM_STATUS_PANIC)-int(StatusPanic)) +
	uint(int(StatusAccessDenied)-int(C.BEDROCK_STREAM_STATUS_ACCESS_DENIED)) + uint(int(C.BEDROCK_STREAM_STATUS_ACCESS_DENIED)-int(StatusAccessDenied)) +
	uint(int(StatusResourceNotFound)-int(C.BEDROCK_STREAM_STATUS_RESOURCE_NOT_FOUND)) + uint(int(C.BEDROCK_STREAM_STATUS_RESOURCE_NOT_FOUND)-int(StatusResourceNotFound)) +
	uint(int(StatusThrottling)-int(C.BEDROCK_STREAM_STATUS_THROTTLING)) + uint(int(C.BEDROCK_STREAM_STATUS_THROTTLING)-int(StatusThrottling)) +
	uint(int(StatusModelTimeout)-int(C.BEDROCK_STREAM_STATUS_MODEL_TIMEOUT)) + uint(int(C.BEDROCK_STREAM_STATUS_MODEL_TIMEOUT)-int(StatusModelTimeout)) +
	uint(int(StatusInternalServer)-int(C.BEDROCK_STREAM_STATUS_INTERNAL_SERVER)) + uint(int(C.BEDROCK_STREAM_STATUS_INTERNAL_SERVER)-int(StatusInternalServer)) +
	uint(int(StatusServiceUnavailable)-int(C.BEDROCK_STREAM_STATUS_SERVICE_UNAVAILABLE)) + uint(int(C.BEDROCK_STREAM_STATUS_SERVICE_UNAVAILABLE)-int(StatusServiceUnavailable)) +
	uint(int(StatusModelStreamError)-int(C.BEDROCK_STREAM_STATUS_MODEL_STREAM_ERROR)) + uint(int(C.BEDROCK_STREAM_STATUS_MODEL_STREAM_ERROR)-int(StatusModelStreamError)) +
	uint(int(StatusValidation)-int(C.BEDROCK_STREAM_STATUS_VALIDATION)) + uint(int(C.BEDROCK_STREAM_STATUS_VALIDATION)-int(StatusValidation)) +
	uint(int(StatusServiceQuotaExceeded)-int(C.BEDROCK_STREAM_STATUS_SERVICE_QUOTA_EXCEEDED)) + uint(int(C.BEDROCK_STREAM_STATUS_SERVICE_QUOTA_EXCEEDED)-int(StatusServiceQuotaExceeded)) +
	uint(int(StatusModelNotReady)-int(C.BEDROCK_STREAM_STATUS_MODEL_NOT_READY)) + uint(int(C.BEDROCK_STREAM_STATUS_MODEL_NOT_READY)-int(StatusModelNotReady)) +
	uint(int(StatusModelError)-int(C.BEDROCK_STREAM_STATUS_MODEL_ERROR)) + uint(int(C.BEDROCK_STREAM_STATUS_MODEL_ERROR)-int(StatusModelError)) +
	uint(int(StatusUnmodeledService)-int(C.BEDROCK_STREAM_STATUS_UNMODELED_SERVICE)) + uint(int(C.BEDROCK_STREAM_STATUS_UNMODELED_SERVICE)-int(StatusUnmodeledService)) +
	uint(int(StatusStreamError)-int(C.BEDROCK_STREAM_STATUS_STREAM_ERROR)) + uint(int(C.BEDROCK_STREAM_STATUS_STREAM_ERROR)-int(StatusStreamError)) +
	uint(int(StatusUnexpectedContentType)-int(C.BEDROCK_STREAM_STATUS_UNEXPECTED_CONTENT_TYPE)) + uint(int(C.BEDROCK_STREAM_STATUS_UNEXPECTED_CONTENT_TYPE)-int(StatusUnexpectedContentType)) +
	uint(int(StatusProtocol)-int(C.BEDROCK_STREAM_STATUS_PROTOCOL)) + uint(int(C.BEDROCK_STREAM_STATUS_PROTOCOL)-int(StatusProtocol)) +
	uint(int(StatusTruncated)-int(C.BEDROCK_STREAM_STATUS_TRUNCATED)) + uint(int(C.BEDROCK_STREAM_STATUS_TRUNCATED)-int(StatusTruncated)) +
	uint(int(StatusTransport)-int(C.BEDROCK_STREAM_STATUS_TRANSPORT)) + uint(int(C.BEDROCK_STREAM_STATUS_TRANSPORT)-int(StatusTransport)) +
	uint(int(StatusTimeout)-int(C.BEDROCK_STREAM_STATUS_TIMEOUT)) + uint(int(C.BEDROCK_STREAM_STATUS_TIMEOUT)-int(StatusTimeout)) +
	uint(int(StatusInvalidInput)-int(C.BEDROCK_STREAM_STATUS_INVALID_INPUT)) + uint(int(C.BEDROCK_STREAM_STATUS_INVALID_INPUT)-int(StatusInvalidInput)) +
	uint(int(StatusConfig)-int(C.BEDROCK_STREAM_STATUS_CONFIG)) + uint(int(C.BEDROCK_STREAM_STATUS_CONFIG)-int(StatusConfig)) +
	uint(int(StatusCredentials)-int(C.BEDROCK_STREAM_STATUS_CREDENTIALS)) + uint(int(C.BEDROCK_STREAM_STATUS_CREDENTIALS)-int(StatusCredentials)) +
	uint(int(StatusCancelled)-int(C.BEDROCK_STREAM_STATUS_CANCELLED)) + uint(int(C.BEDROCK_STREAM_STATUS_CANCELLED)-int(StatusCancelled)) +
	uint(int(StatusInternal)-int(C.BEDROCK_STREAM_STATUS_INTERNAL)) + uint(int(C.BEDROCK_STREAM_STATUS_INTERNAL)-int(StatusInternal)) +
	uint(int(KindChunk)-int(C.BEDROCK_STREAM_EVENT_KIND_CHUNK)) + uint(int(C.BEDROCK_STREAM_EVENT_KIND_CHUNK)-int(KindChunk)) +
	uint(int(KindUnknown)-int(C.BEDROCK_STREAM_EVENT_KIND_UNKNOWN)) + uint(int(C.BEDROCK_STREAM_EVENT_KIND_UNKNOWN)-int(KindUnknown))
