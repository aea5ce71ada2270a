/*
 * dlopen.c -- the library has no global init or shutdown: it can be used from a static
 * constructor (before main), loaded with dlopen, used, and unloaded with dlclose, several
 * times over, without a crash or a hang.
 *
 *   usage: dlopen [MODEL_ID]
 *
 * The program does not link the library: it loads libbedrock_stream.so.0 (found through its
 * rpath) with dlopen, first from a static constructor (clients created and freed), then in
 * main, three rounds of: load, create and free clients, stream one answer, unload.
 * Region, endpoint and credentials come from the environment (see stream.c). Each round
 * prints "round N: <events> events, <bytes> bytes of text".
 * Exit status: 0 when every round worked, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <bedrock_stream.h>

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#define ROUNDS 3

/* The functions used through dlsym. */
struct api {
    bedrock_stream_status (*config_new)(bedrock_stream_config **, bedrock_stream_error **);
    void (*config_free)(bedrock_stream_config *);
    bedrock_stream_status (*client_new)(const bedrock_stream_config *, bedrock_stream_client **,
                                        bedrock_stream_error **);
    void (*client_free)(bedrock_stream_client *);
    bedrock_stream_status (*request_new)(const char *, const uint8_t *, size_t,
                                         bedrock_stream_request **, bedrock_stream_error **);
    void (*request_free)(bedrock_stream_request *);
    bedrock_stream_status (*invoke)(const bedrock_stream_client *, const bedrock_stream_request *,
                                    bedrock_stream_event_cb, void *, const bedrock_stream_cancel *,
                                    bedrock_stream_error **);
    bedrock_stream_bytes (*event_text)(const bedrock_stream_event *);
    void (*error_free)(bedrock_stream_error *);
    const char *(*status_str)(int32_t);
};

/* dlsym returns an object pointer; POSIX guarantees it converts to a function pointer. */
#define LOAD(field, name)                                                                   \
    do {                                                                                    \
        void *sym = dlsym(handle, name);                                                    \
        if (sym == NULL)                                                                    \
            return 0;                                                                       \
        memcpy(&api->field, &sym, sizeof sym);                                              \
    } while (0)

static int load(void *handle, struct api *api)
{
    LOAD(config_new, "bedrock_stream_config_new");
    LOAD(config_free, "bedrock_stream_config_free");
    LOAD(client_new, "bedrock_stream_client_new");
    LOAD(client_free, "bedrock_stream_client_free");
    LOAD(request_new, "bedrock_stream_request_new");
    LOAD(request_free, "bedrock_stream_request_free");
    LOAD(invoke, "bedrock_stream_client_invoke");
    LOAD(event_text, "bedrock_stream_event_text");
    LOAD(error_free, "bedrock_stream_error_free");
    LOAD(status_str, "bedrock_stream_status_str");
    return 1;
}

struct round {
    const struct api *api;
    unsigned long events;
    size_t text_bytes;
};

static int32_t on_event(void *user_data, const bedrock_stream_event *event)
{
    struct round *r = user_data;
    r->events++;
    r->text_bytes += r->api->event_text(event).len;
    return BEDROCK_STREAM_CONTINUE;
}

#define LIBRARY "libbedrock_stream.so.0"

static const char BODY[] = "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":64,"
                           "\"messages\":[{\"role\":\"user\",\"content\":\"dlopen\"}]}";

/* Load the library, create and free clients, optionally stream once, unload. Returns the
 * number of failures. */
static int use_library(int round, const char *model)
{
    void *handle = dlopen(LIBRARY, RTLD_NOW | RTLD_LOCAL);
    struct api api;
    struct round r;
    bedrock_stream_config *config = NULL;
    bedrock_stream_client *client = NULL;
    bedrock_stream_request *request = NULL;
    bedrock_stream_error *err = NULL;
    bedrock_stream_status rc = BEDROCK_STREAM_STATUS_OK;
    int failures = 0;
    int i;

    if (handle == NULL || !load(handle, &api)) {
        printf("round %d: cannot load %s: %s\n", round, LIBRARY, dlerror());
        return 1;
    }
    for (i = 0; i < 10 && rc == BEDROCK_STREAM_STATUS_OK; i++) {
        api.client_free(client);
        client = NULL;
        rc = api.config_new(&config, NULL);
        if (rc == BEDROCK_STREAM_STATUS_OK)
            rc = api.client_new(config, &client, NULL);
        api.config_free(config);
        config = NULL;
    }
    if (model == NULL) { /* the constructor: no network */
        printf("round %d: %s clients\n", round, rc == BEDROCK_STREAM_STATUS_OK ? "10" : "no");
        failures += rc != BEDROCK_STREAM_STATUS_OK;
    } else {
        memset(&r, 0, sizeof r);
        r.api = &api;
        if (rc == BEDROCK_STREAM_STATUS_OK)
            rc = api.request_new(model, (const uint8_t *)BODY, sizeof BODY - 1, &request, &err);
        if (rc == BEDROCK_STREAM_STATUS_OK)
            rc = api.invoke(client, request, on_event, &r, NULL, &err);
        if (rc == BEDROCK_STREAM_STATUS_OK && r.events > 0) {
            printf("round %d: %lu events, %lu bytes of text\n", round, r.events,
                   (unsigned long)r.text_bytes);
        } else {
            printf("round %d: failed: %s\n", round, api.status_str(rc));
            failures++;
        }
    }
    api.error_free(err);
    api.request_free(request);
    api.client_free(client);
    if (dlclose(handle) != 0) {
        printf("round %d: dlclose failed: %s\n", round, dlerror());
        failures++;
    }
    return failures;
}

/* Runs before main. */
static int constructor_failures = -1;
static void before_main(void) __attribute__((constructor));
static void before_main(void)
{
    constructor_failures = use_library(0, NULL);
}

int main(int argc, char **argv)
{
    const char *model = argc > 1 ? argv[1] : "anthropic.claude-3-5-haiku-20241022-v1:0";
    int failures = constructor_failures != 0;
    int round;

    for (round = 1; round <= ROUNDS; round++)
        failures += use_library(round, model);
    return failures == 0 ? 0 : 1;
}
