/*
 * converse.c -- ask any Bedrock model one question with ConverseStream and print the answer as
 * it arrives, then the stop reason, the token usage and the latency. The request is built with
 * the library's Converse builder (no JSON to write); the push API calls us back per event.
 *
 *   usage: converse [MODEL_ID [PROMPT [SYSTEM_PROMPT]]]
 *
 * Region, endpoint and credentials come from the environment, as with the AWS CLI:
 * AWS_REGION, AWS_ENDPOINT_URL_BEDROCK_RUNTIME (e.g. the local emulator), AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_BEARER_TOKEN_BEDROCK or AWS_PROFILE.
 *
 * Build: cc -std=c99 converse.c $(pkg-config --cflags --libs bedrock_stream)
 * Exit status: 0 on success, 1 on failure (the error is printed on stderr).
 */
#include <bedrock_stream.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the callback collects while the answer streams. */
struct answer {
    unsigned long events;
    unsigned long unknown_events;
    char stop_reason[64];
    bool has_usage;
    bedrock_stream_converse_usage usage;
    bool has_latency;
    uint64_t latency_ms;
};

/* Called once per event, on this thread. The event and everything read from it are valid
 * only until we return. */
static int32_t on_event(void *user_data, const bedrock_stream_converse_event *event)
{
    struct answer *a = user_data;
    const char *stop;

    a->events++;
    switch (bedrock_stream_converse_event_get_type(event)) {
    case BEDROCK_STREAM_CONVERSE_EVENT_TYPE_CONTENT_BLOCK_DELTA:
        /* Print the answer's text; reasoning, tool input and other deltas are not text. */
        if (bedrock_stream_converse_event_delta_kind(event) == BEDROCK_STREAM_CONVERSE_DELTA_KIND_TEXT) {
            bedrock_stream_bytes text = bedrock_stream_converse_event_delta(event);
            fwrite(text.data, 1, text.len, stdout);
            fflush(stdout);
        }
        break;
    case BEDROCK_STREAM_CONVERSE_EVENT_TYPE_MESSAGE_STOP:
        stop = bedrock_stream_converse_event_stop_reason(event);
        if (stop != NULL) {
            strncpy(a->stop_reason, stop, sizeof a->stop_reason - 1);
            a->stop_reason[sizeof a->stop_reason - 1] = '\0';
        }
        break;
    case BEDROCK_STREAM_CONVERSE_EVENT_TYPE_METADATA:
        a->has_usage = bedrock_stream_converse_event_usage(event, &a->usage);
        a->has_latency = bedrock_stream_converse_event_latency_ms(event, &a->latency_ms);
        break;
    case BEDROCK_STREAM_CONVERSE_EVENT_TYPE_UNKNOWN:
        /* A newer event type: not an error; its payload is in bedrock_stream_converse_event_json. */
        a->unknown_events++;
        break;
    default:
        break;
    }
    return BEDROCK_STREAM_CONTINUE;
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
    if (err != NULL) {
        const char *code = bedrock_stream_error_code(err);
        const char *id = bedrock_stream_error_request_id(err);
        if (code != NULL)
            fprintf(stderr, "code: %s\n", code);
        if (id != NULL)
            fprintf(stderr, "request id: %s\n", id);
        fprintf(stderr, "events before the failure: %llu, retryable: %s\n",
                (unsigned long long)bedrock_stream_error_events_delivered(err),
                bedrock_stream_error_retryable(err) ? "yes" : "no");
    }
    free(message);
    bedrock_stream_error_free(err);
    return 1;
}

int main(int argc, char **argv)
{
    const char *model = argc > 1 ? argv[1] : "anthropic.claude-3-5-haiku-20241022-v1:0";
    const char *prompt = argc > 2 ? argv[2] : "Hello!";
    const char *system = argc > 3 ? argv[3] : NULL;
    bedrock_stream_config *config = NULL;
    bedrock_stream_client *client = NULL;
    bedrock_stream_converse_request *request = NULL;
    bedrock_stream_error *err = NULL;
    bedrock_stream_status rc;
    struct answer answer;
    int status = 0;

    memset(&answer, 0, sizeof answer);

    /* Everything from the environment: an empty config. */
    rc = bedrock_stream_config_new(&config, &err);
    if (rc != BEDROCK_STREAM_STATUS_OK)
        return report("config", rc, err);
    rc = bedrock_stream_client_new(config, &client, &err);
    bedrock_stream_config_free(config); /* the client keeps what it needs */
    if (rc != BEDROCK_STREAM_STATUS_OK)
        return report("client", rc, err);

    /* One user message with one text block; every value is copied and checked. */
    rc = bedrock_stream_converse_request_new(model, &request, &err);
    if (rc == BEDROCK_STREAM_STATUS_OK)
        rc = bedrock_stream_converse_request_add_message(request, "user", &err);
    if (rc == BEDROCK_STREAM_STATUS_OK)
        rc = bedrock_stream_converse_request_add_text(request, prompt, &err);
    if (rc == BEDROCK_STREAM_STATUS_OK && system != NULL)
        rc = bedrock_stream_converse_request_add_system_text(request, system, &err);
    if (rc == BEDROCK_STREAM_STATUS_OK)
        rc = bedrock_stream_converse_request_set_max_tokens(request, 512, &err);
    if (rc != BEDROCK_STREAM_STATUS_OK) {
        status = report("request", rc, err);
        goto done;
    }

    rc = bedrock_stream_client_converse_stream(client, request, on_event, &answer, NULL, &err);
    if (rc != BEDROCK_STREAM_STATUS_OK) {
        status = report("stream", rc, err);
        goto done;
    }

    printf("\n--\n");
    printf("stop reason: %s\n", answer.stop_reason[0] ? answer.stop_reason : "(none)");
    if (answer.has_usage)
        printf("tokens: %llu in, %llu out, %llu total\n",
               (unsigned long long)answer.usage.input_tokens,
               (unsigned long long)answer.usage.output_tokens,
               (unsigned long long)answer.usage.total_tokens);
    else
        printf("tokens: unknown\n");
    if (answer.has_latency)
        printf("latency: %llu ms\n", (unsigned long long)answer.latency_ms);
    printf("events: %lu (%lu of unknown types)\n", answer.events, answer.unknown_events);

done:
    bedrock_stream_converse_request_free(request);
    bedrock_stream_client_free(client);
    return status;
}
