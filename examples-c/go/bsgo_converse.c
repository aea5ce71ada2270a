/* C helper of the Go package for Converse; see bsgo_converse.h. */
#include "bsgo_converse.h"

#include <string.h>

void bsgo_view_converse_event(const bedrock_stream_converse_event *event, bsgo_converse_event_view *out)
{
    memset(out, 0, sizeof *out);
    out->type = bedrock_stream_converse_event_get_type(event);
    out->type_name = bedrock_stream_converse_event_type_name(event);
    out->has_index = bedrock_stream_converse_event_content_block_index(event, &out->index);
    out->role = bedrock_stream_converse_event_role(event);
    out->member = bedrock_stream_converse_event_member_name(event);
    out->delta_kind = bedrock_stream_converse_event_delta_kind(event);
    out->delta = bedrock_stream_converse_event_delta(event);
    out->tool_use_id = bedrock_stream_converse_event_tool_use_id(event);
    out->tool_use_name = bedrock_stream_converse_event_tool_use_name(event);
    out->stop_reason = bedrock_stream_converse_event_stop_reason(event);
    out->has_usage = bedrock_stream_converse_event_usage(event, &out->usage);
    out->has_latency = bedrock_stream_converse_event_latency_ms(event, &out->latency_ms);
    out->json = bedrock_stream_converse_event_json(event);
}

void bsgo_view_converse_block(const bedrock_stream_converse_message *message, size_t index,
                              bsgo_converse_block_view *out)
{
    memset(out, 0, sizeof *out);
    out->kind = bedrock_stream_converse_message_block_kind(message, index);
    out->text = bedrock_stream_converse_message_block_text(message, index);
    out->tool_use_id = bedrock_stream_converse_message_block_tool_use_id(message, index);
    out->tool_use_name = bedrock_stream_converse_message_block_tool_use_name(message, index);
    out->tool_use_input = bedrock_stream_converse_message_block_tool_use_input(message, index);
    out->reasoning_signature = bedrock_stream_converse_message_block_reasoning_signature(message, index);
    out->redacted_reasoning = bedrock_stream_converse_message_block_redacted_reasoning(message, index);
    out->json = bedrock_stream_converse_message_block_json(message, index);
}

void bsgo_view_converse_message(const bedrock_stream_converse_message *message,
                                bsgo_converse_message_view *out)
{
    memset(out, 0, sizeof *out);
    out->stop_reason = bedrock_stream_converse_message_stop_reason(message);
    out->text = bedrock_stream_converse_message_text(message);
    out->has_usage = bedrock_stream_converse_message_usage(message, &out->usage);
    out->has_latency = bedrock_stream_converse_message_latency_ms(message, &out->latency_ms);
    out->request_id = bedrock_stream_converse_message_request_id(message);
    out->json = bedrock_stream_converse_message_json(message);
    out->block_count = bedrock_stream_converse_message_block_count(message);
}
