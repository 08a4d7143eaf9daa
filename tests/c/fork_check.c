/* Forks of 1 to 40 slices (the claim word keeps a bit per slice up to 16, a
   counter above) many times on the threads EDGEFT_THREADS asks for; prints
   "ok" when every slice of every fork ran exactly once, each before its fork
   returned, else the first fork and slice that did not. tests/test_host_threads.py
   runs it with 1, 2, 3 and 8 threads. */
#include <stdatomic.h>
#include <stdio.h>

#include "edgeft_rt.h"

#define MAX_SLICES 40
#define ROUNDS 2000

static atomic_int runs[MAX_SLICES];

static void count(int core, void *arg)
{
    (void)arg;
    atomic_fetch_add(&runs[core], 1);
}

int main(void)
{
    for (int round = 0; round < ROUNDS; ++round) {
        const int slices = 1 + round % MAX_SLICES;
        for (int k = 0; k < MAX_SLICES; ++k)
            atomic_store(&runs[k], 0);
        edgeft_rt_fork(slices, count, NULL);
        for (int k = 0; k < MAX_SLICES; ++k) {
            const int want = k < slices ? 1 : 0;
            if (atomic_load(&runs[k]) != want) {
                printf("fork of %d slices: slice %d ran %d times\n", slices, k,
                       atomic_load(&runs[k]));
                return 1;
            }
        }
    }
    printf("ok\n");
    return 0;
}
