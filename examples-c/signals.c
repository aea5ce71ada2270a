/*
 * signals.c -- a host that takes signals all the time: SIGALRM every millisecond, with a
 * handler installed WITHOUT SA_RESTART, so that blocking system calls fail with EINTR. The
 * library must not notice: the credential fetch, the connect and the streams complete normally.
 *
 *   usage: signals [MODEL_ID] [CALLS] [no-timers]
 *
 * Makes CALLS (default 3) streaming calls on one client (the first one resolves the
 * credentials and connects) and prints "call N: <events> events, <stop reason>", then
 * "signals: <count>" (how many SIGALRMs arrived meanwhile; at least one is required).
 * Region, endpoint and credentials come from the environment (see stream.c); a
 * credential_process profile makes the credential fetch spawn a process under the signals.
 * With `no-timers` the connect, response-headers and read-idle timers are switched off (reads
 * then block without a timeout, which Linux interrupts even with SA_RESTART).
 * Exit status: 0 when every call succeeded, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <bedrock_stream.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

struct tally {
    unsigned long events;
    bool stopped;
};

static int32_t on_event(void *user_data, const bedrock_stream_event *event)
{
    struct tally *t = user_data;
    t->events++;
    if (bedrock_stream_event_stop_reason(event) != NULL)
        t->stopped = true;
    return BEDROCK_STREAM_CONTINUE;
}

int main(int argc, char **argv)
{
    static const char body[] = "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":64,"
                               "\"messages\":[{\"role\":\"user\",\"content\":\"signals\"}]}";
    const char *model = argc > 1 ? argv[1] : "anthropic.claude-3-5-haiku-20241022-v1:0";
    long calls = argc > 2 ? strtol(argv[2], NULL, 10) : 3;
    struct sigaction sa;
    struct itimerval every_ms;
    bedrock_stream_config *config = NULL;
    bedrock_stream_client *client = NULL;
    bedrock_stream_request *request = NULL;
    bedrock_stream_error *err = NULL;
    bedrock_stream_status rc;
    int status = 0;
    long i;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: interrupted system calls fail with EINTR */
    if (sigaction(SIGALRM, &sa, NULL) != 0) {
        perror("sigaction");
        return 1;
    }
    every_ms.it_interval.tv_sec = 0;
    every_ms.it_interval.tv_usec = 1000;
    every_ms.it_value = every_ms.it_interval;
    if (setitimer(ITIMER_REAL, &every_ms, NULL) != 0) {
        perror("setitimer");
        return 1;
    }

    rc = bedrock_stream_config_new(&config, &err);
    if (rc == BEDROCK_STREAM_STATUS_OK && argc > 3 && strcmp(argv[3], "no-timers") == 0) {
        rc = bedrock_stream_config_set_connect_timeout_ms(config, 0, &err);
        if (rc == BEDROCK_STREAM_STATUS_OK)
            rc = bedrock_stream_config_set_response_headers_timeout_ms(config, 0, &err);
        if (rc == BEDROCK_STREAM_STATUS_OK)
            rc = bedrock_stream_config_set_read_idle_timeout_ms(config, 0, &err);
    }
    if (rc == BEDROCK_STREAM_STATUS_OK)
        rc = bedrock_stream_client_new(config, &client, &err);
    if (rc == BEDROCK_STREAM_STATUS_OK)
        rc = bedrock_stream_request_new(model, (const uint8_t *)body, sizeof body - 1, &request,
                                        &err);
    for (i = 1; rc == BEDROCK_STREAM_STATUS_OK && i <= calls; i++) {
        struct tally t = {0, false};
        rc = bedrock_stream_client_invoke(client, request, on_event, &t, NULL, &err);
        if (rc == BEDROCK_STREAM_STATUS_OK) {
            printf("call %ld: %lu events, %s\n", i, t.events,
                   t.stopped ? "stopped" : "no stop reason");
            if (!t.stopped)
                status = 1;
        }
    }
    if (rc != BEDROCK_STREAM_STATUS_OK) {
        char message[512] = "";
        size_t n = 0;
        if (err != NULL)
            bedrock_stream_error_message(err, message, sizeof message, &n);
        fprintf(stderr, "error: %s: %s\n", bedrock_stream_status_str(rc), message);
        status = 1;
    }

    /* Stop the timer before reporting (and before freeing, as a host would at shutdown). */
    every_ms.it_interval.tv_usec = 0;
    every_ms.it_value.tv_usec = 0;
    setitimer(ITIMER_REAL, &every_ms, NULL);
    printf("signals: %ld\n", (long)alarms);
    if (alarms == 0)
        status = 1;

    bedrock_stream_error_free(err);
    bedrock_stream_request_free(request);
    bedrock_stream_client_free(client);
    bedrock_stream_config_free(config);
    return status;
}
