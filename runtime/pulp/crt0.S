/* edgeft runtime for GVSoC's Siracusa: the entry points.
 *
 * _start: the fabric controller (FC) boots here (the ELF entry); it runs
 * edgeft_fc_main (fc.c), which starts the cluster, and sleeps.
 * edgeft_cluster_start: every cluster core boots here; each takes its stack
 * at the top of L1 (core 0, which runs the program, the largest) and calls
 * edgeft_cluster_main(core).
 * edgeft_trap: any exception or interrupt, on either side, ends the run
 * with exit code 99 after printing mcause and mepc (mtvec points here). */
    .section .text.start
    .globl _start
_start:
    la   sp, __fc_stack_top
    la   t0, edgeft_trap
    csrw mtvec, t0
    call edgeft_fc_main
1:  wfi
    j    1b

    .text
    .globl edgeft_cluster_start
edgeft_cluster_start:
    la   t0, edgeft_trap
    csrw mtvec, t0
    csrr a0, mhartid
    andi a0, a0, 0x1f
    la   sp, __cluster_stack_top
    beqz a0, 2f
    la   t0, __core0_stack_bytes
    sub  sp, sp, t0
    addi t1, a0, -1
    la   t0, __worker_stack_bytes
    mul  t1, t1, t0
    sub  sp, sp, t1
2:  call edgeft_cluster_main
3:  wfi
    j    3b

    .balign 256
    .globl edgeft_trap
edgeft_trap:
    csrr a0, mcause
    csrr a1, mepc
    la   sp, __trap_stack_top
    call edgeft_trap_report
4:  j    4b
