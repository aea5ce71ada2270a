/*
 * bsgo.h -- C helper of the Go package (bsgo.c): a one-call snapshot of an event, so that
 * reading an event costs one cgo call instead of seven. (The library never calls Go code:
 * Invoke is Open plus a loop over Next, so no Go panic or Goexit can cross C frames.)
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

#endif
