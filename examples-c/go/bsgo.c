/* C helper of the Go package; see bsgo.h. Compiled by cgo with the package's CFLAGS. */
#include "bsgo.h"

#include <string.h>

void bsgo_view_event(const bedrock_stream_event *event, bsgo_event_view *out)
{
    memset(out, 0, sizeof *out);
    out->kind = bedrock_stream_event_kind_of(event);
    out->event_type = bedrock_stream_event_type(event);
    out->payload = bedrock_stream_event_payload(event);
    out->text = bedrock_stream_event_text(event);
    out->stop_reason = bedrock_stream_event_stop_reason(event);
    out->has_usage = bedrock_stream_event_usage(event, &out->usage);
    out->has_metrics = bedrock_stream_event_metrics(event, &out->metrics);
}
