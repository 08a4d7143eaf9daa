/* The run's input (steps, batches, parameters: runtime/pulp/main.c says the
 * format), linked into L2 from the edgeft_in.bin that the backend writes
 * next to the program; found through the assembler's include path. */
    .section .rodata.edgeft_input, "a"
    .balign 8
    .globl edgeft_input
edgeft_input:
    .incbin "edgeft_in.bin"
    .globl edgeft_input_end
edgeft_input_end:
