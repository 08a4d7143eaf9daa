/* The Siracusa registers the edgeft runtime uses (GVSoC's model; see
 * ../shared/gvsoc/FACTS.md for how each was observed). */
#ifndef EDGEFT_PULP_H
#define EDGEFT_PULP_H

#include <stdint.h>

#define PULP_REG(address) (*(volatile uint32_t *)(uintptr_t)(address))
#define PULP_CORES 8u

/* Stdout: one byte store per character, a line flushed on '\n'. */
#define PULP_STDOUT(cluster, core) \
    ((volatile char *)(uintptr_t)(0x1A10F000u + ((cluster) << 7) + ((core) << 3)))
/* The run's exit code: 0x80000000 | code. */
#define PULP_EXIT 0x1A1040A0u
#define PULP_EXIT_TRAP 99u

/* Cluster control. */
#define PULP_CLUSTER_FETCH_EN 0x10200008u
#define PULP_CLUSTER_BOOT_ADDR(core) (0x10200040u + 4u * (core))
#define PULP_CLUSTER_ICACHE 0x10201400u

/* Event unit, through each core's own alias. */
#define PULP_EU 0x10204000u
#define PULP_EU_MASK_OR (PULP_EU + 0x08u)
#define PULP_EU_BARRIER(n) (PULP_EU + 0x200u + 0x20u * (n))
#define PULP_EU_BARRIER_CORES(n) (PULP_EU_BARRIER(n) + 0x00u)
#define PULP_EU_BARRIER_TARGETS(n) (PULP_EU_BARRIER(n) + 0x0Cu)
#define PULP_EU_BARRIER_WAIT(n) (PULP_EU_BARRIER(n) + 0x1Cu)  /* a load waits, then clears */
#define PULP_EU_BARRIER_EVENT(n) (1u << (16u + (n)))

/* Cluster DMA (mchan), through each core's own alias. */
#define PULP_MCHAN 0x10204400u
#define PULP_MCHAN_QUEUE (PULP_MCHAN + 0x0u)
#define PULP_MCHAN_STATUS (PULP_MCHAN + 0x4u)
#define PULP_MCHAN_TO_L1 (1u << 17)
#define PULP_MCHAN_INCREMENT (1u << 18)
#define PULP_MCHAN_MAX_BYTES 0x10000u  /* a 17-bit length field: move 64 KiB at a time */
#define PULP_MCHAN_IN_FLIGHT 8u        /* ids in use before the runtime drains them */

/* uDMA: the clock gate, and the hyper channel of transaction id 0. */
#define PULP_UDMA_BASE 0x1A102000u
#define PULP_UDMA_HYPER_CLOCK 0x10u
#define PULP_HYPER 0x1A102280u
#define PULP_HYPER_RX_SADDR (PULP_HYPER + 0x00u)
#define PULP_HYPER_RX_SIZE (PULP_HYPER + 0x04u)
#define PULP_HYPER_RX_CFG (PULP_HYPER + 0x08u)
#define PULP_HYPER_TX_SADDR (PULP_HYPER + 0x0Cu)
#define PULP_HYPER_TX_SIZE (PULP_HYPER + 0x10u)
#define PULP_HYPER_TX_CFG (PULP_HYPER + 0x14u)
#define PULP_HYPER_CA_SETUP (PULP_HYPER + 0x18u)
#define PULP_HYPER_EXT_ADDR (PULP_HYPER + 0x1Cu)
#define PULP_HYPER_STATUS (PULP_HYPER + 0x24u)
#define PULP_HYPER_TWD_ACT (PULP_HYPER + 0x28u)
#define PULP_HYPER_TWD_ACT_L2 (PULP_HYPER + 0x34u)
#define PULP_HYPER_START 0x10u
#define PULP_HYPER_WRITE 0x1u  /* CA_SETUP: linear burst, memory space */
#define PULP_HYPER_READ 0x5u   /* CA_SETUP: read, linear burst */
#define PULP_HYPER_MAX_BYTES 0x10000u
#define PULP_HYPER_QUEUE 7u    /* a 9th queued command aborts the run: keep fewer than 8 */

/* Memory map (the L3 window is the linker script's, not the chip's). */
#define PULP_L1_BASE 0x10000000u
#define PULP_L1_END 0x10040000u
#define PULP_L2_BASE 0x1C000000u
#define PULP_L2_END 0x1C200000u

/* The runtime's output on the calling core's stdout (edgeft_rt_pulp.c). */
void edgeft_pulp_put(const char *s);
void edgeft_pulp_put_unsigned(uint32_t value);

static inline void pulp_exit(uint32_t code)
{
    PULP_REG(PULP_EXIT) = 0x80000000u | code;
    for (;;)
        __asm__ volatile("wfi");
}

/* Where cluster core 0's cycles went (edgeft_rt_pulp.c): per kind of
 * runtime call the program makes, {cycles, calls}. */
typedef struct {
    uint32_t kernels[2];   /* edgeft_rt_fork: parallel kernels, barriers included */
    uint32_t redmule[2];   /* RedMulE jobs, run on the 8 cores */
    uint32_t dma_start[2]; /* programming L1 <-> L2 transfers */
    uint32_t dma_wait[2];  /* waiting for them */
    uint32_t staged[2];    /* L1 <-> L3 transfers through L2, complete on return */
    uint32_t copies[2];    /* synchronous copies and fills (L3 included) */
} edgeft_pulp_profile_t;

edgeft_pulp_profile_t *edgeft_pulp_profile(void);

/* Per forked kernel (by address): cycles and calls while edgeft_pulp_counting
 * is set (main.c sets it around each training step); put_kernels prints
 * them as `EDGEFT kernel ADDRESS CYCLES CALLS` lines. */
extern int edgeft_pulp_counting;
void edgeft_pulp_put_kernels(void);

#endif
