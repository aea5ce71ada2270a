/*
 * bsgo.h -- C helpers of the Go package (bsgo.c): the event callback trampoline and one-call
 * snapshots of an event, so that reading an event costs one cgo call instead of seven.
 */
#ifndef BSGO_H
#define BSGO_H

#include <bedrock_stream.h>

/* Everything the Go side copies out of one event. Pointers are lent by the event and valid
 * only as long as it is. */
typedef struct bsgo_event_view {
    bedrock_stream_event_kind kind;
    const char *event_type;        /* NULL when absent */
    bedrock_stream_bytes payload;
    bedrock_stream_bytes text;
    const char *stop_reason;       /* NULL when absent */
    bool has_usage;
    bedrock_stream_usage usage;
    bool has_metrics;
    bedrock_stream_metrics metrics;
} bsgo_event_view;

/* Fills *out from event. */
void bsgo_view_event(const bedrock_stream_event *event, bsgo_event_view *out);

/* bedrock_stream_client_invoke with the Go callback (bsgoOnEvent): user_data is the address
 * of a cgo.Handle. */
bedrock_stream_status bsgo_invoke(const bedrock_stream_client *client,
                                  const bedrock_stream_request *request, void *user_data,
                                  const bedrock_stream_cancel *cancel,
                                  bedrock_stream_error **err_out);

#endif
