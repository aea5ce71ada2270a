/*
 * stream.c -- ask a Bedrock model one question and print the answer as it arrives, then the
 * stop reason and the token usage. The push API: a callback per event.
 *
 *   usage: stream [MODEL_ID [PROMPT [MODEL_FAMILY]]]
 *          stream --version
 *
 * Region, endpoint and credentials come from the environment, as with the AWS CLI:
 * AWS_REGION, AWS_ENDPOINT_URL_BEDROCK_RUNTIME (e.g. the local emulator), AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_BEARER_TOKEN_BEDROCK or AWS_PROFILE.
 * The body is built for Anthropic Claude models (the Messages API). MODEL_FAMILY (e.g.
 * "anthropic-claude") tells the library how to read the chunks when the model id does not
 * reveal it (an inference profile ARN).
 *
 * Build: cc -std=c99 stream.c $(pkg-config --cflags --libs bedrock_stream)
 * Exit status: 0 on success, 1 on failure (the error is printed on stderr).
 */
#include <bedrock_stream.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the callback collects while the answer streams. */
struct answer {
    unsigned long events;
    char stop_reason[64];
    bool has_usage;
    bedrock_stream_usage usage;     /* latest counts the model reported */
    bool has_metrics;
    bedrock_stream_metrics metrics; /* what Bedrock billed (last chunk) */
};

/* Called once per event, on this thread. The event and everything read from it are valid
 * only until we return. */
static int32_t on_event(void *user_data, const bedrock_stream_event *event)
{
    struct answer *a = user_data;
    bedrock_stream_bytes text = bedrock_stream_event_text(event);
    const char *stop = bedrock_stream_event_stop_reason(event);
    bedrock_stream_usage usage;

    a->events++;
    if (text.len > 0) {
        fwrite(text.data, 1, text.len, stdout);
        fflush(stdout);
    }
    if (stop != NULL) {
        strncpy(a->stop_reason, stop, sizeof a->stop_reason - 1);
        a->stop_reason[sizeof a->stop_reason - 1] = '\0';
    }
    if (bedrock_stream_event_usage(event, &usage)) {
        /* Copy each count the model reported; never add them up. */
        a->has_usage = true;
        if (usage.has_input_tokens) {
            a->usage.has_input_tokens = true;
            a->usage.input_tokens = usage.input_tokens;
        }
        if (usage.has_output_tokens) {
            a->usage.has_output_tokens = true;
            a->usage.output_tokens = usage.output_tokens;
        }
    }
    if (bedrock_stream_event_metrics(event, &a->metrics))
        a->has_metrics = true;
    return BEDROCK_STREAM_CONTINUE;
}

/* The Claude Messages API body for one user message; NULL when out of memory. */
static char *claude_body(const char *prompt)
{
    static const char head[] = "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":512,"
                               "\"messages\":[{\"role\":\"user\",\"content\":\"";
    static const char tail[] = "\"}]}";
    size_t n = strlen(prompt);
    char *body = malloc(sizeof head + 6 * n + sizeof tail);
    char *p;
    if (body == NULL)
        return NULL;
    memcpy(body, head, sizeof head - 1);
    p = body + sizeof head - 1;
    for (; *prompt; prompt++) {
        unsigned char c = (unsigned char)*prompt;
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c < 0x20) {
            sprintf(p, "\\u%04x", c);
            p += 6;
        } else {
            *p++ = (char)c;
        }
    }
    memcpy(p, tail, sizeof tail);
    return body;
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
        const char *id = bedrock_stream_error_request_id(err);
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
    const char *family = argc > 3 ? argv[3] : NULL;
    bedrock_stream_config *config = NULL;
    bedrock_stream_client *client = NULL;
    bedrock_stream_request *request = NULL;
    bedrock_stream_error *err = NULL;
    bedrock_stream_status rc;
    struct answer answer;
    char *body;
    int status = 0;

    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("libbedrock_stream %s, header %d.%d.%d\n", bedrock_stream_version(),
               BEDROCK_STREAM_VERSION_MAJOR, BEDROCK_STREAM_VERSION_MINOR,
               BEDROCK_STREAM_VERSION_PATCH);
        return bedrock_stream_version_number() == BEDROCK_STREAM_VERSION_NUMBER ? 0 : 1;
    }
    memset(&answer, 0, sizeof answer);

    /* Everything from the environment: an empty config. */
    rc = bedrock_stream_config_new(&config, &err);
    if (rc != BEDROCK_STREAM_STATUS_OK)
        return report("config", rc, err);
    rc = bedrock_stream_client_new(config, &client, &err);
    bedrock_stream_config_free(config); /* the client keeps what it needs */
    if (rc != BEDROCK_STREAM_STATUS_OK)
        return report("client", rc, err);

    body = claude_body(prompt);
    if (body == NULL) {
        bedrock_stream_client_free(client);
        fprintf(stderr, "error: out of memory\n");
        return 1;
    }
    rc = bedrock_stream_request_new(model, (const uint8_t *)body, strlen(body), &request, &err);
    free(body); /* copied */
    if (rc == BEDROCK_STREAM_STATUS_OK && family != NULL)
        rc = bedrock_stream_request_set_model_family(request, family, &err);
    if (rc != BEDROCK_STREAM_STATUS_OK) {
        status = report("request", rc, err);
        goto done;
    }

    rc = bedrock_stream_client_invoke(client, request, on_event, &answer, NULL, &err);
    if (rc != BEDROCK_STREAM_STATUS_OK) {
        status = report("stream", rc, err);
        goto done;
    }

    printf("\n--\n");
    printf("stop reason: %s\n", answer.stop_reason[0] ? answer.stop_reason : "(none)");
    if (answer.has_metrics && answer.metrics.has_input_token_count &&
        answer.metrics.has_output_token_count) {
        printf("tokens: %llu in, %llu out (invocation metrics)\n",
               (unsigned long long)answer.metrics.input_token_count,
               (unsigned long long)answer.metrics.output_token_count);
    } else if (answer.has_usage) {
        printf("tokens: %llu in, %llu out (model usage)\n",
               (unsigned long long)answer.usage.input_tokens,
               (unsigned long long)answer.usage.output_tokens);
    } else {
        printf("tokens: unknown\n");
    }
    printf("events: %lu\n", answer.events);

done:
    bedrock_stream_request_free(request);
    bedrock_stream_client_free(client);
    return status;
}
