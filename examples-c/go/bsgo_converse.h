/*
 * bsgo_converse.h -- C helper of the Go package (bsgo_converse.c) for Converse: a one-call
 * snapshot of a ConverseStream event and of one content block of a finished message, so that
 * reading one costs one cgo call instead of a dozen.
 */
#ifndef BSGO_CONVERSE_H
#define BSGO_CONVERSE_H

#include <bedrock_stream.h>

/* Everything the Go side copies out of one ConverseStream event. Pointers are lent by the
 * event and valid only as long as it is; absent strings are NULL. */
typedef struct bsgo_converse_event_view {
    bedrock_stream_converse_event_type type;
    const char *type_name;
    bool has_index;
    uint32_t index;
    const char *role;
    const char *member;
    bedrock_stream_converse_delta_kind delta_kind;
    bedrock_stream_bytes delta;
    const char *tool_use_id;
    const char *tool_use_name;
    const char *stop_reason;
    bool has_usage;
    bedrock_stream_converse_usage usage;
    bool has_latency;
    uint64_t latency_ms;
    bedrock_stream_bytes json;
} bsgo_converse_event_view;

/* Fills *out from event. */
void bsgo_view_converse_event(const bedrock_stream_converse_event *event, bsgo_converse_event_view *out);

/* Everything the Go side copies out of one content block of a message. */
typedef struct bsgo_converse_block_view {
    bedrock_stream_converse_block_kind kind;
    bedrock_stream_bytes text;
    const char *tool_use_id;
    const char *tool_use_name;
    bedrock_stream_bytes tool_use_input;
    const char *reasoning_signature;
    bedrock_stream_bytes redacted_reasoning;
    bedrock_stream_bytes json;
} bsgo_converse_block_view;

/* Fills *out from block index of message. */
void bsgo_view_converse_block(const bedrock_stream_converse_message *message, size_t index,
                              bsgo_converse_block_view *out);

/* Everything the Go side copies out of a message besides its blocks. */
typedef struct bsgo_converse_message_view {
    const char *stop_reason;
    bedrock_stream_bytes text;
    bool has_usage;
    bedrock_stream_converse_usage usage;
    bool has_latency;
    uint64_t latency_ms;
    const char *request_id;
    bedrock_stream_bytes json;
    size_t block_count;
} bsgo_converse_message_view;

/* Fills *out from message. */
void bsgo_view_converse_message(const bedrock_stream_converse_message *message,
                                bsgo_converse_message_view *out);

#endif
