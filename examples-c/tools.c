/*
 * tools.c -- a complete tool-use round trip with ConverseStream: offer the model a weather
 * tool and stream its answer; when it asks for the tool (stop reason "tool_use"), run the tool,
 * send the result back after the model's own message, and stream the final answer. The pull
 * API (bedrock_stream_converse_stream_next) with the message accumulator, which joins the tool
 * input's fragments into JSON and keeps the message ready for the next turn.
 *
 *   usage: tools [MODEL_ID [PROMPT]]
 *
 * Region, endpoint and credentials come from the environment (see converse.c).
 * Exit status: 0 on success, 1 on failure (the error is printed on stderr).
 */
#include <bedrock_stream.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TURNS 4

/* The JSON Schema of the tool's input. */
static const char WEATHER_SCHEMA[] = "{\"type\":\"object\","
                                     "\"properties\":{\"city\":{\"type\":\"string\"}},"
                                     "\"required\":[\"city\"]}";

/* The tool itself: a fixed forecast that repeats its input (a JSON object, e.g.
 * {"city":"Zürich"}). Returns the result as JSON text the caller frees, or NULL. */
static char *get_weather(bedrock_stream_bytes input)
{
    static const char head[] = "{\"forecast\":\"sunny\",\"celsius\":21,\"for\":";
    char *out = malloc(sizeof head + input.len + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, head, sizeof head - 1);
    memcpy(out + sizeof head - 1, input.data, input.len);
    strcpy(out + sizeof head - 1 + input.len, "}");
    return out;
}

/* Stream one answer to `request`, printing its text as it arrives, and fold it into
 * `*message_out` with the accumulator. */
static bedrock_stream_status stream_turn(const bedrock_stream_client *client,
                                         const bedrock_stream_converse_request *request,
                                         bedrock_stream_converse_accumulator *acc,
                                         bedrock_stream_converse_message **message_out,
                                         bedrock_stream_error **err)
{
    bedrock_stream_converse_stream *stream = NULL;
    const bedrock_stream_converse_event *event = NULL;
    bedrock_stream_status rc;

    rc = bedrock_stream_client_converse_stream_open(client, request, NULL, &stream, err);
    if (rc != BEDROCK_STREAM_STATUS_OK)
        return rc;
    for (;;) {
        rc = bedrock_stream_converse_stream_next(stream, &event, err);
        if (rc != BEDROCK_STREAM_STATUS_OK || event == NULL)
            break; /* a failure, or the end of the stream */
        if (bedrock_stream_converse_event_delta_kind(event) == BEDROCK_STREAM_CONVERSE_DELTA_KIND_TEXT) {
            bedrock_stream_bytes text = bedrock_stream_converse_event_delta(event);
            fwrite(text.data, 1, text.len, stdout);
            fflush(stdout);
        }
        rc = bedrock_stream_converse_accumulator_push(acc, event, err);
        if (rc != BEDROCK_STREAM_STATUS_OK)
            break;
    }
    bedrock_stream_converse_stream_free(stream);
    if (rc == BEDROCK_STREAM_STATUS_OK)
        rc = bedrock_stream_converse_accumulator_finish(acc, message_out, err);
    return rc;
}

/* Run every tool the message asks for and add the results to the request, in a new user
 * message. */
static bedrock_stream_status run_tools(const bedrock_stream_converse_message *message,
                                       bedrock_stream_converse_request *request,
                                       bedrock_stream_error **err)
{
    size_t i, n = bedrock_stream_converse_message_block_count(message);
    bedrock_stream_status rc;

    /* The model's own message first (tool uses and any reasoning signature included). */
    rc = bedrock_stream_converse_request_append_message(request, message, err);
    if (rc == BEDROCK_STREAM_STATUS_OK)
        rc = bedrock_stream_converse_request_add_message(request, "user", err);
    for (i = 0; i < n && rc == BEDROCK_STREAM_STATUS_OK; i++) {
        const char *id, *name;
        bedrock_stream_bytes input;
        char *result;

        if (bedrock_stream_converse_message_block_kind(message, i) != BEDROCK_STREAM_CONVERSE_BLOCK_KIND_TOOL_USE)
            continue;
        id = bedrock_stream_converse_message_block_tool_use_id(message, i);
        name = bedrock_stream_converse_message_block_tool_use_name(message, i);
        input = bedrock_stream_converse_message_block_tool_use_input(message, i);
        if (strcmp(name, "get_weather") == 0 && (result = get_weather(input)) != NULL) {
            printf("\n[tool %s %.*s -> %s]\n", name, (int)input.len, (const char *)input.data, result);
            rc = bedrock_stream_converse_request_add_tool_result_json(request, id, result, "success", err);
            free(result);
        } else {
            printf("\n[tool %s: unknown]\n", name);
            rc = bedrock_stream_converse_request_add_tool_result_text(request, id, "no such tool", "error", err);
        }
    }
    return rc;
}

/* Print a failure with its details, free the error, return the exit status. */
static int report(const char *what, bedrock_stream_status rc, bedrock_stream_error *err)
{
    size_t n = 0;
    char *message = NULL;

    fflush(stdout);
    if (err != NULL && bedrock_stream_error_message(err, NULL, 0, &n) == BEDROCK_STREAM_STATUS_OK) {
        message = malloc(n + 1);
        if (message != NULL)
            bedrock_stream_error_message(err, message, n + 1, NULL);
    }
    fprintf(stderr, "\nerror: %s failed: %s: %s\n", what, bedrock_stream_status_str(rc),
            message != NULL ? message : "(no detail)");
    free(message);
    bedrock_stream_error_free(err);
    return 1;
}

int main(int argc, char **argv)
{
    const char *model = argc > 1 ? argv[1] : "anthropic.claude-3-5-haiku-20241022-v1:0";
    const char *prompt = argc > 2 ? argv[2] : "What is the weather in Zürich?";
    bedrock_stream_config *config = NULL;
    bedrock_stream_client *client = NULL;
    bedrock_stream_converse_request *request = NULL;
    bedrock_stream_converse_accumulator *acc = NULL;
    bedrock_stream_converse_message *message = NULL;
    bedrock_stream_converse_usage usage;
    bedrock_stream_error *err = NULL;
    bedrock_stream_status rc;
    const char *stop = NULL;
    int turn, status = 0;

    rc = bedrock_stream_config_new(&config, &err);
    if (rc != BEDROCK_STREAM_STATUS_OK)
        return report("config", rc, err);
    rc = bedrock_stream_client_new(config, &client, &err);
    bedrock_stream_config_free(config);
    if (rc != BEDROCK_STREAM_STATUS_OK)
        return report("client", rc, err);

    rc = bedrock_stream_converse_request_new(model, &request, &err);
    if (rc == BEDROCK_STREAM_STATUS_OK)
        rc = bedrock_stream_converse_request_add_message(request, "user", &err);
    if (rc == BEDROCK_STREAM_STATUS_OK)
        rc = bedrock_stream_converse_request_add_text(request, prompt, &err);
    if (rc == BEDROCK_STREAM_STATUS_OK)
        rc = bedrock_stream_converse_request_add_tool(request, "get_weather", "The weather forecast for a city.",
                                                      WEATHER_SCHEMA, &err);
    if (rc == BEDROCK_STREAM_STATUS_OK)
        rc = bedrock_stream_converse_accumulator_new(&acc, &err);
    if (rc != BEDROCK_STREAM_STATUS_OK) {
        status = report("request", rc, err);
        goto done;
    }

    /* The tool loop: stream a turn; while the model asks for tools, answer them and go on. */
    for (turn = 1; turn <= MAX_TURNS; turn++) {
        bedrock_stream_converse_message_free(message);
        message = NULL;
        rc = stream_turn(client, request, acc, &message, &err);
        if (rc != BEDROCK_STREAM_STATUS_OK) {
            status = report("stream", rc, err);
            goto done;
        }
        stop = bedrock_stream_converse_message_stop_reason(message);
        if (stop == NULL || strcmp(stop, "tool_use") != 0)
            break;
        rc = run_tools(message, request, &err);
        if (rc != BEDROCK_STREAM_STATUS_OK) {
            status = report("tool result", rc, err);
            goto done;
        }
    }

    printf("\n--\n");
    printf("turns: %d\n", turn > MAX_TURNS ? MAX_TURNS : turn);
    printf("stop reason: %s\n", stop != NULL ? stop : "(none)");
    if (bedrock_stream_converse_message_usage(message, &usage))
        printf("tokens: %llu in, %llu out (last turn)\n", (unsigned long long)usage.input_tokens,
               (unsigned long long)usage.output_tokens);

done:
    bedrock_stream_converse_message_free(message);
    bedrock_stream_converse_accumulator_free(acc);
    bedrock_stream_converse_request_free(request);
    bedrock_stream_client_free(client);
    return status;
}
