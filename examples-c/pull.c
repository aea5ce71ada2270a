/*
 * pull.c -- the same as stream.c with the pull API: open a stream, call
 * bedrock_stream_stream_next until it hands out NULL (the end), free it. For event loops that
 * cannot be called back. Optionally cancels the stream from another thread.
 *
 *   usage: pull [-m MODEL_ID] [-p PROMPT] [-f MODEL_FAMILY] [-c N]
 *
 *   -c N   after N events, a second thread cancels the stream while this one waits for the
 *          next event (the call returns BEDROCK_STREAM_STATUS_CANCELLED at once). On Linux the
 *          second thread first waits until this one is blocked in the read, so the cancel has
 *          to wake a blocked read; taking more than 2 s to return is reported as a failure.
 *
 * Region, endpoint and credentials come from the environment (see stream.c).
 * Exit status: 0 on success, 3 when cancelled as asked, 1 on any other failure.
 */
#define _GNU_SOURCE /* syscall(SYS_gettid) */
#include <bedrock_stream.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <sys/syscall.h>
#include <unistd.h>
#endif

struct canceller {
    bedrock_stream_cancel *cancel;
    long reader_tid; /* the thread reading the stream (Linux), else 0 */
    struct timespec cancelled_at;
};

/* Wait (up to 20 s) until thread `tid` is blocked reading its socket: Linux names the system
 * call a blocked thread is in, in /proc/self/task/TID/syscall. Elsewhere, return at once. */
static void wait_blocked_in_read(long tid)
{
#ifdef __linux__
    char path[64];
    struct timespec pause = {0, 2 * 1000 * 1000};
    int i;
    snprintf(path, sizeof path, "/proc/self/task/%ld/syscall", tid);
    for (i = 0; i < 10000; i++) {
        long nr = -1;
        FILE *f = fopen(path, "r");
        if (f != NULL) {
            if (fscanf(f, "%ld", &nr) != 1)
                nr = -1; /* "running" */
            fclose(f);
        }
        if (nr == SYS_read || nr == SYS_recvfrom || nr == SYS_recvmsg || nr == SYS_ppoll
#ifdef SYS_poll
            || nr == SYS_poll
#endif
        )
            return;
        nanosleep(&pause, NULL);
    }
    fprintf(stderr, "the reader never blocked in a read\n");
#else
    (void)tid;
#endif
}

static void *cancel_thread(void *arg)
{
    struct canceller *c = arg;
    wait_blocked_in_read(c->reader_tid);
    clock_gettime(CLOCK_MONOTONIC, &c->cancelled_at);
    /* Safe from any thread, at any time. */
    if (bedrock_stream_cancel_cancel(c->cancel) != BEDROCK_STREAM_STATUS_OK)
        fprintf(stderr, "cancel failed\n");
    return NULL;
}

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

static void print_error(const char *what, bedrock_stream_status rc, const bedrock_stream_error *err)
{
    char message[512];
    size_t n = 0;
    message[0] = '\0';
    if (err != NULL)
        bedrock_stream_error_message(err, message, sizeof message, &n);
    fflush(stdout);
    fprintf(stderr, "\nerror: %s failed: %s: %s%s\n", what, bedrock_stream_status_str(rc), message,
            n >= sizeof message ? " [...]" : "");
}

int main(int argc, char **argv)
{
    const char *model = "anthropic.claude-3-5-haiku-20241022-v1:0";
    const char *prompt = "Hello!";
    const char *family = NULL;
    long cancel_after = -1;
    bedrock_stream_config *config = NULL;
    bedrock_stream_client *client = NULL;
    bedrock_stream_request *request = NULL;
    bedrock_stream_cancel *cancel = NULL;
    bedrock_stream_stream *stream = NULL;
    bedrock_stream_error *err = NULL;
    bedrock_stream_status rc;
    const bedrock_stream_event *event;
    pthread_t canceller;
    struct canceller canceller_args;
    struct timespec returned;
    bool cancelling = false;
    unsigned long events = 0;
    char stop_reason[64] = "";
    bedrock_stream_metrics metrics;
    bool has_metrics = false;
    char *body;
    int status = 1;
    int i;

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-m") == 0)
            model = argv[i + 1];
        else if (strcmp(argv[i], "-p") == 0)
            prompt = argv[i + 1];
        else if (strcmp(argv[i], "-f") == 0)
            family = argv[i + 1];
        else if (strcmp(argv[i], "-c") == 0)
            cancel_after = strtol(argv[i + 1], NULL, 10);
        else
            break;
    }
    if (i != argc) {
        fprintf(stderr, "usage: pull [-m MODEL_ID] [-p PROMPT] [-f MODEL_FAMILY] [-c N]\n");
        return 1;
    }

    if ((rc = bedrock_stream_config_new(&config, &err)) != BEDROCK_STREAM_STATUS_OK) {
        print_error("config", rc, err);
        goto done;
    }
    rc = bedrock_stream_client_new(config, &client, &err);
    bedrock_stream_config_free(config);
    if (rc != BEDROCK_STREAM_STATUS_OK) {
        print_error("client", rc, err);
        goto done;
    }
    if ((body = claude_body(prompt)) == NULL) {
        fprintf(stderr, "error: out of memory\n");
        goto done;
    }
    rc = bedrock_stream_request_new(model, (const uint8_t *)body, strlen(body), &request, &err);
    free(body);
    if (rc == BEDROCK_STREAM_STATUS_OK && family != NULL)
        rc = bedrock_stream_request_set_model_family(request, family, &err);
    if (rc == BEDROCK_STREAM_STATUS_OK)
        rc = bedrock_stream_cancel_new(&cancel, &err);
    if (rc != BEDROCK_STREAM_STATUS_OK) {
        print_error("request", rc, err);
        goto done;
    }

    /* Returns once the response headers are in: HTTP errors are reported here. */
    rc = bedrock_stream_client_open(client, request, cancel, &stream, &err);
    if (rc != BEDROCK_STREAM_STATUS_OK) {
        print_error("open", rc, err);
        goto done;
    }
    printf("[request id %s]\n", bedrock_stream_stream_request_id(stream)
                                    ? bedrock_stream_stream_request_id(stream)
                                    : "(none)");

    for (;;) {
        bedrock_stream_bytes text;
        const char *stop;
        if (cancel_after >= 0 && (long)events == cancel_after && !cancelling) {
            canceller_args.cancel = cancel;
#ifdef __linux__
            canceller_args.reader_tid = (long)syscall(SYS_gettid);
#else
            canceller_args.reader_tid = 0;
#endif
            if (pthread_create(&canceller, NULL, cancel_thread, &canceller_args) != 0) {
                fprintf(stderr, "error: pthread_create\n");
                goto done;
            }
            cancelling = true;
        }
        rc = bedrock_stream_stream_next(stream, &event, &err);
        if (rc != BEDROCK_STREAM_STATUS_OK)
            break;
        if (event == NULL) /* the clean end */
            break;
        /* The event is valid until the next call to bedrock_stream_stream_next. */
        events++;
        text = bedrock_stream_event_text(event);
        fwrite(text.data, 1, text.len, stdout);
        fflush(stdout);
        if ((stop = bedrock_stream_event_stop_reason(event)) != NULL) {
            strncpy(stop_reason, stop, sizeof stop_reason - 1);
            stop_reason[sizeof stop_reason - 1] = '\0';
        }
        if (bedrock_stream_event_metrics(event, &metrics))
            has_metrics = true;
    }

    if (rc == BEDROCK_STREAM_STATUS_OK) {
        printf("\n--\nstop reason: %s\n", stop_reason[0] ? stop_reason : "(none)");
        if (has_metrics)
            printf("tokens: %llu in, %llu out (invocation metrics)\n",
                   (unsigned long long)metrics.input_token_count,
                   (unsigned long long)metrics.output_token_count);
        printf("events: %lu\n", events);
        status = 0;
    } else if (rc == BEDROCK_STREAM_STATUS_CANCELLED && cancelling) {
        double took;
        clock_gettime(CLOCK_MONOTONIC, &returned);
        pthread_join(canceller, NULL);
        cancelling = false;
        took = (double)(returned.tv_sec - canceller_args.cancelled_at.tv_sec) +
               (double)(returned.tv_nsec - canceller_args.cancelled_at.tv_nsec) / 1e9;
        printf("\n--\ncancelled after %llu events\n",
               (unsigned long long)bedrock_stream_error_events_delivered(err));
        if (took > 2.0)
            fprintf(stderr, "error: the cancel took %.1f s to end the read\n", took);
        else
            status = 3;
    } else {
        print_error("next", rc, err);
    }

done:
    if (cancelling)
        pthread_join(canceller, NULL);
    bedrock_stream_error_free(err);
    bedrock_stream_stream_free(stream); /* closes the connection if the stream did not end */
    bedrock_stream_cancel_free(cancel);
    bedrock_stream_request_free(request);
    bedrock_stream_client_free(client);
    return status;
}
