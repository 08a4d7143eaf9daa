/* edgeft runtime for the host: failure, counters and the fork on POSIX
 * threads (engine models in common/).
 *
 * The fork runs on a pool started at the first fork (or after
 * edgeft_rt_set_threads changed its size) and kept: N threads, the caller
 * and N - 1 workers. The threads take the fork's slices one at a time from a
 * shared claim word, the caller too, each its own share first (the same
 * slices every fork, so the data a kernel's slice wrote is in the cache of
 * the core that reads it next), then any left: a worker the OS has not
 * scheduled yet (a busy machine) delays nothing, the others take its slices. Each slice is
 * run whole, by the same code, on whichever thread, so the results do not
 * depend on N or on who ran what. Workers spin briefly for the next fork (a
 * training step forks a hundred short kernels one after another), then sleep
 * on a condition variable. A region's barrier is its last statement
 * (edgeft_rt.h), so the wait for the fork's last slice stands for it and the
 * barrier itself has nothing to wait for: no slice ever waits for another,
 * whatever N, which is what keeps the pool free of deadlocks. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "edgeft_rt.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

EDGEFT_NORETURN void edgeft_rt_fail(const char *message)
{
    fprintf(stderr, "edgeft runtime: %s\n", message);
    exit(3);
}

uint64_t edgeft_rt_cycles(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

uint64_t edgeft_rt_instructions(void)
{
    return 0;
}

/* Polls of a spinning thread before it sleeps: about 100 us on a current
 * x86-64 core, longer than the gap between two kernels of a step. */
#define SPIN_POLLS 20000

typedef void (*slice_fn)(int core, void *arg);

/* The claim word of the current fork: its generation (bits 63:24), its slice
 * count (23:16) and its claims (15:0). A fork of at most CLAIM_MASK_SLICES
 * slices keeps a bit per slice taken, so each thread can start with its own
 * share (thread t of T: slices t*S/T .. (t+1)*S/T - 1) and take the others'
 * only when its own are done: consecutive kernels split alike then find
 * their data in the cache of the core that wrote it, and a thread the OS has
 * not scheduled delays nothing. A larger fork counts the next unclaimed
 * slice instead. A thread that read an older generation finds the word
 * changed and takes nothing. */
#define CLAIM(generation, slices, claims) \
    ((uint64_t)(generation) << 24 | (uint64_t)(slices) << 16 | (uint64_t)(claims))
#define CLAIM_MASK_SLICES 16

/* The words every thread writes sit on cache lines of their own, so a claim
 * does not move the lines the others read (a fork's cost is mostly these
 * lines moving between cores: lenet5 forks 51 kernels a step). */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;        /* a new fork (generation) or stop */
    pthread_cond_t done;        /* the fork's last slice finished */
    int wanted;                 /* threads asked for; 0 = not chosen yet */
    int threads;                /* threads of the running pool (0 = none) */
    pthread_t workers[EDGEFT_RT_MAX_THREADS];
    unsigned long started_at;   /* the generation when the workers started */
    int stop;                   /* under lock: workers exit */
    /* the current fork, written before its claim word is published */
    slice_fn fn;
    void *arg;
    _Alignas(64) atomic_ulong generation;  /* forks published so far */
    atomic_int sleepers;        /* workers asleep on `wake` (or about to be) */
    atomic_int caller_asleep;   /* the caller waits on `done` (or is about to) */
    _Alignas(64) _Atomic uint64_t claim;   /* CLAIM(...) of the current fork */
    _Alignas(64) atomic_int finished;      /* slices of the current fork finished */
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER,
          .wake = PTHREAD_COND_INITIALIZER,
          .done = PTHREAD_COND_INITIALIZER};

static _Thread_local int inside_fork; /* a fork from a slice runs on its thread */
static _Thread_local int thread_index; /* 0: the caller of forks; workers 1 .. N-1 */

/* One poll's pause; every 64th poll gives the core away, in case the thread
 * being waited for is waiting for it (more threads than free cores). */
static void cpu_relax(int poll)
{
    if (poll % 64 == 63) {
        sched_yield();
        return;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/* The slices of thread `t`'s own share of a fork of `slices` (a mask). */
static unsigned own_share(unsigned slices, int t)
{
    const unsigned threads = (unsigned)pool.threads;
    const unsigned first = (unsigned)t * slices / threads;
    const unsigned end = ((unsigned)t + 1) * slices / threads;
    return ((1u << end) - 1u) & ~((1u << first) - 1u);
}

/* Count `done` slices of the current fork finished; the one that finishes
 * the last wakes the caller if it sleeps. */
static void finish(int done, unsigned slices)
{
    if (atomic_fetch_add(&pool.finished, done) + done != (int)slices)
        return;
    if (atomic_load(&pool.caller_asleep)) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_signal(&pool.done);
        pthread_mutex_unlock(&pool.lock);
    }
}

/* Take and run slices of fork `generation` until none is left: first all of
 * the thread's own share still free, in one claim, then the others' one at a
 * time. The fork cannot end while a claimed slice runs, so fn and arg are its
 * own. */
static void run_slices(unsigned long generation)
{
    uint64_t word = atomic_load_explicit(&pool.claim, memory_order_acquire);
    for (;;) {
        const unsigned slices = (unsigned)(word >> 16 & 0xffu);
        const unsigned claims = (unsigned)(word & 0xffffu);
        if (word >> 24 != CLAIM(generation, 0, 0) >> 24)
            return;
        unsigned take;  /* the slices (a mask) or the one slice (a count) claimed */
        if (slices > CLAIM_MASK_SLICES) {
            if (claims >= slices)
                return;
            take = claims;
        } else {
            const unsigned free = ((1u << slices) - 1u) & ~claims;
            if (free == 0)
                return;
            const unsigned own = own_share(slices, thread_index) & free;
            take = own ? own : free & -free;  /* the own share, else the lowest free */
        }
        const uint64_t taken = slices > CLAIM_MASK_SLICES ? word + 1 : word | take;
        if (!atomic_compare_exchange_weak_explicit(&pool.claim, &word, taken,
                                                   memory_order_acq_rel,
                                                   memory_order_acquire))
            continue; /* word now holds the current value */
        int done = 0;
        if (slices > CLAIM_MASK_SLICES) {
            pool.fn((int)take, pool.arg);
            done = 1;
        } else {
            for (unsigned left = take; left != 0; left &= left - 1u, ++done)
                pool.fn(__builtin_ctz(left), pool.arg); /* the lowest slice left */
        }
        finish(done, slices);
        word = atomic_load_explicit(&pool.claim, memory_order_acquire);
    }
}

static unsigned long next_fork(unsigned long seen)
{
    for (int i = 0; i < SPIN_POLLS; ++i) {
        unsigned long now = atomic_load_explicit(&pool.generation, memory_order_acquire);
        if (now != seen)
            return now;
        cpu_relax(i);
    }
    pthread_mutex_lock(&pool.lock);
    atomic_fetch_add(&pool.sleepers, 1); /* before the check: a fork sees it or we see it */
    while (!pool.stop && atomic_load(&pool.generation) == seen)
        pthread_cond_wait(&pool.wake, &pool.lock);
    atomic_fetch_sub(&pool.sleepers, 1);
    unsigned long now = pool.stop ? seen : atomic_load(&pool.generation);
    pthread_mutex_unlock(&pool.lock);
    return now;
}

static void *worker(void *index)
{
    thread_index = (int)(intptr_t)index;
    inside_fork = 1;
    /* not the generation now: the first fork may be published before a new
     * worker gets here */
    unsigned long seen = pool.started_at;
    for (;;) {
        unsigned long now = next_fork(seen);
        if (now == seen)
            return NULL; /* stopped */
        seen = now;
        run_slices(seen);
    }
}
static int default_threads(void)
{
    const char *text = getenv("EDGEFT_THREADS");
    if (text != NULL && *text != '\0') {
        char *end;
        long value = strtol(text, &end, 10);
        if (*end != '\0' || value < 1 || value > EDGEFT_RT_MAX_THREADS)
            edgeft_rt_fail("EDGEFT_THREADS must be a whole number from 1 to 64");
        return (int)value;
    }
#ifdef __linux__
    cpu_set_t cpus;
    if (sched_getaffinity(0, sizeof cpus, &cpus) == 0) {
        int count = CPU_COUNT(&cpus);
        return count < 1 ? 1 : count > EDGEFT_RT_MAX_THREADS ? EDGEFT_RT_MAX_THREADS : count;
    }
#endif
    return 1;
}

static void stop_pool(void)
{
    if (pool.threads == 0)
        return;
    pthread_mutex_lock(&pool.lock);
    pool.stop = 1;
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);
    for (int t = 1; t < pool.threads; ++t)
        pthread_join(pool.workers[t], NULL);
    pool.stop = 0;
    pool.threads = 0;
}

/* A child of fork(2) has only the thread that forked: it starts a pool of
 * its own at its first fork. */
static void forget_pool_in_child(void)
{
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.wake, NULL);
    pthread_cond_init(&pool.done, NULL);
    pool.threads = 0;
    pool.stop = 0;
}

static void register_child_handler(void)
{
    pthread_atfork(NULL, NULL, forget_pool_in_child);
}

static void start_pool(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_child_handler);
    if (pool.wanted == 0)
        pool.wanted = default_threads();
    pool.threads = pool.wanted;
    pool.started_at = atomic_load(&pool.generation);
    for (int t = 1; t < pool.threads; ++t)
        if (pthread_create(&pool.workers[t], NULL, worker, (void *)(intptr_t)t) != 0) {
            pool.threads = t; /* run with the threads there are */
            break;
        }
}

void edgeft_rt_set_threads(int threads)
{
    if (threads < 1 || threads > EDGEFT_RT_MAX_THREADS)
        edgeft_rt_fail("edgeft_rt_set_threads: threads must be from 1 to 64");
    if (inside_fork)
        edgeft_rt_fail("edgeft_rt_set_threads: called from inside a fork");
    if (threads == pool.wanted && pool.threads != 0)
        return;
    stop_pool();
    pool.wanted = threads;
}

void edgeft_rt_fork(int cores, void (*fn)(int core, void *arg), void *arg)
{
    if (pool.threads == 0 && !inside_fork)
        start_pool();
    if (inside_fork || pool.threads == 1 || cores == 1) {
        for (int core = 0; core < cores; ++core)
            fn(core, arg);
        return;
    }
    if (cores < 1 || cores > 255)
        edgeft_rt_fail("edgeft_rt_fork: cores must be from 1 to 255");
    pool.fn = fn;
    pool.arg = arg;
    atomic_store_explicit(&pool.finished, 0, memory_order_relaxed);
    const unsigned long generation = atomic_load(&pool.generation) + 1;
    atomic_store_explicit(&pool.claim, CLAIM(generation, cores, 0), memory_order_release);
    atomic_store(&pool.generation, generation);
    if (atomic_load(&pool.sleepers)) { /* spinning workers see the generation */
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    inside_fork = 1;
    run_slices(generation); /* the caller takes slices too, all of them if it must */
    inside_fork = 0;
    for (int i = 0; i < SPIN_POLLS; ++i) {
        if (atomic_load_explicit(&pool.finished, memory_order_acquire) == cores)
            return;
        cpu_relax(i);
    }
    pthread_mutex_lock(&pool.lock);
    atomic_store(&pool.caller_asleep, 1); /* before the check: the last slice sees it */
    while (atomic_load(&pool.finished) != cores)
        pthread_cond_wait(&pool.done, &pool.lock);
    atomic_store(&pool.caller_asleep, 0);
    pthread_mutex_unlock(&pool.lock);
}

void edgeft_rt_barrier(void)
{
    /* the last statement of a region: the fork's join waits for every slice */
}
