/* loadgen: the publisher and the subscriber of the process-level floor benchmark, one process.
 *
 * The same load and the same measurement for any daemon that does stackd's job (`stackd run`,
 * floord): an XPUB publisher connects to the daemon's input, waits for its subscription
 * (schemas/wire.md 1.1), and sends binary predictions (4 models "lgbm" "logreg" "mlp" "xgb",
 * --symbols symbols "SYM00000".., horizon 5, K = 3); a SUB connects to the daemon's output and
 * reads the ensemble messages (topic "ens."). Row r of the measured run has event time
 * BASE + r and symbol r % symbols; its 4 messages go back to back, and the send time of the 4th
 * (CLOCK_MONOTONIC) is kept in an array the subscriber thread reads back by event time.
 *
 * Before measuring, warm-up rows go out one per millisecond until the subscriber has an output:
 * then both subscriptions are in place and nothing measured is lost to the slow joiner.
 *
 *   --rate 0 (flat out): msg/s = messages / (first send → last output received), HWM 0
 *   --rate R: rows on an absolute schedule at R msg/s; end-to-end latency (4th send → output
 *             received) percentiles over the rows after the first --skip fraction
 *
 * Prints one line of key=value on stdout; exits 1 if outputs are missing after a bounded wait.
 *
 * --hook-start CMD / --hook-end CMD run (system(3)) just before the first measured send and just
 * after the last output arrived: floor.sh switches callgrind's instrumentation of the daemon on and
 * off with them, so instruction counts cover the measured messages only.
 *
 *   loadgen --in EP --out EP [--messages N] [--symbols S] [--rate R] [--skip 0.125] [--timeout 60]
 *           [--hook-start CMD] [--hook-end CMD]
 */
#define _GNU_SOURCE
#include <zmq.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MODELS 4
#define K 3
#define HORIZON 5
#define BASE_EVENT_TIME 1000000

static const char *model_names[MODELS] = { "lgbm", "logreg", "mlp", "xgb" };

static uint64_t now_ns(void) {
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t) {
    if (now_ns() >= t) return;
    struct timespec ts = { (time_t)(t / 1000000000ull), (long)(t % 1000000000ull) };
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

struct message { unsigned char topic[64]; size_t topic_len; unsigned char payload[128]; size_t payload_len; };

static struct message *messages;        /* symbols × MODELS, patched in place per send */
static int symbols = 64;
static long rows;                        /* measured rows */
static uint64_t *stamps;                 /* send time of each measured row's 4th message */
static uint64_t *received_at;            /* receive time of each measured row's output */
static atomic_long outputs_measured, outputs_warmup;
static atomic_uint_fast64_t last_receive;
static atomic_int stop_sink;
static long duplicates, strays;

static void encode(struct message *m, const char *model, const char *symbol) {
    m->topic_len = (size_t)snprintf((char *)m->topic, sizeof m->topic, "pred.%s.%d.%s", symbol, HORIZON, model);
    size_t ml = strlen(model), sl = strlen(symbol);
    unsigned char *p = m->payload;
    memset(p, 0, 32);
    p[0] = 'S'; p[1] = 'K'; p[2] = 1; p[3] = 1; p[4] = K; p[5] = (unsigned char)ml; p[6] = (unsigned char)sl;
    uint32_t h = HORIZON; memcpy(p + 8, &h, 4);
    double probs[K] = { 0.2, 0.3, 0.5 };
    memcpy(p + 32, probs, sizeof probs);
    memcpy(p + 32 + 8 * K, model, ml);
    memcpy(p + 32 + 8 * K + ml, symbol, sl);
    m->payload_len = 32 + 8 * K + ml + sl;
}

static uint64_t sequences[MODELS];

/* Sends the 4 messages of a row; returns the send time of the last. */
static uint64_t send_row(void *pub, long row_index_for_symbol, int64_t event_time) {
    uint64_t t = 0;
    for (int m = 0; m < MODELS; m++) {
        struct message *msg = &messages[(row_index_for_symbol % symbols) * MODELS + m];
        uint64_t seq = ++sequences[m];
        memcpy(msg->payload + 16, &event_time, 8);
        memcpy(msg->payload + 24, &seq, 8);
        if (m == MODELS - 1) t = now_ns();
        if (zmq_send(pub, msg->topic, msg->topic_len, ZMQ_SNDMORE) < 0 || zmq_send(pub, msg->payload, msg->payload_len, 0) < 0) {
            fprintf(stderr, "loadgen: send: %s\n", zmq_strerror(zmq_errno())); exit(1);
        }
    }
    return t;
}

static void *sink_main(void *arg) {
    void *sub = arg;
    zmq_msg_t topic, payload; zmq_msg_init(&topic); zmq_msg_init(&payload);
    zmq_pollitem_t item = { sub, 0, ZMQ_POLLIN, 0 };
    while (!atomic_load(&stop_sink)) {
        if (zmq_poll(&item, 1, 20) <= 0) continue;
        while (zmq_msg_recv(&topic, sub, ZMQ_DONTWAIT) >= 0) {
            uint64_t t = now_ns();
            if (!zmq_msg_more(&topic) || zmq_msg_recv(&payload, sub, 0) < 0) { strays++; continue; }
            const unsigned char *p = zmq_msg_data(&payload);
            if (zmq_msg_size(&payload) < 56 || p[3] != 3) { strays++; continue; }
            int64_t et; memcpy(&et, p + 16, 8);
            long r = (long)(et - BASE_EVENT_TIME);
            if (et < BASE_EVENT_TIME) { atomic_fetch_add(&outputs_warmup, 1); continue; }
            if (r >= rows) { strays++; continue; }
            if (received_at[r]) { duplicates++; continue; }
            received_at[r] = t;
            atomic_store(&last_receive, t);
            atomic_fetch_add(&outputs_measured, 1);
        }
    }
    zmq_msg_close(&topic); zmq_msg_close(&payload);
    return NULL;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b; return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    const char *in = NULL, *out = NULL, *hook_start = NULL, *hook_end = NULL;
    long messages_n = 2000000; double rate = 0, skip = 0.125, timeout = 60;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--in") && i + 1 < argc) in = argv[++i];
        else if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--messages") && i + 1 < argc) messages_n = atol(argv[++i]);
        else if (!strcmp(argv[i], "--symbols") && i + 1 < argc) symbols = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rate") && i + 1 < argc) rate = atof(argv[++i]);
        else if (!strcmp(argv[i], "--skip") && i + 1 < argc) skip = atof(argv[++i]);
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) timeout = atof(argv[++i]);
        else if (!strcmp(argv[i], "--hook-start") && i + 1 < argc) hook_start = argv[++i];
        else if (!strcmp(argv[i], "--hook-end") && i + 1 < argc) hook_end = argv[++i];
        else { fprintf(stderr, "usage: loadgen --in EP --out EP [--messages N] [--symbols S] [--rate R] [--skip F] [--timeout S]\n"); return 2; }
    }
    if (!in || !out || symbols < 1 || symbols > 99999 || messages_n < MODELS) { fprintf(stderr, "loadgen: bad arguments\n"); return 2; }
    rows = messages_n / MODELS;
    messages = calloc((size_t)symbols * MODELS, sizeof *messages);
    stamps = calloc((size_t)rows, sizeof *stamps);
    received_at = calloc((size_t)rows, sizeof *received_at);
    for (int s = 0; s < symbols; s++) {
        char symbol[16]; snprintf(symbol, sizeof symbol, "SYM%05d", s);
        for (int m = 0; m < MODELS; m++) encode(&messages[s * MODELS + m], model_names[m], symbol);
    }
    prctl(PR_SET_TIMERSLACK, 1UL);   /* paced sends wake on time, not up to 50 µs late */
    void *ctx = zmq_ctx_new();
    void *pub = zmq_socket(ctx, ZMQ_XPUB), *sub = zmq_socket(ctx, ZMQ_SUB);
    int zero = 0, linger = 5000;
    zmq_setsockopt(pub, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "ens.", 4);
    if (zmq_connect(sub, out) != 0 || zmq_connect(pub, in) != 0) { fprintf(stderr, "loadgen: connect: %s\n", zmq_strerror(zmq_errno())); return 1; }
    /* The daemon's subscription (bounded wait). */
    zmq_pollitem_t item = { pub, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll(&item, 1, (long)(timeout * 1000)) <= 0) { fprintf(stderr, "loadgen: the daemon did not subscribe\n"); return 1; }
    zmq_msg_t m; zmq_msg_init(&m); zmq_msg_recv(&m, pub, 0); zmq_msg_close(&m);
    pthread_t sink; pthread_create(&sink, NULL, sink_main, sub);

    /* Warm-up: one row per ms until an output arrives (bounded). */
    long warmup_rows = 0;
    uint64_t warm_deadline = now_ns() + (uint64_t)(timeout * 1e9);
    while (atomic_load(&outputs_warmup) == 0) {
        if (now_ns() > warm_deadline) { fprintf(stderr, "loadgen: no output during warm-up\n"); return 1; }
        send_row(pub, warmup_rows, 1 + warmup_rows); warmup_rows++;
        sleep_until(now_ns() + 1000000);
    }
    /* Let the warm-up outputs settle so none of them is still queued when measuring starts. */
    sleep_until(now_ns() + 200000000);
    if (hook_start && system(hook_start) != 0) { fprintf(stderr, "loadgen: --hook-start failed\n"); return 1; }

    uint64_t first_send = now_ns(), period = rate > 0 ? (uint64_t)(1e9 * MODELS / rate) : 0;
    for (long r = 0; r < rows; r++) {
        if (period) sleep_until(first_send + (uint64_t)r * period);
        stamps[r] = send_row(pub, r, BASE_EVENT_TIME + r);
    }
    uint64_t last_send = now_ns();
    /* Bounded wait for every output: fail after `timeout` seconds without progress. */
    long seen = -1; uint64_t progress = now_ns();
    while (atomic_load(&outputs_measured) < rows) {
        long o = atomic_load(&outputs_measured);
        if (o != seen) { seen = o; progress = now_ns(); }
        if (now_ns() - progress > (uint64_t)(timeout * 1e9)) break;
        sleep_until(now_ns() + 1000000);
    }
    if (hook_end && system(hook_end) != 0) fprintf(stderr, "loadgen: --hook-end failed\n");
    atomic_store(&stop_sink, 1);
    pthread_join(sink, NULL);
    long got = atomic_load(&outputs_measured);
    double seconds = (double)(atomic_load(&last_receive) - first_send) / 1e9;
    printf("messages=%ld warmup_messages=%ld rows=%ld outputs=%ld duplicates=%ld strays=%ld send_seconds=%.4f seconds=%.4f msg_per_s=%.0f",
           rows * MODELS, warmup_rows * MODELS, rows, got, duplicates, strays, (double)(last_send - first_send) / 1e9, seconds,
           seconds > 0 ? (double)(rows * MODELS) / seconds : 0.0);
    if (period) {
        long from = (long)(skip * (double)rows), n = 0;
        uint64_t *lat = malloc(sizeof *lat * (size_t)(rows - from + 1));
        for (long r = from; r < rows; r++) if (received_at[r]) lat[n++] = received_at[r] - stamps[r];
        qsort(lat, (size_t)n, sizeof *lat, cmp_u64);
        if (n > 0) printf(" rate=%.0f achieved_rate=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f", rate,
                          (double)(rows * MODELS) / ((double)(last_send - first_send) / 1e9),
                          lat[n / 2] / 1e3, lat[(long)(0.99 * (double)(n - 1))] / 1e3, lat[(long)(0.999 * (double)(n - 1))] / 1e3);
        free(lat);
    }
    printf("\n");
    zmq_close(pub); zmq_close(sub);
    zmq_ctx_term(ctx);
    return got == rows ? 0 : 1;
}
