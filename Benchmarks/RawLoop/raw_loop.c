/*
 * The raw ceiling of the delivery benchmark: what this machine, libcurl and the receiver can do
 * with nothing of Herald in the way. One thread, libcurl's multi interface, a fixed set of easy
 * handles kept alive, bodies built before the clock starts; each finished transfer is re-added
 * with the next body, so the connection cache reuses its connection.
 *
 *   raw_loop URL REQUESTS [IN_FLIGHT]
 *
 * Prints one line of key=value pairs for herald-delivery-bench to parse:
 *   requests=N failed=F seconds=S rate=R cpu_us=C user_us=U sys_us=Y
 * where cpu_us is this process's user + system CPU time (getrusage) divided by N.
 * scripts/bench builds it with: gcc -O2 -o raw_loop raw_loop.c -lcurl
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* Distinct bodies, so that the loop does not send one cached buffer a million times. */
#define BODIES 1000
#define BODY_BYTES 512

static char bodies[BODIES][BODY_BYTES];
static long body_lengths[BODIES];

/* Bodies of about 300 bytes, shaped like the events of the end-to-end run. */
static void build_bodies(void) {
    for (int i = 0; i < BODIES; i++) {
        body_lengths[i] = snprintf(bodies[i], BODY_BYTES,
            "{\"type\":\"order.created\",\"id\":\"e-%d\",\"data\":{\"order_id\":%d,\"currency\":\"EUR\","
            "\"customer\":{\"id\":\"c-%d\",\"email\":\"someone@example.com\"},"
            "\"items\":[{\"sku\":\"SKU-1\",\"qty\":2,\"price_cents\":1299}],"
            "\"note\":\"padding to three hundred bytes of payload in total\"}}", i, i, i);
    }
}

/* Responses are 204s; anything else is discarded unread. */
static size_t discard(char *data, size_t size, size_t count, void *user) {
    (void)data;
    (void)user;
    return size * count;
}

static CURL *make_handle(const char *url, struct curl_slist *headers) {
    CURL *easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 10000L);
    return easy;
}

/* Points the handle at the next body; POSTFIELDS does not copy, and the bodies are static. */
static void start(CURLM *multi, CURL *easy, long index) {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, body_lengths[index % BODIES]);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, bodies[index % BODIES]);
    curl_multi_add_handle(multi, easy);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double microseconds(struct timeval tv) { return (double)tv.tv_sec * 1e6 + (double)tv.tv_usec; }

/* Reads every finished transfer, counts failures and restarts the handle while requests remain. */
static void collect(CURLM *multi, long total, long *started, long *finished, long *failed) {
    CURLMsg *message;
    int queued;
    while ((message = curl_multi_info_read(multi, &queued))) {
        if (message->msg != CURLMSG_DONE) continue;
        CURL *easy = message->easy_handle;
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        if (message->data.result != CURLE_OK || status < 200 || status >= 300) (*failed)++;
        curl_multi_remove_handle(multi, easy);
        (*finished)++;
        if (*started < total) start(multi, easy, (*started)++);
    }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: raw_loop URL REQUESTS [IN_FLIGHT]\n");
        return 2;
    }
    const char *url = argv[1];
    long total = atol(argv[2]);
    int in_flight = argc > 3 ? atoi(argv[3]) : 32;
    if (total <= 0 || in_flight <= 0) return 2;
    if (in_flight > total) in_flight = (int)total;

    build_bodies();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)in_flight);
    CURL **handles = calloc((size_t)in_flight, sizeof(CURL *));
    for (int i = 0; i < in_flight; i++) handles[i] = make_handle(url, headers);

    long started = 0, finished = 0, failed = 0;
    double begin = now_seconds();
    for (int i = 0; i < in_flight; i++) start(multi, handles[i], started++);
    while (finished < total) {
        int running = 0;
        if (curl_multi_perform(multi, &running) != CURLM_OK) break;
        collect(multi, total, &started, &finished, &failed);
        if (finished < total && curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK) break;
    }
    double elapsed = now_seconds() - begin;

    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double user = microseconds(usage.ru_utime), sys = microseconds(usage.ru_stime);
    printf("requests=%ld failed=%ld seconds=%.3f rate=%.0f cpu_us=%.2f user_us=%.2f sys_us=%.2f\n",
           finished, failed + (total - finished), elapsed, (double)finished / elapsed,
           (user + sys) / (double)total, user / (double)total, sys / (double)total);

    for (int i = 0; i < in_flight; i++) {
        curl_multi_remove_handle(multi, handles[i]);
        curl_easy_cleanup(handles[i]);
    }
    free(handles);
    curl_multi_cleanup(multi);
    curl_slist_free_all(headers);
    curl_global_cleanup();
    return finished == total && failed == 0 ? 0 : 1;
}
