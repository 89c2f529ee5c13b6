// alloccount: an LD_PRELOAD shim that counts allocation calls per thread.
//
// Build: cc -O2 -shared -fPIC -ftls-model=initial-exec -o alloccount.so alloccount.c
// Use:   LD_PRELOAD=./alloccount.so stackd-bench allocs
// It forwards to glibc's __libc_* entry points (no dlsym, so no bootstrap recursion) and
// counts malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign, valloc and free
// in a per-thread slot. The benchmark finds `alloccount_*` with dlsym; without the shim it
// reports that allocation counts are unavailable.
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

#define MAX_SLOTS 512
typedef struct { volatile long tid; volatile uint64_t allocs; volatile uint64_t frees; char pad[40]; } slot_t;
static slot_t slots[MAX_SLOTS];
static volatile int slot_count;
static __thread int my_slot = -1;

static inline slot_t *slot(void) {
    if (__builtin_expect(my_slot < 0, 0)) {
        int s = __atomic_fetch_add(&slot_count, 1, __ATOMIC_RELAXED);
        if (s >= MAX_SLOTS) s = MAX_SLOTS - 1;  // overflow threads share the last slot
        slots[s].tid = syscall(SYS_gettid);
        my_slot = s;
    }
    return &slots[my_slot];
}

static inline void count_alloc(void) { slot_t *s = slot(); __atomic_fetch_add(&s->allocs, 1, __ATOMIC_RELAXED); }
static inline void count_free(void) { slot_t *s = slot(); __atomic_fetch_add(&s->frees, 1, __ATOMIC_RELAXED); }

void *malloc(size_t n) { count_alloc(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { count_alloc(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { count_alloc(); return __libc_realloc(p, n); }
void free(void *p) { if (p) count_free(); __libc_free(p); }
void *memalign(size_t a, size_t n) { count_alloc(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { count_alloc(); return __libc_memalign(a, n); }
void *valloc(size_t n) { count_alloc(); return __libc_memalign(4096, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    count_alloc();
    void *p = __libc_memalign(a, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

// --- queried by the benchmark through dlsym ---
int alloccount_slots(void) { int n = slot_count; return n > MAX_SLOTS ? MAX_SLOTS : n; }
long alloccount_tid(int s) { return slots[s].tid; }
uint64_t alloccount_allocs(int s) { return slots[s].allocs; }
uint64_t alloccount_frees(int s) { return slots[s].frees; }
/// The calling thread's own allocation count.
uint64_t alloccount_self(void) { return slot()->allocs; }
long alloccount_self_tid(void) { slot(); return slots[my_slot].tid; }
