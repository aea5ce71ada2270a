/*
 * errors.c -- drives every failure the C API can report through the ABI and checks the
 * status, the message and the error object's fields. Against the Bedrock emulator: the
 * endpoint comes from AWS_ENDPOINT_URL_BEDROCK_RUNTIME, the faults from model ids of the form
 * "emulator-fault:<spec>"; region and credentials from the environment (us-east-1,
 * AKIDEMULATOR / emulator-secret).
 *
 *   usage: errors
 *
 * Prints "ok <STATUS> <case>" per passing case and "FAIL ..." otherwise; exits 1 on any
 * failure. BEDROCK_STREAM_STATUS_PANIC and _INTERNAL cannot be caused from C (they report
 * bugs); tests/ffi.rs covers PANIC with a panicking Rust callback.
 */
#define _POSIX_C_SOURCE 200809L
#include <bedrock_stream.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static int checks;

#define ANY "<any>"

/* What a case expects of the error object. */
struct expect {
    bedrock_stream_status status;
    uint16_t http_status;        /* exact */
    const char *code;            /* NULL: must be NULL; ANY: must be set */
    long events;                 /* -1: not checked */
    int retryable;               /* -1: not checked */
    const char *in_message;      /* substring of the message, or NULL */
    const char *timer;           /* NULL: must be NULL */
    int32_t original_status;     /* exact */
    const char *original_message; /* NULL: must be NULL */
};

static bool same(const char *got, const char *want)
{
    if (want == NULL)
        return got == NULL;
    if (strcmp(want, ANY) == 0)
        return got != NULL;
    return got != NULL && strcmp(got, want) == 0;
}

static const char *show(const char *s)
{
    return s ? s : "(null)";
}

/* Check a failed call, print the verdict, free the error. */
static void check(const char *name, bedrock_stream_status rc, bedrock_stream_error *err,
                  const struct expect *e)
{
    char message[1024];
    size_t n = 0;
    const char *problem = NULL;

    checks++;
    message[0] = '\0';
    if (err != NULL)
        bedrock_stream_error_message(err, message, sizeof message, &n);
    if (rc != e->status)
        problem = "status";
    else if (err == NULL)
        problem = "no error object";
    else if (bedrock_stream_error_status(err) != rc)
        problem = "error object status";
    else if (n == 0 || n >= sizeof message || strlen(message) != n)
        problem = "message length";
    else if (e->in_message != NULL && strstr(message, e->in_message) == NULL)
        problem = "message text";
    else if (bedrock_stream_error_http_status(err) != e->http_status)
        problem = "http status";
    else if (!same(bedrock_stream_error_code(err), e->code))
        problem = "code";
    else if (e->events >= 0 && bedrock_stream_error_events_delivered(err) != (uint64_t)e->events)
        problem = "events delivered";
    else if (e->retryable >= 0 && bedrock_stream_error_retryable(err) != (e->retryable != 0))
        problem = "retryable";
    else if (!same(bedrock_stream_error_timer(err), e->timer))
        problem = "timer";
    else if (bedrock_stream_error_original_status_code(err) != e->original_status)
        problem = "original status code";
    else if (!same(bedrock_stream_error_original_message(err), e->original_message))
        problem = "original message";

    if (problem == NULL) {
        printf("ok %s %s\n", bedrock_stream_status_str(rc), name);
    } else {
        failures++;
        printf("FAIL %s: wrong %s: got status %s (want %s), http %u, code %s, events %llu, "
               "retryable %d, timer %s, original %d/%s, message \"%s\"\n",
               name, problem, bedrock_stream_status_str(rc), bedrock_stream_status_str(e->status),
               (unsigned)bedrock_stream_error_http_status(err),
               show(bedrock_stream_error_code(err)),
               (unsigned long long)bedrock_stream_error_events_delivered(err),
               (int)bedrock_stream_error_retryable(err), show(bedrock_stream_error_timer(err)),
               (int)bedrock_stream_error_original_status_code(err),
               show(bedrock_stream_error_original_message(err)), message);
    }
    bedrock_stream_error_free(err);
}

static void expect_true(const char *name, bool ok)
{
    checks++;
    if (ok) {
        printf("ok %s\n", name);
    } else {
        failures++;
        printf("FAIL %s\n", name);
    }
}

/* ---- client and request helpers ---- */

struct client_options {
    const char *endpoint;    /* NULL: from the environment */
    const char *secret;      /* NULL: from the environment */
    uint64_t read_idle_ms;   /* 0: default */
};

static bedrock_stream_status make_client(const struct client_options *o,
                                         bedrock_stream_client **client_out,
                                         bedrock_stream_error **err)
{
    bedrock_stream_config *config = NULL;
    bedrock_stream_status rc = bedrock_stream_config_new(&config, err);
    if (rc == BEDROCK_STREAM_STATUS_OK)
        rc = bedrock_stream_config_set_max_attempts(config, 1, err);
    if (rc == BEDROCK_STREAM_STATUS_OK && o->endpoint != NULL)
        rc = bedrock_stream_config_set_endpoint_url(config, o->endpoint, err);
    if (rc == BEDROCK_STREAM_STATUS_OK && o->secret != NULL)
        rc = bedrock_stream_config_set_credentials(config, "AKIDEMULATOR", o->secret, NULL, err);
    if (rc == BEDROCK_STREAM_STATUS_OK && o->read_idle_ms != 0)
        rc = bedrock_stream_config_set_read_idle_timeout_ms(config, o->read_idle_ms, err);
    if (rc == BEDROCK_STREAM_STATUS_OK)
        rc = bedrock_stream_client_new(config, client_out, err);
    bedrock_stream_config_free(config);
    return rc;
}

static const char BODY[] = "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":64,"
                           "\"messages\":[{\"role\":\"user\",\"content\":\"errors\"}]}";

static bedrock_stream_request *make_request(const char *model)
{
    bedrock_stream_request *request = NULL;
    if (bedrock_stream_request_new(model, (const uint8_t *)BODY, sizeof BODY - 1, &request,
                                   NULL) != BEDROCK_STREAM_STATUS_OK) {
        printf("FAIL cannot create a request for %s\n", model);
        failures++;
    }
    return request;
}

/* The callback: counts, stops after `stop_after` events, or starts a thread that cancels. */
struct counter {
    long events;
    long stop_after;   /* -1: never */
    long cancel_after; /* -1: never */
    bedrock_stream_cancel *cancel;
    pthread_t thread;
    bool thread_started;
};

static struct counter new_counter(long stop_after, long cancel_after)
{
    struct counter c;
    memset(&c, 0, sizeof c);
    c.stop_after = stop_after;
    c.cancel_after = cancel_after;
    return c;
}

static void *cancel_thread(void *arg)
{
    bedrock_stream_cancel_cancel(arg);
    return NULL;
}

static int32_t on_event(void *user_data, const bedrock_stream_event *event)
{
    struct counter *c = user_data;
    (void)event;
    c->events++;
    if (c->cancel_after >= 0 && c->events == c->cancel_after && !c->thread_started)
        c->thread_started = pthread_create(&c->thread, NULL, cancel_thread, c->cancel) == 0;
    if (c->stop_after >= 0 && c->events >= c->stop_after)
        return BEDROCK_STREAM_STOP;
    return BEDROCK_STREAM_CONTINUE;
}

/* Invoke `model` with a default client and check the outcome. */
static void invoke_case(const char *name, const char *model, const struct client_options *o,
                        const struct expect *e)
{
    static const struct client_options defaults = {NULL, NULL, 0};
    bedrock_stream_client *client = NULL;
    bedrock_stream_request *request;
    bedrock_stream_error *err = NULL;
    struct counter counter = new_counter(-1, -1);
    bedrock_stream_status rc = make_client(o ? o : &defaults, &client, &err);
    if (rc != BEDROCK_STREAM_STATUS_OK) {
        check(name, rc, err, e);
        return;
    }
    request = make_request(model);
    rc = bedrock_stream_client_invoke(client, request, on_event, &counter, NULL, &err);
    if (e->events >= 0 && counter.events != e->events && rc == e->status) {
        printf("FAIL %s: the callback saw %ld events, want %ld\n", name, counter.events,
               e->events);
        failures++;
    }
    check(name, rc, err, e);
    bedrock_stream_request_free(request);
    bedrock_stream_client_free(client);
}

#define S(x) BEDROCK_STREAM_STATUS_##x

int main(void)
{
    bedrock_stream_client *client = NULL;
    bedrock_stream_config *config = NULL;
    bedrock_stream_request *request = NULL;
    bedrock_stream_cancel *cancel = NULL;
    bedrock_stream_stream *stream = NULL;
    const bedrock_stream_event *event = NULL;
    bedrock_stream_error *err = NULL;
    bedrock_stream_status rc;
    struct counter counter = new_counter(-1, -1);
    static const struct client_options refused = {"http://127.0.0.1:1", NULL, 0};
    static const struct client_options bad_secret = {NULL, "not-the-secret", 0};
    static const struct client_options idle = {NULL, NULL, 300};

    /* ---- the C layer's own checks ---- */
    {
        const struct expect e = {S(NULL_ARGUMENT), 0, NULL, 0, 0, "config_out", NULL, 0, NULL};
        rc = bedrock_stream_config_new(NULL, &err);
        check("config_new(NULL)", rc, err, &e);
    }
    rc = make_client(&(struct client_options){NULL, NULL, 0}, &client, &err);
    if (rc != S(OK)) {
        check("default client", rc, err, &(struct expect){S(OK), 0, NULL, 0, 0, NULL, NULL, 0, NULL});
        return 1;
    }
    request = make_request("anthropic.claude-3-5-haiku-20241022-v1:0");
    {
        const struct expect e = {S(NULL_ARGUMENT), 0, NULL, 0, 0, "`client`", NULL, 0, NULL};
        rc = bedrock_stream_client_invoke(NULL, request, on_event, &counter, NULL, &err);
        check("invoke(client=NULL)", rc, err, &e);
    }
    {
        const struct expect e = {S(NULL_ARGUMENT), 0, NULL, 0, 0, "`callback`", NULL, 0, NULL};
        rc = bedrock_stream_client_invoke(client, request, NULL, &counter, NULL, &err);
        check("invoke(callback=NULL)", rc, err, &e);
    }
    {
        const struct expect e = {S(NULL_ARGUMENT), 0, NULL, 0, 0, "`stream`", NULL, 0, NULL};
        rc = bedrock_stream_stream_next(NULL, &event, &err);
        check("stream_next(NULL)", rc, err, &e);
    }
    expect_true("err_out may be NULL",
                bedrock_stream_client_open(client, NULL, NULL, &stream, NULL) == S(NULL_ARGUMENT) &&
                    stream == NULL);
    expect_true("accessors of NULL give NULL/0/false",
                bedrock_stream_error_code(NULL) == NULL &&
                    bedrock_stream_error_http_status(NULL) == 0 &&
                    !bedrock_stream_error_retryable(NULL) &&
                    bedrock_stream_event_kind_of(NULL) == BEDROCK_STREAM_EVENT_KIND_NONE &&
                    bedrock_stream_event_text(NULL).len == 0 &&
                    bedrock_stream_event_text(NULL).data != NULL &&
                    bedrock_stream_stream_request_id(NULL) == NULL &&
                    bedrock_stream_cancel_cancel(NULL) == S(NULL_ARGUMENT));
    bedrock_stream_config_free(NULL);
    bedrock_stream_client_free(NULL);
    bedrock_stream_request_free(NULL);
    bedrock_stream_stream_free(NULL);
    bedrock_stream_cancel_free(NULL);
    bedrock_stream_error_free(NULL);
    expect_true("_free(NULL) is a no-op", true);

    {
        const struct expect e = {S(INVALID_UTF8), 0, NULL, 0, 0, "`region`", NULL, 0, NULL};
        bedrock_stream_config_new(&config, NULL);
        rc = bedrock_stream_config_set_region(config, "us-\xff\xfe", &err);
        check("set_region(invalid UTF-8)", rc, err, &e);
    }
    {
        const struct expect e = {S(INVALID_INPUT), 0, NULL, 0, 0, "ENABLED_FULL", NULL, 0, NULL};
        rc = bedrock_stream_request_set_trace(request, "on", &err);
        check("set_trace(\"on\")", rc, err, &e);
    }
    {
        const struct expect e = {S(INVALID_INPUT), 0, NULL, 0, 0, "guardrailVersion", NULL, 0, NULL};
        bedrock_stream_request *r = make_request("anthropic.claude-3-5-haiku-20241022-v1:0");
        bedrock_stream_request_set_guardrail_identifier(r, "my-guardrail", NULL);
        rc = bedrock_stream_client_invoke(client, r, on_event, &counter, NULL, &err);
        expect_true("nothing delivered for invalid input", counter.events == 0);
        check("guardrail identifier without version", rc, err, &e);
        bedrock_stream_request_free(r);
    }
    {
        const struct expect e = {S(CONFIG), 0, NULL, 0, 0, "CA bundle", NULL, 0, NULL};
        rc = bedrock_stream_config_set_ca_bundle_file(config, "/nonexistent/ca.pem", &err);
        check("missing CA bundle file", rc, err, &e);
    }
    {
        const struct expect e = {S(CONFIG), 0, NULL, 0, 0, NULL, NULL, 0, NULL};
        bedrock_stream_client *c = (bedrock_stream_client *)&counter; /* must stay untouched */
        bedrock_stream_config_set_endpoint_url(config, "not a url", NULL);
        rc = bedrock_stream_client_new(config, &c, &err);
        expect_true("client_out untouched on failure", c == (bedrock_stream_client *)&counter);
        check("endpoint \"not a url\"", rc, err, &e);
    }
    bedrock_stream_config_free(config);
    {
        const struct expect e = {S(CREDENTIALS), 0, NULL, 0, 0, "bearer token", NULL, 0, NULL};
        bedrock_stream_client *c = NULL;
        bedrock_stream_config_new(&config, NULL);
        bedrock_stream_config_set_bearer_token(config, "line\r\nbreak", NULL);
        rc = bedrock_stream_client_new(config, &c, &err);
        check("bearer token with CR/LF", rc, err, &e);
        bedrock_stream_config_free(config);
    }
    {
        const struct expect e = {S(ABORTED_BY_CALLBACK), 0, NULL, 2, 0, "after 2 event", NULL, 0, NULL};
        struct counter c = new_counter(2, -1);
        rc = bedrock_stream_client_invoke(client, request, on_event, &c, NULL, &err);
        check("callback returns BEDROCK_STREAM_STOP", rc, err, &e);
    }
    {
        const struct expect e = {S(CANCELLED), 0, NULL, 0, 0, "cancelled", NULL, 0, NULL};
        bedrock_stream_cancel_new(&cancel, NULL);
        bedrock_stream_cancel_cancel(cancel);
        rc = bedrock_stream_client_invoke(client, request, on_event, &counter, cancel, &err);
        check("cancelled before the call", rc, err, &e);
        bedrock_stream_cancel_free(cancel);
    }
    {
        const struct expect e = {S(INVALID_INPUT), 0, NULL, 0, 0, "already given", NULL, 0, NULL};
        bedrock_stream_cancel_new(&cancel, NULL);
        rc = bedrock_stream_client_open(client, request, cancel, &stream, NULL);
        expect_true("open with a fresh cancel handle", rc == S(OK));
        bedrock_stream_stream_free(stream); /* before the end: closes the connection */
        stream = NULL;
        rc = bedrock_stream_client_open(client, request, cancel, &stream, &err);
        check("a cancel handle serves one call", rc, err, &e);
        bedrock_stream_cancel_free(cancel);
    }
    {
        const struct expect e = {S(CANCELLED), 0, NULL, 2, 0, "cancelled", NULL, 0, NULL};
        bedrock_stream_request *r = make_request("emulator-fault:stall:after=2");
        struct counter c = new_counter(-1, 2);
        bedrock_stream_cancel_new(&c.cancel, NULL);
        rc = bedrock_stream_client_invoke(client, r, on_event, &c, c.cancel, &err);
        if (c.thread_started)
            pthread_join(c.thread, NULL);
        expect_true("cancel_is_cancelled", bedrock_stream_cancel_is_cancelled(c.cancel));
        check("cancelled from another thread while stalled", rc, err, &e);
        bedrock_stream_cancel_free(c.cancel);
        bedrock_stream_request_free(r);
    }
    {
        /* The pull API reports mid-stream failures from next, and keeps reporting them. */
        const struct expect e = {S(THROTTLING), 429, "throttlingException", 1, 1, NULL, NULL, 0, NULL};
        bedrock_stream_request *r = make_request("emulator-fault:exception=throttlingException:after=1");
        rc = bedrock_stream_client_open(client, r, NULL, &stream, &err);
        if (rc == S(OK))
            rc = bedrock_stream_stream_next(stream, &event, &err);
        expect_true("pull: first event", rc == S(OK) && event != NULL &&
                                            bedrock_stream_event_kind_of(event) ==
                                                BEDROCK_STREAM_EVENT_KIND_CHUNK);
        event = (const bedrock_stream_event *)&counter;
        rc = bedrock_stream_stream_next(stream, &event, &err);
        expect_true("pull: event_out untouched on failure", event == (const void *)&counter);
        check("pull: exception from next", rc, err, &e);
        rc = bedrock_stream_stream_next(stream, &event, &err);
        check("pull: the failure stays", rc, err,
              &(struct expect){S(THROTTLING), 0, NULL, -1, -1, "already failed", NULL, 0, NULL});
        bedrock_stream_stream_free(stream);
        stream = NULL;
        bedrock_stream_request_free(r);
    }
    bedrock_stream_request_free(request);
    bedrock_stream_client_free(client);

    /* ---- failures of the network, the stream and the service ---- */
    invoke_case("connection refused", "anthropic.claude-3-5-haiku-20241022-v1:0", &refused,
                &(struct expect){S(TRANSPORT), 0, NULL, 0, 1, NULL, NULL, 0, NULL});
    invoke_case("read-idle timeout", "emulator-fault:stall:after=1", &idle,
                &(struct expect){S(TIMEOUT), 0, NULL, 1, 1, "read-idle", "read-idle", 0, NULL});
    invoke_case("truncated body", "emulator-fault:truncate:after=2", NULL,
                &(struct expect){S(TRUNCATED), 0, NULL, 2, -1, NULL, NULL, 0, NULL});
    invoke_case("bad message CRC", "emulator-fault:bad-crc:after=1", NULL,
                &(struct expect){S(PROTOCOL), 0, NULL, 1, 0, "CRC", NULL, 0, NULL});
    invoke_case("text/plain 200", "emulator-fault:text-200", NULL,
                &(struct expect){S(UNEXPECTED_CONTENT_TYPE), 200, NULL, 0, 0, "text/plain", NULL, 0,
                                 NULL});
    invoke_case("error message in the stream", "emulator-fault:error=InternalFailure:after=1:message=boom",
                NULL,
                &(struct expect){S(STREAM_ERROR), 0, "InternalFailure", 1, -1, "boom", NULL, 0, NULL});
    invoke_case("bad credentials", "anthropic.claude-3-5-haiku-20241022-v1:0", &bad_secret,
                &(struct expect){S(UNMODELED_SERVICE), 403, "InvalidSignatureException", 0, 0, NULL,
                                 NULL, 0, NULL});

    /* The six exceptions of the stream. */
    invoke_case("throttlingException", "emulator-fault:exception=throttlingException:after=2", NULL,
                &(struct expect){S(THROTTLING), 429, "throttlingException", 2, 1, NULL, NULL, 0, NULL});
    invoke_case("modelTimeoutException", "emulator-fault:exception=modelTimeoutException:after=2",
                NULL,
                &(struct expect){S(MODEL_TIMEOUT), 408, "modelTimeoutException", 2, 0, NULL, NULL, 0,
                                 NULL});
    invoke_case("internalServerException", "emulator-fault:exception=internalServerException:after=1",
                NULL,
                &(struct expect){S(INTERNAL_SERVER), 500, "internalServerException", 1, 1, NULL, NULL, 0,
                                 NULL});
    invoke_case("serviceUnavailableException",
                "emulator-fault:exception=serviceUnavailableException:after=3", NULL,
                &(struct expect){S(SERVICE_UNAVAILABLE), 503, "serviceUnavailableException", 3, 1, NULL,
                                 NULL, 0, NULL});
    invoke_case("validationException", "emulator-fault:exception=validationException:after=0", NULL,
                &(struct expect){S(VALIDATION), 400, "validationException", 0, 0, NULL, NULL, 0, NULL});
    invoke_case("modelStreamErrorException",
                "emulator-fault:exception=modelStreamErrorException:after=2:status=503:original-message=upstream-down",
                NULL,
                &(struct expect){S(MODEL_STREAM_ERROR), 424, "modelStreamErrorException", 2, 1, NULL,
                                 NULL, 503, "upstream-down"});

    /* The modeled HTTP errors, and an unmodeled one. */
    invoke_case("HTTP 403", "emulator-fault:http=403", NULL,
                &(struct expect){S(ACCESS_DENIED), 403, "AccessDeniedException", 0, 0, NULL, NULL, 0, NULL});
    invoke_case("HTTP 404", "emulator-fault:http=404", NULL,
                &(struct expect){S(RESOURCE_NOT_FOUND), 404, "ResourceNotFoundException", 0, 0, NULL, NULL,
                                 0, NULL});
    invoke_case("HTTP 429", "emulator-fault:http=429", NULL,
                &(struct expect){S(THROTTLING), 429, "ThrottlingException", 0, 1, NULL, NULL, 0, NULL});
    invoke_case("HTTP 408", "emulator-fault:http=408", NULL,
                &(struct expect){S(MODEL_TIMEOUT), 408, "ModelTimeoutException", 0, -1, NULL, NULL, 0, NULL});
    invoke_case("HTTP 500", "emulator-fault:http=500", NULL,
                &(struct expect){S(INTERNAL_SERVER), 500, "InternalServerException", 0, 1, NULL, NULL, 0,
                                 NULL});
    invoke_case("HTTP 503", "emulator-fault:http=503", NULL,
                &(struct expect){S(SERVICE_UNAVAILABLE), 503, "ServiceUnavailableException", 0, 1, NULL,
                                 NULL, 0, NULL});
    invoke_case("HTTP 424 ModelStreamErrorException", "emulator-fault:http=424:ModelStreamErrorException",
                NULL,
                &(struct expect){S(MODEL_STREAM_ERROR), 424, "ModelStreamErrorException", 0, -1, NULL, NULL,
                                 500, "Internal Server Error"});
    invoke_case("HTTP 400 ValidationException", "emulator-fault:http=400:ValidationException", NULL,
                &(struct expect){S(VALIDATION), 400, "ValidationException", 0, 0, NULL, NULL, 0, NULL});
    invoke_case("HTTP 400 ServiceQuotaExceededException",
                "emulator-fault:http=400:ServiceQuotaExceededException", NULL,
                &(struct expect){S(SERVICE_QUOTA_EXCEEDED), 400, "ServiceQuotaExceededException", 0, 0,
                                 NULL, NULL, 0, NULL});
    invoke_case("HTTP 429 ModelNotReadyException", "emulator-fault:http=429:ModelNotReadyException",
                NULL,
                &(struct expect){S(MODEL_NOT_READY), 429, "ModelNotReadyException", 0, 1, NULL, NULL, 0,
                                 NULL});
    invoke_case("HTTP 424 ModelErrorException", "emulator-fault:http=424:ModelErrorException", NULL,
                &(struct expect){S(MODEL_ERROR), 424, "ModelErrorException", 0, 0, NULL, NULL, 500, NULL});
    invoke_case("HTTP 504 without an error type", "emulator-fault:http=504", NULL,
                &(struct expect){S(UNMODELED_SERVICE), 504, "504", 0, 1, NULL, NULL, 0, NULL});

    /* ---- small things ---- */
    expect_true("status names",
                strcmp(bedrock_stream_status_str(S(OK)), "OK") == 0 &&
                    strcmp(bedrock_stream_status_str(S(MODEL_STREAM_ERROR)), "MODEL_STREAM_ERROR") == 0 &&
                    strcmp(bedrock_stream_status_str(9999), "UNKNOWN") == 0);
    expect_true("version macros match the library",
                bedrock_stream_version_number() == BEDROCK_STREAM_VERSION_NUMBER &&
                    BEDROCK_STREAM_VERSION_NUMBER == ((BEDROCK_STREAM_VERSION_MAJOR << 16) |
                                                      (BEDROCK_STREAM_VERSION_MINOR << 8) |
                                                      BEDROCK_STREAM_VERSION_PATCH));
    {
        /* The message is copied like snprintf: cut, NUL-terminated, full length reported. */
        char small[8];
        size_t n = 0, full = 0;
        bedrock_stream_config_new(NULL, &err);
        bedrock_stream_error_message(err, NULL, 0, &full);
        memset(small, 'x', sizeof small);
        expect_true("error message truncation",
                    bedrock_stream_error_message(err, small, sizeof small, &n) == S(OK) && n == full &&
                        n > sizeof small && small[7] == '\0' && strlen(small) == 7 &&
                        bedrock_stream_error_message(err, NULL, 4, &n) == S(NULL_ARGUMENT));
        bedrock_stream_error_free(err);
    }

    printf("errors: %d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
