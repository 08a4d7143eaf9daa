/* edgeft runtime for bare-metal RV32 on QEMU virt (picolibc, semihosting).
 * One core, so the fork runs the slices one after the other; the DMA and
 * RedMulE models are in common/; counters are the machine-mode CSRs (exact
 * with QEMU's -icount). */
#include "edgeft_rt.h"

#include <stdio.h>
#include <stdlib.h>

EDGEFT_NORETURN void edgeft_rt_fail(const char *message)
{
    fprintf(stderr, "edgeft runtime: %s\n", message);
    exit(3);
}

uint64_t edgeft_rt_cycles(void)
{
    uint32_t value;
    __asm__ volatile("csrr %0, mcycle" : "=r"(value));
    return value;
}

uint64_t edgeft_rt_instructions(void)
{
    uint32_t value;
    __asm__ volatile("csrr %0, minstret" : "=r"(value));
    return value;
}

void edgeft_rt_fork(int cores, void (*fn)(int core, void *arg), void *arg)
{
    for (int core = 0; core < cores; ++core)
        fn(core, arg); /* sequential: each core's share in turn */
}

void edgeft_rt_barrier(void)
{
    /* one core: every slice before this one has run */
}
