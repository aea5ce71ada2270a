/* C helpers of the Go package; see bsgo.h. Compiled by cgo with the package's CFLAGS. */
#include "bsgo.h"

#include <string.h>

#include "_cgo_export.h"

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

/* The bedrock_stream_event_cb given to the library: forwards to the exported Go function.
 * It runs on the thread (and goroutine) that called bsgo_invoke. */
static int32_t bsgo_event_cb(void *user_data, const bedrock_stream_event *event)
{
    return bsgoOnEvent(user_data, (bedrock_stream_event *)event);
}

bedrock_stream_status bsgo_invoke(const bedrock_stream_client *client,
                                  const bedrock_stream_request *request, void *user_data,
                                  const bedrock_stream_cancel *cancel,
                                  bedrock_stream_error **err_out)
{
    return bedrock_stream_client_invoke(client, request, bsgo_event_cb, user_data, cancel,
                                        err_out);
}
