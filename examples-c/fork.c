/*
 * fork.c -- a pre-fork server: one client made (and used) before fork(), then the parent and
 * CHILDREN children stream with it at the same time. A child notices at its first call that it
 * is a new process and opens connections of its own; it never uses the parent's pooled ones.
 *
 *   usage: fork [MODEL_ID]
 *
 * Each process asks "process PID call N" (ROUNDS calls each, all processes starting together)
 * and prints "process PID call N: <events> events, <stop reason>". The server can thus tell
 * which process sent each request on each connection.
 * Region, endpoint and credentials come from the environment (see stream.c).
 * Exit status: 0 when every stream of every process succeeded, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <bedrock_stream.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILDREN 3
#define ROUNDS 3

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

/* One streaming call asking "process PID call N"; 0 on success. */
static int stream_once(const bedrock_stream_client *client, const char *model, int call)
{
    char body[256];
    bedrock_stream_request *request = NULL;
    bedrock_stream_error *err = NULL;
    bedrock_stream_status rc;
    struct tally t = {0, false};
    int n = snprintf(body, sizeof body,
                     "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":64,"
                     "\"messages\":[{\"role\":\"user\",\"content\":\"process %ld call %d\"}]}",
                     (long)getpid(), call);

    rc = bedrock_stream_request_new(model, (const uint8_t *)body, (size_t)n, &request, &err);
    if (rc == BEDROCK_STREAM_STATUS_OK)
        rc = bedrock_stream_client_invoke(client, request, on_event, &t, NULL, &err);
    if (rc != BEDROCK_STREAM_STATUS_OK) {
        char message[256] = "";
        size_t len = 0;
        if (err != NULL)
            bedrock_stream_error_message(err, message, sizeof message, &len);
        fprintf(stderr, "process %ld call %d: %s: %s\n", (long)getpid(), call,
                bedrock_stream_status_str(rc), message);
    } else {
        printf("process %ld call %d: %lu events, %s\n", (long)getpid(), call, t.events,
               t.stopped ? "stopped" : "no stop reason");
        fflush(stdout);
    }
    bedrock_stream_error_free(err);
    bedrock_stream_request_free(request);
    return rc == BEDROCK_STREAM_STATUS_OK && t.stopped ? 0 : 1;
}

/* Wait for the start signal (the parent closes the pipe), then stream ROUNDS times. */
static int run_rounds(const bedrock_stream_client *client, const char *model, int start_fd)
{
    char c;
    int failures = 0;
    int i;
    while (read(start_fd, &c, 1) > 0) {
    }
    close(start_fd);
    for (i = 1; i <= ROUNDS; i++)
        failures += stream_once(client, model, i);
    return failures == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *model = argc > 1 ? argv[1] : "anthropic.claude-3-5-haiku-20241022-v1:0";
    bedrock_stream_config *config = NULL;
    bedrock_stream_client *client = NULL;
    bedrock_stream_error *err = NULL;
    bedrock_stream_status rc;
    pid_t children[CHILDREN];
    int start[2];
    int status = 0;
    int i;

    if ((rc = bedrock_stream_config_new(&config, &err)) == BEDROCK_STREAM_STATUS_OK)
        rc = bedrock_stream_client_new(config, &client, &err);
    bedrock_stream_config_free(config);
    if (rc != BEDROCK_STREAM_STATUS_OK) {
        fprintf(stderr, "client: %s\n", bedrock_stream_status_str(rc));
        bedrock_stream_error_free(err);
        return 1;
    }
    /* Used before the fork: a keep-alive connection now sits in the client's pool (and the
     * credentials are resolved), as in a server that warms up before forking its workers. */
    if (stream_once(client, model, 0) != 0) {
        bedrock_stream_client_free(client);
        return 1;
    }
    if (pipe(start) != 0) {
        perror("pipe");
        bedrock_stream_client_free(client);
        return 1;
    }
    fflush(stdout);
    for (i = 0; i < CHILDREN; i++) {
        children[i] = fork();
        if (children[i] < 0) {
            perror("fork");
            return 1;
        }
        if (children[i] == 0) {
            int code;
            close(start[1]);
            code = run_rounds(client, model, start[0]);
            bedrock_stream_client_free(client);
            exit(code);
        }
    }
    /* Everyone starts at once. */
    close(start[1]);
    status = run_rounds(client, model, start[0]);
    for (i = 0; i < CHILDREN; i++) {
        int child_status = 0;
        if (waitpid(children[i], &child_status, 0) != children[i] || !WIFEXITED(child_status) ||
            WEXITSTATUS(child_status) != 0) {
            fprintf(stderr, "child %ld failed\n", (long)children[i]);
            status = 1;
        }
    }
    bedrock_stream_client_free(client);
    printf("%s\n", status == 0 ? "all processes streamed" : "some process failed");
    return status;
}
