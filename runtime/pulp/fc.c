/* edgeft runtime for GVSoC's Siracusa: the fabric controller's part.
 *
 * Compiled as FC code (RV32IMC, no FPU: nothing here may use float). The FC
 * zeroes .bss and the runtime's L1 state, opens the uDMA's hyper channel
 * clock, starts the 8 cluster cores at edgeft_cluster_start with the
 * cluster I-cache on, and sleeps; cluster core 0 runs the program and ends
 * the run. */
#include <stdint.h>

#include "pulp.h"

extern uint32_t __bss_start[], __bss_end[], __l1_start[], __l1_end[];
extern void edgeft_cluster_start(void);

static void zero(uint32_t *from, uint32_t *to)
{
    for (volatile uint32_t *p = from; p < to; ++p)
        *p = 0;
}

void edgeft_fc_main(void)
{
    zero(__bss_start, __bss_end);
    zero(__l1_start, __l1_end);
    PULP_REG(PULP_UDMA_BASE) |= PULP_UDMA_HYPER_CLOCK;
    for (uint32_t core = 0; core < PULP_CORES; ++core)
        PULP_REG(PULP_CLUSTER_BOOT_ADDR(core)) = (uint32_t)(uintptr_t)edgeft_cluster_start;
    PULP_REG(PULP_CLUSTER_ICACHE) = ~0u;
    PULP_REG(PULP_CLUSTER_FETCH_EN) = (1u << PULP_CORES) - 1;
}

static void put(volatile char *out, const char *s)
{
    while (*s)
        *out = *s++;
}

static void put_hex(volatile char *out, uint32_t value)
{
    for (int shift = 28; shift >= 0; shift -= 4)
        *out = "0123456789abcdef"[(value >> shift) & 0xf];
}

/* Any trap, on the FC or a cluster core: say where, end the run. */
void edgeft_trap_report(uint32_t cause, uint32_t pc)
{
    uint32_t hart;
    __asm__ volatile("csrr %0, mhartid" : "=r"(hart));
    volatile char *out = PULP_STDOUT(hart >> 5, hart & 0x1f);
    put(out, "edgeft runtime: trap, mcause 0x");
    put_hex(out, cause);
    put(out, " at pc 0x");
    put_hex(out, pc);
    put(out, "\n");
    pulp_exit(PULP_EXIT_TRAP);
}
