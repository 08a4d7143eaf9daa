/* edgeft runtime for GVSoC's Siracusa: the cluster's part.
 *
 * Cluster core 0 runs the program (edgeft_pulp_main, main.c); cores 1..7
 * wait at hardware barrier 0 for work that edgeft_rt_fork hands out. Inside
 * a fork, edgeft_rt_barrier is hardware barrier 1 over the fork's cores.
 * L1 <-> L2 copies go through the cluster DMA (mchan); L3 is the HyperRAM,
 * reached only through the uDMA's hyper channel, with L2 buffers between it
 * and L1. A RedMulE job runs its descriptor on the 8 cores (this SoC model
 * has no RedMulE): the same sums in the same order as the functional model
 * of common/, so results agree bit for bit with the host build.
 *
 * Where core 0's time goes is counted for every call the program makes
 * (edgeft_pulp_profile): parallel kernels (forks), RedMulE jobs, DMA starts
 * and waits, staged L3 transfers and synchronous copies; the rest of a step
 * is core 0's own code.
 *
 * Built with -DEDGEFT_RT_TRACE (by hand, for debugging a run that hangs or
 * faults), it prints every fork (count, cycle, function, cores) and every
 * copy that may touch L3 on core 0's stdout. */
#include "edgeft_rt.h"

#include <string.h>

#include "pulp.h"

int edgeft_pulp_main(void);

static uint32_t now(void)
{
    uint32_t value;
    __asm__ volatile("csrr %0, mcycle" : "=r"(value));
    return value;
}

static edgeft_pulp_profile_t profile;

edgeft_pulp_profile_t *edgeft_pulp_profile(void)
{
    return &profile;
}

/* Charge the cycles since `start` to one of the profile's counters. */
#define PROFILE_ADD(counter, start)          \
    do {                                     \
        profile.counter[0] += now() - (start); \
        ++profile.counter[1];                \
    } while (0)

/* The fork's state, in L1, written by core 0 before the start barrier. */
static struct {
    void (*fn)(int core, void *arg);
    void *arg;
    volatile int cores;
    volatile int ready;
    int forking;
} fork_state __attribute__((section(".edgeft_L1")));

static void barrier_wait(uint32_t n)
{
    (void)PULP_REG(PULP_EU_BARRIER_WAIT(n));
}

static uint32_t core_id(void)
{
    uint32_t hart;
    __asm__ volatile("csrr %0, mhartid" : "=r"(hart));
    return hart & 0x1f;
}

void edgeft_pulp_put(const char *s)
{
    volatile char *out = PULP_STDOUT(0, core_id());
    while (*s)
        *out = *s++;
}

void edgeft_pulp_put_unsigned(uint32_t value)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    volatile char *out = PULP_STDOUT(0, core_id());
    while (n > 0)
        *out = digits[--n];
}

EDGEFT_NORETURN void edgeft_rt_fail(const char *message)
{
    edgeft_pulp_put("edgeft runtime: ");
    edgeft_pulp_put(message);
    edgeft_pulp_put("\n");
    pulp_exit(3);
    for (;;) {
    }
}

static void worker_loop(uint32_t core)
{
    while (!fork_state.ready) {
    }
    for (;;) {
        barrier_wait(0);
        if ((int)core < fork_state.cores)
            fork_state.fn((int)core, fork_state.arg);
        barrier_wait(0);
    }
}

void edgeft_cluster_main(uint32_t core)
{
    PULP_REG(PULP_EU_MASK_OR) = PULP_EU_BARRIER_EVENT(0) | PULP_EU_BARRIER_EVENT(1);
    if (core != 0)
        worker_loop(core);
    const uint32_t all = (1u << PULP_CORES) - 1;
    PULP_REG(PULP_EU_BARRIER_CORES(0)) = all;
    PULP_REG(PULP_EU_BARRIER_TARGETS(0)) = all;
    fork_state.ready = 1;
    pulp_exit((uint32_t)edgeft_pulp_main());
}

static void fork_run(int cores, void (*fn)(int core, void *arg), void *arg)
{
#ifdef EDGEFT_RT_TRACE
    static uint32_t forks;
    {
        ++forks;
        edgeft_pulp_put("trace: fork ");
        edgeft_pulp_put_unsigned(forks);
        edgeft_pulp_put(" at cycle ");
        edgeft_pulp_put_unsigned((uint32_t)edgeft_rt_cycles());
        edgeft_pulp_put(" fn ");
        edgeft_pulp_put_unsigned((uint32_t)(uintptr_t)fn);
        edgeft_pulp_put(" cores ");
        edgeft_pulp_put_unsigned((uint32_t)cores);
        edgeft_pulp_put("\n");
    }
#endif
    if (cores < 1 || cores > (int)PULP_CORES)
        edgeft_rt_fail("fork: the number of cores is not 1..8");
    if (fork_state.forking || core_id() != 0)
        edgeft_rt_fail("fork: nested, or not from core 0");
    const uint32_t mask = (1u << cores) - 1;
    PULP_REG(PULP_EU_BARRIER_CORES(1)) = mask;
    PULP_REG(PULP_EU_BARRIER_TARGETS(1)) = mask;
    fork_state.fn = fn;
    fork_state.arg = arg;
    fork_state.cores = cores;
    fork_state.forking = 1;
    barrier_wait(0);
    fn(0, arg);
    barrier_wait(0);
    fork_state.forking = 0;
}

/* Cycles and calls of each forked kernel while main.c counts (a step), by
   the kernel's address: open addressing over a power-of-two table, in L1
   beside the arena (the TCDM has room past the training budget; L2 is the
   program's). */
#define KERNEL_SLOTS 2048u
static struct {
    uint32_t fn, cycles, calls;
} kernel_table[KERNEL_SLOTS] __attribute__((section(".edgeft_L1")));
static uint32_t kernels_dropped;
int edgeft_pulp_counting;

static void record_kernel(void (*fn)(int core, void *arg), uint32_t cycles)
{
    const uint32_t key = (uint32_t)(uintptr_t)fn;
    uint32_t slot = (key >> 1) & (KERNEL_SLOTS - 1);
    for (uint32_t probe = 0; probe < KERNEL_SLOTS; ++probe) {
        if (kernel_table[slot].fn == key || kernel_table[slot].fn == 0) {
            kernel_table[slot].fn = key;
            kernel_table[slot].cycles += cycles;
            ++kernel_table[slot].calls;
            return;
        }
        slot = (slot + 1) & (KERNEL_SLOTS - 1);
    }
    ++kernels_dropped;
}

void edgeft_pulp_put_kernels(void)
{
    for (uint32_t slot = 0; slot < KERNEL_SLOTS; ++slot) {
        if (kernel_table[slot].fn == 0)
            continue;
        edgeft_pulp_put("EDGEFT kernel ");
        edgeft_pulp_put_unsigned(kernel_table[slot].fn);
        edgeft_pulp_put(" ");
        edgeft_pulp_put_unsigned(kernel_table[slot].cycles);
        edgeft_pulp_put(" ");
        edgeft_pulp_put_unsigned(kernel_table[slot].calls);
        edgeft_pulp_put("\n");
    }
    if (kernels_dropped != 0)
        edgeft_rt_fail("profile: more distinct kernels than the table holds");
}

void edgeft_rt_fork(int cores, void (*fn)(int core, void *arg), void *arg)
{
    const uint32_t start = now();
    fork_run(cores, fn, arg);
    const uint32_t cycles = now() - start;
    profile.kernels[0] += cycles;
    ++profile.kernels[1];
    if (edgeft_pulp_counting)
        record_kernel(fn, cycles);
}

void edgeft_rt_barrier(void)
{
    if (fork_state.forking)
        barrier_wait(1);
}

uint64_t edgeft_rt_cycles(void)
{
    return now();
}

uint64_t edgeft_rt_instructions(void)
{
    return 0; /* not counted on this target */
}

/* ---- memory levels ---------------------------------------------------- */

extern char __l3_window[], __l3_window_end[];

static int in_l1(const void *p)
{
    return (uintptr_t)p >= PULP_L1_BASE && (uintptr_t)p < PULP_L1_END;
}

static int in_l2(const void *p)
{
    return (uintptr_t)p >= PULP_L2_BASE && (uintptr_t)p < PULP_L2_END;
}

static int in_l3(const void *p)
{
    return (const char *)p >= __l3_window && (const char *)p < __l3_window_end;
}

static uint32_t l3_offset(const void *p)
{
    return (uint32_t)((const char *)p - __l3_window);
}

/* ---- cluster DMA (mchan): L1 <-> L2 ----------------------------------- */

/* Transfer ids pushed and not yet freed. mchan frees an id only when the
   program acknowledges it, and a push with no free id stalls the core for
   good: a transfer whose token is never waited on must not leak its id. */
static uint32_t mchan_pending;
static uint32_t mchan_drains;

uint32_t edgeft_pulp_dma_drains(void)
{
    return mchan_drains;
}

static void mchan_wait(uint32_t ids);

static uint32_t mchan_push(uint32_t l1, uint32_t l2, uint32_t bytes, int to_l1)
{
    if ((uint32_t)__builtin_popcount(mchan_pending) >= PULP_MCHAN_IN_FLIGHT) {
        ++mchan_drains;
        mchan_wait(mchan_pending);
    }
    const uint32_t id = PULP_REG(PULP_MCHAN_QUEUE);
    PULP_REG(PULP_MCHAN_QUEUE) = bytes | (to_l1 ? PULP_MCHAN_TO_L1 : 0u) | PULP_MCHAN_INCREMENT;
    PULP_REG(PULP_MCHAN_QUEUE) = l1;
    PULP_REG(PULP_MCHAN_QUEUE) = l2;
    mchan_pending |= 1u << id;
    return 1u << id;
}

/* Wait for the transfers `ids` and free them (ids already freed are skipped,
   so waiting twice on a token is harmless). */
static void mchan_wait(uint32_t ids)
{
    ids &= mchan_pending;
    if (ids == 0)
        return;
    while (PULP_REG(PULP_MCHAN_STATUS) & ids) {
    }
    PULP_REG(PULP_MCHAN_STATUS) = ids;
    mchan_pending &= ~ids;
}

/* One contiguous copy: the DMA between L1 and L2 (its ids, to wait on), the
   core itself between two places of one level (complete, 0). */
static uint32_t copy_row(void *dst, const void *src, size_t bytes)
{
    if (in_l3(dst) || in_l3(src))
        edgeft_rt_fail("DMA: an L3 address in an L1/L2 transfer (L3 goes through a staged copy)");
    const int to_l1 = in_l1(dst) && in_l2(src);
    const int to_l2 = in_l2(dst) && in_l1(src);
    if (!to_l1 && !to_l2) {
        memcpy(dst, src, bytes);
        return 0;
    }
    uint32_t ids = 0;
    for (size_t done = 0; done < bytes; done += PULP_MCHAN_MAX_BYTES) {
        const size_t part = bytes - done < PULP_MCHAN_MAX_BYTES ? bytes - done : PULP_MCHAN_MAX_BYTES;
        const uint32_t l1 = (uint32_t)(uintptr_t)(to_l1 ? dst : src) + (uint32_t)done;
        const uint32_t l2 = (uint32_t)(uintptr_t)(to_l1 ? src : dst) + (uint32_t)done;
        if (ids != 0 && done % (4 * PULP_MCHAN_MAX_BYTES) == 0) {
            mchan_wait(ids); /* a few transfers in flight, so ids never run out */
            ids = 0;
        }
        ids |= mchan_push(l1, l2, (uint32_t)part, to_l1);
    }
    return ids;
}

edgeft_dma_token_t edgeft_rt_dma_start_1d(void *dst, const void *src, size_t bytes)
{
    const uint32_t start = now();
    const uint32_t ids = copy_row(dst, src, bytes);
    PROFILE_ADD(dma_start, start);
    return ids;
}

static uint32_t copy_rows(void *dst, const void *src, size_t row_bytes, size_t rows,
                          size_t dst_stride, size_t src_stride)
{
    uint32_t pending = 0;
    for (size_t r = 0; r < rows; ++r) {
        mchan_wait(pending); /* one row in flight behind the one being queued */
        pending = copy_row((char *)dst + r * dst_stride, (const char *)src + r * src_stride,
                           row_bytes);
    }
    return pending;
}

edgeft_dma_token_t edgeft_rt_dma_start_2d(void *dst, const void *src, size_t row_bytes,
                                          size_t rows, size_t dst_stride, size_t src_stride)
{
    const uint32_t start = now();
    const uint32_t ids = copy_rows(dst, src, row_bytes, rows, dst_stride, src_stride);
    PROFILE_ADD(dma_start, start);
    return ids;
}

void edgeft_rt_dma_wait(edgeft_dma_token_t token)
{
    const uint32_t start = now();
    mchan_wait(token);
    PROFILE_ADD(dma_wait, start);
}

/* ---- HyperRAM (uDMA hyper channel, id 0): L2 <-> L3 -------------------- */

static void hyper_idle(void)
{
    while (PULP_REG(PULP_HYPER_STATUS) & 1u) {
    }
}

/* One transfer between an L2 buffer and a HyperRAM offset, waited for. Reads
   store whole words: `bytes` must be a multiple of 4. */
static void hyper_move(void *l2, uint32_t offset, size_t bytes, int read)
{
    if (!in_l2(l2))
        edgeft_rt_fail("HyperRAM: the uDMA reaches L2 only");
    for (size_t done = 0; done < bytes; done += PULP_HYPER_MAX_BYTES) {
        const size_t part = bytes - done < PULP_HYPER_MAX_BYTES ? bytes - done : PULP_HYPER_MAX_BYTES;
        hyper_idle();
        PULP_REG(PULP_HYPER_TWD_ACT) = 0;
        PULP_REG(PULP_HYPER_TWD_ACT_L2) = 0;
        PULP_REG(PULP_HYPER_CA_SETUP) = read ? PULP_HYPER_READ : PULP_HYPER_WRITE;
        PULP_REG(PULP_HYPER_EXT_ADDR) = offset + (uint32_t)done;
        const uint32_t address = (uint32_t)(uintptr_t)l2 + (uint32_t)done;
        if (read) {
            PULP_REG(PULP_HYPER_RX_SADDR) = address;
            PULP_REG(PULP_HYPER_RX_SIZE) = (uint32_t)part;
            PULP_REG(PULP_HYPER_RX_CFG) = PULP_HYPER_START;
        } else {
            PULP_REG(PULP_HYPER_TX_SADDR) = address;
            PULP_REG(PULP_HYPER_TX_SIZE) = (uint32_t)part;
            PULP_REG(PULP_HYPER_TX_CFG) = PULP_HYPER_START;
        }
        hyper_idle();
    }
}

/* An L2 buffer for what cannot go directly (L1 <-> L3, L3 <-> L3, sizes
   that are not whole words). */
#define BOUNCE_BYTES 4096u
static uint32_t bounce[BOUNCE_BYTES / 4];

static int direct(const void *l2, size_t bytes)
{
    return in_l2(l2) && bytes % 4 == 0 && (uintptr_t)l2 % 4 == 0;
}

static void copy_any(void *dst, const void *src, size_t bytes)
{
#ifdef EDGEFT_RT_TRACE
    edgeft_pulp_put("trace: copy ");
    edgeft_pulp_put_unsigned((uint32_t)(uintptr_t)dst);
    edgeft_pulp_put(" ");
    edgeft_pulp_put_unsigned((uint32_t)(uintptr_t)src);
    edgeft_pulp_put(" ");
    edgeft_pulp_put_unsigned((uint32_t)bytes);
    edgeft_pulp_put("\n");
#endif
    if (!in_l3(dst) && !in_l3(src)) {
        mchan_wait(copy_row(dst, src, bytes));
        return;
    }
    if (in_l3(src) && direct(dst, bytes)) {
        hyper_move(dst, l3_offset(src), bytes, 1);
        return;
    }
    if (in_l3(dst) && direct(src, bytes)) {
        hyper_move((void *)src, l3_offset(dst), bytes, 0);
        return;
    }
    for (size_t done = 0; done < bytes; done += BOUNCE_BYTES) {
        const size_t part = bytes - done < BOUNCE_BYTES ? bytes - done : BOUNCE_BYTES;
        const size_t words = (part + 3) & ~(size_t)3;
        if (in_l3(src))
            hyper_move(bounce, l3_offset((const char *)src + done), words, 1);
        else
            mchan_wait(copy_row(bounce, (const char *)src + done, part));
        if (in_l3(dst))
            hyper_move(bounce, l3_offset((char *)dst + done), part, 0);
        else
            mchan_wait(copy_row((char *)dst + done, bounce, part));
    }
}

void edgeft_rt_copy(void *dst, const void *src, size_t bytes)
{
    const uint32_t start = now();
    copy_any(dst, src, bytes);
    PROFILE_ADD(copies, start);
}

static void fill_any(void *dst, const void *value, size_t element_bytes, size_t count)
{
    if (!in_l3(dst)) {
        for (size_t i = 0; i < count; ++i)
            memcpy((char *)dst + i * element_bytes, value, element_bytes);
        return;
    }
    if (element_bytes == 0 || BOUNCE_BYTES % element_bytes != 0)
        edgeft_rt_fail("fill: an element size that does not divide the bounce buffer");
    const size_t per_chunk = BOUNCE_BYTES / element_bytes;
    for (size_t i = 0; i < per_chunk && i < count; ++i)
        memcpy((char *)bounce + i * element_bytes, value, element_bytes);
    const size_t bytes = count * element_bytes;
    for (size_t done = 0; done < bytes; done += BOUNCE_BYTES) {
        const size_t part = bytes - done < BOUNCE_BYTES ? bytes - done : BOUNCE_BYTES;
        hyper_move(bounce, l3_offset((char *)dst + done), part, 0);
    }
}

void edgeft_rt_fill(void *dst, const void *value, size_t element_bytes, size_t count)
{
    const uint32_t start = now();
    fill_any(dst, value, element_bytes, count);
    PROFILE_ADD(copies, start);
}

static void staged(void *dst, const void *src, size_t row_bytes, size_t rows,
                   size_t dst_stride, size_t src_stride, void *staging)
{
#ifdef EDGEFT_RT_TRACE
    edgeft_pulp_put("trace: staged ");
    edgeft_pulp_put_unsigned((uint32_t)row_bytes);
    edgeft_pulp_put(" x ");
    edgeft_pulp_put_unsigned((uint32_t)rows);
    edgeft_pulp_put("\n");
#endif
    /* L3 -> L1: every row from the HyperRAM into the staging rows, then the
       cluster DMA to L1; L1 -> L3 the other way round. Complete on return. */
    if (in_l3(src)) {
        for (size_t r = 0; r < rows; ++r)
            copy_any((char *)staging + r * row_bytes, (const char *)src + r * src_stride,
                     row_bytes);
        mchan_wait(copy_rows(dst, staging, row_bytes, rows, dst_stride, row_bytes));
        return;
    }
    mchan_wait(copy_rows(staging, src, row_bytes, rows, row_bytes, src_stride));
    for (size_t r = 0; r < rows; ++r)
        copy_any((char *)dst + r * dst_stride, (const char *)staging + r * row_bytes,
                 row_bytes);
}

edgeft_dma_token_t edgeft_rt_dma_start_staged(void *dst, const void *src, size_t row_bytes,
                                              size_t rows, size_t dst_stride,
                                              size_t src_stride, void *staging)
{
    const uint32_t start = now();
    staged(dst, src, row_bytes, rows, dst_stride, src_stride, staging);
    PROFILE_ADD(staged, start);
    return 0;
}

/* ---- RedMulE jobs on the cores ---------------------------------------- */

static void redmule_rows(int core, void *arg)
{
    const edgeft_redmule_job_t *job = arg;
    const uint32_t m = job->mcfg0 & 0xffffu, k = job->mcfg0 >> 16, n = job->mcfg1;
    const uint32_t gemm = ((job->arith >> 10) & 0x7u) == EDGEFT_REDMULE_GEMM;
    const float *x = job->x, *w = job->w, *y = job->y;
    float *z = job->z;
    const uint32_t per = (m + PULP_CORES - 1) / PULP_CORES;
    const uint32_t first = (uint32_t)core * per, last = first + per < m ? first + per : m;
    for (uint32_t i = first; i < last; ++i)
        for (uint32_t j = 0; j < k; ++j) {
            float acc = gemm ? y[i * k + j] : 0.0f;
            for (uint32_t l = 0; l < n; ++l)
                acc += x[i * n + l] * w[l * k + j];
            z[i * k + j] = acc;
        }
}

void edgeft_rt_redmule_submit(const edgeft_redmule_job_t *job)
{
    const uint32_t m = job->mcfg0 & 0xffffu, k = job->mcfg0 >> 16, n = job->mcfg1;
    const uint32_t op = (job->arith >> 10) & 0x7u, format = (job->arith >> 7) & 0x7u;
    if (format != EDGEFT_REDMULE_FP32)
        edgeft_rt_fail("RedMulE on the cores: only the fp32 format");
    if (op > EDGEFT_REDMULE_GEMM)
        edgeft_rt_fail("RedMulE on the cores: unknown operation in ARITH");
    if (m == 0 || n == 0 || k == 0)
        edgeft_rt_fail("RedMulE on the cores: empty job (M, N or K is 0)");
    const uint32_t start = now();
    fork_run((int)PULP_CORES, redmule_rows, (void *)job);
    PROFILE_ADD(redmule, start);
}

void edgeft_rt_redmule_wait(void)
{
}
