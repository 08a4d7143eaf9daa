/* edgeft runtime for the host: failure and counters (engine models in common/). */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include "edgeft_rt.h"

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
