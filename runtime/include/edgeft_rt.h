/* edgeft runtime: what emitted training steps call.
 *
 * One interface, several implementations: host/ (gcc, functional models of
 * the DMA and RedMulE), rv32/ (bare metal on QEMU virt, one core) and pulp/
 * (bare metal on GVSoC's Siracusa: 8 cluster cores, mchan DMA, HyperRAM).
 * Emitted code includes only this header.
 */
#ifndef EDGEFT_RT_H
#define EDGEFT_RT_H

#include <stddef.h>
#include <stdint.h>

#include "edgeft_minmax.h"
#include "edgeft_vector.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
#define EDGEFT_NORETURN [[noreturn]]
#else
#define EDGEFT_NORETURN _Noreturn
#endif

/* A violated runtime check (an assertion of the model, e.g. a label or a
 * cache row out of range): reports the message and stops the program. It
 * never returns, which also tells the compiler that indices checked before
 * an access are in range. */
EDGEFT_NORETURN void edgeft_rt_fail(const char *message);

/* Counters for measurements around a region: cycles (or a wall-clock
 * stand-in on the host) and retired instructions (0 where unknown). */
uint64_t edgeft_rt_cycles(void);
uint64_t edgeft_rt_instructions(void);

/* Asynchronous copy between memory levels; the returned token is waited on. */
typedef uint32_t edgeft_dma_token_t;
edgeft_dma_token_t edgeft_rt_dma_start_1d(void *dst, const void *src, size_t bytes);
edgeft_dma_token_t edgeft_rt_dma_start_2d(void *dst, const void *src, size_t row_bytes,
                                          size_t rows, size_t dst_stride, size_t src_stride);
void edgeft_rt_dma_wait(edgeft_dma_token_t token);
/* A copy between L1 and L3, which the cluster DMA cannot reach directly:
 * src -> `staging` (an L2 buffer of at least row_bytes * rows bytes, rows
 * packed) -> dst, both hops complete when it returns, so the staging buffer
 * is free again. Strides as for the 2-D copy (rows = 1 for a 1-D copy). */
edgeft_dma_token_t edgeft_rt_dma_start_staged(void *dst, const void *src, size_t row_bytes,
                                              size_t rows, size_t dst_stride,
                                              size_t src_stride, void *staging);

/* Synchronous copies and fills that may touch L3, which the cores cannot
 * address on the chip (the HyperRAM sits behind the uDMA): any levels on
 * either side; complete when they return. Emitted code uses them wherever a
 * copy or an initial value involves an L3 buffer. */
void edgeft_rt_copy(void *dst, const void *src, size_t bytes);
void edgeft_rt_fill(void *dst, const void *value, size_t element_bytes, size_t count);

/* Where an arena lives: a runtime for a chip places each level's arena in its
 * memory (a linker section); elsewhere the arenas are ordinary arrays. */
#ifndef EDGEFT_PLACE
#define EDGEFT_PLACE(level)
#endif

/* One RedMulE job: the register values of METHODS.md (Z = X(MxN) W(NxK) [+ Y]). */
typedef struct {
    const void *x;
    const void *w;
    const void *y;     /* NULL for op = matmul */
    void *z;
    uint32_t mcfg0;    /* K << 16 | M */
    uint32_t mcfg1;    /* N */
    uint32_t arith;    /* op in bits 12:10 (0 matmul, 1 gemm), format in bits 9:7 */
} edgeft_redmule_job_t;

/* ARITH register fields: the operation in bits 12:10, the operand format in
 * bits 9:7 (edgeft's encoding: 0 fp32, 1 fp16). */
#define EDGEFT_REDMULE_MATMUL 0u
#define EDGEFT_REDMULE_GEMM 1u
#define EDGEFT_REDMULE_FP32 0u
#define EDGEFT_REDMULE_FP16 1u
#define EDGEFT_REDMULE_ARITH(op, format) ((op) << 10 | (format) << 7)
void edgeft_rt_redmule_submit(const edgeft_redmule_job_t *job);
void edgeft_rt_redmule_wait(void);

/* The cluster: run fn(core, arg) on `cores` cores and wait; a barrier inside.
 * Emitted regions use the barrier only as their last statement: the host runs
 * the slices on fewer threads than slices (slice k on thread k mod N), where a
 * barrier between slices could never be reached by all of them at once, and
 * its join at the end of the fork is that barrier. */
void edgeft_rt_fork(int cores, void (*fn)(int core, void *arg), void *arg);
void edgeft_rt_barrier(void);

/* Host only: the threads that run a fork's slices, the calling one included
 * (1 .. EDGEFT_RT_MAX_THREADS; default $EDGEFT_THREADS, else the cores this
 * process may run on). Call it between forks, never from inside one. */
#define EDGEFT_RT_MAX_THREADS 64
void edgeft_rt_set_threads(int threads);

#ifdef __cplusplus
}
#endif

#endif
