/*
 * threads.c -- 16 threads share one client and stream at the same time; the totals are
 * checked at the end. Before that, each thread creates and frees a few clients of its own
 * (there is no global init or shutdown to get wrong).
 *
 *   usage: threads [MODEL_ID]
 *
 * Thread i asks "thread i" and prints "thread i: <answer>". Then the totals: events, output
 * tokens from the invocation metrics, and whether every thread ended with a stop reason.
 * Region, endpoint and credentials come from the environment (see stream.c).
 * Exit status: 0 when all 16 streams succeeded and the totals agree, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <bedrock_stream.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 16
#define CLIENTS_PER_THREAD 4

struct job {
    int index;
    const bedrock_stream_client *client; /* shared, thread-safe */
    const char *model;
    /* results */
    bedrock_stream_status status;
    char message[256];
    char *text;
    size_t text_len;
    unsigned long events;
    bool stopped;
    bool has_metrics;
    unsigned long long output_tokens;
    int own_clients_ok;
};

static int32_t on_event(void *user_data, const bedrock_stream_event *event)
{
    struct job *job = user_data;
    bedrock_stream_bytes text = bedrock_stream_event_text(event);
    bedrock_stream_metrics metrics;

    job->events++;
    if (text.len > 0) {
        char *grown = realloc(job->text, job->text_len + text.len + 1);
        if (grown == NULL)
            return BEDROCK_STREAM_STOP;
        job->text = grown;
        memcpy(job->text + job->text_len, text.data, text.len);
        job->text_len += text.len;
        job->text[job->text_len] = '\0';
    }
    if (bedrock_stream_event_stop_reason(event) != NULL)
        job->stopped = true;
    if (bedrock_stream_event_metrics(event, &metrics) && metrics.has_output_token_count) {
        job->has_metrics = true;
        job->output_tokens = metrics.output_token_count;
    }
    return BEDROCK_STREAM_CONTINUE;
}

static void *run(void *arg)
{
    struct job *job = arg;
    char body[256];
    bedrock_stream_request *request = NULL;
    bedrock_stream_error *err = NULL;
    int i;

    /* Clients of its own, created and freed while the other threads do the same. */
    for (i = 0; i < CLIENTS_PER_THREAD; i++) {
        bedrock_stream_config *config = NULL;
        bedrock_stream_client *client = NULL;
        if (bedrock_stream_config_new(&config, NULL) == BEDROCK_STREAM_STATUS_OK &&
            bedrock_stream_client_new(config, &client, NULL) == BEDROCK_STREAM_STATUS_OK)
            job->own_clients_ok++;
        bedrock_stream_client_free(client);
        bedrock_stream_config_free(config);
    }

    snprintf(body, sizeof body,
             "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":256,"
             "\"messages\":[{\"role\":\"user\",\"content\":\"thread %d\"}]}",
             job->index);
    job->status = bedrock_stream_request_new(job->model, (const uint8_t *)body, strlen(body),
                                             &request, &err);
    if (job->status == BEDROCK_STREAM_STATUS_OK)
        job->status = bedrock_stream_client_invoke(job->client, request, on_event, job, NULL, &err);
    if (job->status != BEDROCK_STREAM_STATUS_OK)
        bedrock_stream_error_message(err, job->message, sizeof job->message, NULL);
    bedrock_stream_error_free(err);
    bedrock_stream_request_free(request);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *model = argc > 1 ? argv[1] : "anthropic.claude-3-5-haiku-20241022-v1:0";
    struct job jobs[THREADS];
    pthread_t threads[THREADS];
    bedrock_stream_config *config = NULL;
    bedrock_stream_client *client = NULL;
    bedrock_stream_error *err = NULL;
    bedrock_stream_status rc;
    unsigned long total_events = 0;
    unsigned long long total_tokens = 0;
    int ok = 0, stopped = 0, with_metrics = 0, own_clients = 0;
    int i;

    rc = bedrock_stream_config_new(&config, &err);
    if (rc == BEDROCK_STREAM_STATUS_OK)
        rc = bedrock_stream_client_new(config, &client, &err);
    bedrock_stream_config_free(config);
    if (rc != BEDROCK_STREAM_STATUS_OK) {
        char message[256] = "";
        bedrock_stream_error_message(err, message, sizeof message, NULL);
        fprintf(stderr, "error: %s: %s\n", bedrock_stream_status_str(rc), message);
        bedrock_stream_error_free(err);
        return 1;
    }

    memset(jobs, 0, sizeof jobs);
    for (i = 0; i < THREADS; i++) {
        jobs[i].index = i;
        jobs[i].client = client;
        jobs[i].model = model;
        if (pthread_create(&threads[i], NULL, run, &jobs[i]) != 0) {
            fprintf(stderr, "error: pthread_create\n");
            return 1;
        }
    }
    for (i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    bedrock_stream_client_free(client);

    for (i = 0; i < THREADS; i++) {
        struct job *job = &jobs[i];
        if (job->status == BEDROCK_STREAM_STATUS_OK) {
            ok++;
            printf("thread %d: %s\n", i, job->text ? job->text : "");
        } else {
            printf("thread %d: error %s: %s\n", i, bedrock_stream_status_str(job->status),
                   job->message);
        }
        total_events += job->events;
        total_tokens += job->output_tokens;
        stopped += job->stopped;
        with_metrics += job->has_metrics;
        own_clients += job->own_clients_ok;
        free(job->text);
    }
    printf("streams ok: %d/%d\n", ok, THREADS);
    printf("total events: %lu\n", total_events);
    printf("total output tokens: %llu\n", total_tokens);
    printf("stop reasons: %d, metrics: %d, own clients: %d/%d\n", stopped, with_metrics,
           own_clients, THREADS * CLIENTS_PER_THREAD);
    /* Every stream must have succeeded, ended with a stop reason and reported its billing;
     * every thread got the same number of events (the prompts have the same shape). */
    for (i = 1; i < THREADS; i++) {
        if (jobs[i].events != jobs[0].events) {
            printf("mismatch: thread %d got %lu events, thread 0 got %lu\n", i, jobs[i].events,
                   jobs[0].events);
            return 1;
        }
    }
    return (ok == THREADS && stopped == THREADS && with_metrics == THREADS &&
            own_clients == THREADS * CLIENTS_PER_THREAD && total_events == THREADS * jobs[0].events)
               ? 0
               : 1;
}
