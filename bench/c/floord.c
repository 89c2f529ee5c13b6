/* floord: the zero-compute floor of stackd's live job, on libzmq with the same sockets.
 *
 * It does what `stackd run` does per message with nothing else: a SUB socket binds the input,
 * an XPUB socket (XPUB_VERBOSE, and XPUB_NODROP unless --drop) binds the output; every
 * two-frame message is read with zmq_msg_recv, the binary prediction's event time and symbol are
 * read in place, a per-symbol counter collects M predictions of one row, and the M-th emits one
 * binary ensemble message (schemas/wire.md 4.3: 56-byte header, K float64, symbol) on topic
 * ens.<symbol>.<horizon>, with the row's event time. No validation, no features, no model:
 * whatever stackd spends above this is its own.
 *
 * Loop shape: zmq_poll on both sockets, then drain the input with ZMQ_DONTWAIT until EAGAIN.
 * Stops on SIGTERM/SIGINT (prints "floord received N published R" on stderr).
 *
 *   floord --in EP --out EP [--models 4] [--drop]
 */
#include <zmq.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4096

static volatile sig_atomic_t stop_requested = 0;
static void on_signal(int s) { (void)s; stop_requested = 1; }

struct slot { int64_t event_time; uint32_t count; };

static void die(const char *what) { fprintf(stderr, "floord: %s: %s\n", what, zmq_strerror(zmq_errno())); exit(1); }

int main(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    int models = 4, nodrop = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--in") && i + 1 < argc) in = argv[++i];
        else if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--models") && i + 1 < argc) models = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--drop")) nodrop = 0;
        else { fprintf(stderr, "usage: floord --in EP --out EP [--models M] [--drop]\n"); return 2; }
    }
    if (!in || !out || models < 1) { fprintf(stderr, "floord: --in and --out are required\n"); return 2; }
    struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL); sigaction(SIGINT, &sa, NULL);

    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB), *pub = zmq_socket(ctx, ZMQ_XPUB);
    int zero = 0, one = 1, linger = 1000;
    zmq_setsockopt(sub, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "pred.", 5);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "label.", 6);
    zmq_setsockopt(pub, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(pub, ZMQ_XPUB_VERBOSE, &one, sizeof one);
    if (nodrop) zmq_setsockopt(pub, ZMQ_XPUB_NODROP, &one, sizeof one);
    if (zmq_bind(sub, in) != 0) die("bind input");
    if (zmq_bind(pub, out) != 0) die("bind output");

    static struct slot slots[SLOTS];
    zmq_msg_t topic, payload, sub_msg;
    zmq_msg_init(&topic); zmq_msg_init(&payload); zmq_msg_init(&sub_msg);
    unsigned char out_topic[80], out_payload[56 + 8 * 16 + 64];
    uint64_t received = 0, published = 0, sequence = 0, send_failures = 0;
    zmq_pollitem_t items[2] = { { sub, 0, ZMQ_POLLIN, 0 }, { pub, 0, ZMQ_POLLIN, 0 } };

    while (!stop_requested) {
        if (zmq_poll(items, 2, 100) < 0) { if (zmq_errno() == EINTR) continue; die("poll"); }
        if (items[0].revents & ZMQ_POLLIN) {
            for (;;) {
                if (zmq_msg_recv(&topic, sub, ZMQ_DONTWAIT) < 0) break;   /* EAGAIN: drained */
                received++;
                if (!zmq_msg_more(&topic)) continue;
                if (zmq_msg_recv(&payload, sub, 0) < 0) break;
                while (zmq_msg_more(&payload)) zmq_msg_recv(&payload, sub, 0);  /* never in the bench */
                const unsigned char *p = zmq_msg_data(&payload);
                size_t n = zmq_msg_size(&payload);
                if (n < 32 || p[0] != 'S' || p[3] != 1) continue;
                size_t k = p[4], ml = p[5], sl = p[6];
                if (n != 32 + 8 * k + ml + sl) continue;
                const unsigned char *symbol = p + 32 + 8 * k + ml;
                uint32_t horizon; int64_t event_time;
                memcpy(&horizon, p + 8, 4); memcpy(&event_time, p + 16, 8);
                uint32_t h = 2166136261u;                        /* FNV-1a of the symbol */
                for (size_t i = 0; i < sl; i++) h = (h ^ symbol[i]) * 16777619u;
                struct slot *s = &slots[h % SLOTS];
                if (s->event_time != event_time) { s->event_time = event_time; s->count = 0; }
                if (++s->count != (uint32_t)models) continue;
                /* The row is complete: one ensemble output, the last vector's probabilities. */
                int tl = snprintf((char *)out_topic, sizeof out_topic, "ens.%.*s.%u", (int)sl, (const char *)symbol, horizon);
                memset(out_payload, 0, 56);
                out_payload[0] = 'S'; out_payload[1] = 'K'; out_payload[2] = 1; out_payload[3] = 3;
                out_payload[4] = (unsigned char)k; out_payload[6] = (unsigned char)sl;
                memcpy(out_payload + 8, &horizon, 4);
                memcpy(out_payload + 16, &event_time, 8);
                memcpy(out_payload + 24, &sequence, 8); sequence++;
                out_payload[48] = (unsigned char)models; out_payload[49] = (unsigned char)models;
                memcpy(out_payload + 56, p + 32, 8 * k);
                memcpy(out_payload + 56 + 8 * k, symbol, sl);
                if (zmq_send(pub, out_topic, (size_t)tl, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0
                    || zmq_send(pub, out_payload, 56 + 8 * k + sl, ZMQ_DONTWAIT) < 0) { send_failures++; continue; }
                published++;
            }
        }
        if (items[1].revents & ZMQ_POLLIN)
            while (zmq_msg_recv(&sub_msg, pub, ZMQ_DONTWAIT) >= 0) {}
    }
    fprintf(stderr, "floord received %llu published %llu send_failures %llu\n", (unsigned long long)received,
            (unsigned long long)published, (unsigned long long)send_failures);
    zmq_msg_close(&topic); zmq_msg_close(&payload); zmq_msg_close(&sub_msg);
    zmq_close(sub); zmq_close(pub);
    zmq_ctx_term(ctx);
    return 0;
}
