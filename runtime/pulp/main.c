/* The fine-tuning program on GVSoC's Siracusa, run by cluster core 0.
 *
 * Input: edgeft_in.bin linked into L2 (input.S), the format of
 * runtime/rv32/main.c: int32 steps, then per step an int32 kind and its data
 * (0 plain: x, y; 1 fill + cached: x, idx, y; 2 cached: idx, y; 3 predict:
 * x; 4 parameters: every parameter of edgeft_params[] in table order).
 * Output: lines on cluster core 0's stdout, each starting with "EDGEFT ":
 *   init CYCLES               the cluster cycles of edgeft_init
 *   step KIND LOSS CYCLES     per step; LOSS the float's bits in hex, CYCLES
 *                             the cluster cycles (mcycle) of the step (its
 *                             inputs read before)
 *   profile NAME CYCLES CALLS ...  after each step: where its cycles went
 *                             (kernels redmule dma_start dma_wait staged
 *                             copies; pulp.h), the rest is core 0's code
 *   kernel ADDRESS CYCLES CALLS   per forked kernel, over all training steps
 *   logits COUNT              then COUNT floats as data lines (predict)
 *   param TRAINABLE COUNT NAME  then COUNT floats as data lines
 *   data HEX                  up to 32 bytes, little-endian, as hex
 *   drains N                  how often the runtime had to wait for DMA
 *                             transfers whose tokens were not waited on
 *   label RECORD SAMPLE       a training step refused the label of SAMPLE
 *                             (not a class) and did not run; RECORD counts
 *                             every record of the input from 0
 *   end STATUS                last; STATUS 0 on success, 2 on a malformed
 *                             input, 3 on a step kind the build cannot run,
 *                             4 after a label line
 * The exit code is STATUS. */
#include <stdint.h>
#include <string.h>

#include "edgeft_rt.h"
#include "network.h"
#include "pulp.h"

enum { PLAIN, FILL_AND_STEP, CACHED_STEP, PREDICT, PARAMETERS, KINDS };

uint32_t edgeft_pulp_dma_drains(void); /* edgeft_rt_pulp.c */

extern const uint8_t edgeft_input[], edgeft_input_end[];
static const uint8_t *next_input;

static float x[EDGEFT_BATCH * EDGEFT_SAMPLE_ELEMENTS];
static int32_t y[EDGEFT_LABEL_ELEMENTS];
static float logits[EDGEFT_BATCH * EDGEFT_CLASSES];
#ifdef EDGEFT_CACHE_SAMPLES
static int32_t idx[EDGEFT_BATCH];
#endif

static volatile char *const out = PULP_STDOUT(0, 0);

static void put_hex_byte(uint8_t byte)
{
    *out = "0123456789abcdef"[byte >> 4];
    *out = "0123456789abcdef"[byte & 0xf];
}

/* `bytes` bytes from anywhere (L3 included) as data lines. */
static void put_data(const void *data, size_t bytes)
{
    uint8_t line[32];
    for (size_t done = 0; done < bytes; done += sizeof line) {
        const size_t part = bytes - done < sizeof line ? bytes - done : sizeof line;
        edgeft_rt_copy(line, (const uint8_t *)data + done, part);
        edgeft_pulp_put("EDGEFT data ");
        for (size_t i = 0; i < part; ++i)
            put_hex_byte(line[i]);
        edgeft_pulp_put("\n");
    }
}

static int take(void *dst, size_t bytes)
{
    if ((size_t)(edgeft_input_end - next_input) < bytes)
        return 0;
    edgeft_rt_copy(dst, next_input, bytes);
    next_input += bytes;
    return 1;
}

static int read_parameters(void)
{
    for (int p = 0; p < edgeft_param_count; ++p) {
        const size_t bytes = (size_t)edgeft_params[p].count * sizeof(float);
        if ((size_t)(edgeft_input_end - next_input) < bytes)
            return 2;
        edgeft_rt_copy(edgeft_params[p].data, next_input, bytes);
        next_input += bytes;
    }
    return 0;
}

/* A training step's inputs, from the input into x, idx and y. */
static int read_step(int32_t kind)
{
    if (kind != CACHED_STEP && !take(x, sizeof x))
        return 2;
#ifdef EDGEFT_CACHE_SAMPLES
    if (kind != PLAIN && !take(idx, sizeof idx))
        return 2;
#else
    if (kind != PLAIN)
        return 3;
#endif
    if (!take(y, sizeof y))
        return 2;
    return 0;
}

/* Runs a training step; returns what the step API does (0, or 1 + the
   sample whose label it refused). */
static int step(int32_t kind, float *loss)
{
    if (kind == PLAIN)
        return edgeft_train_step(x, y, loss);
#ifdef EDGEFT_CACHE_SAMPLES
    if (kind == FILL_AND_STEP)
        edgeft_cache_fill(x, idx);
    return edgeft_train_step_cached(idx, y, loss);
#else
    return 0;
#endif
}

static void put_counter(const char *name, const uint32_t counter[2])
{
    edgeft_pulp_put(" ");
    edgeft_pulp_put(name);
    edgeft_pulp_put(" ");
    edgeft_pulp_put_unsigned(counter[0]);
    edgeft_pulp_put(" ");
    edgeft_pulp_put_unsigned(counter[1]);
}

static void put_profile(void)
{
    const edgeft_pulp_profile_t *p = edgeft_pulp_profile();
    edgeft_pulp_put("EDGEFT profile");
    put_counter("kernels", p->kernels);
    put_counter("redmule", p->redmule);
    put_counter("dma_start", p->dma_start);
    put_counter("dma_wait", p->dma_wait);
    put_counter("staged", p->staged);
    put_counter("copies", p->copies);
    edgeft_pulp_put("\n");
}

static int predict(void)
{
    if (!take(x, sizeof x))
        return 2;
    edgeft_predict(x, logits);
    edgeft_pulp_put("EDGEFT logits ");
    edgeft_pulp_put_unsigned(EDGEFT_BATCH * EDGEFT_CLASSES);
    edgeft_pulp_put("\n");
    put_data(logits, sizeof logits);
    return 0;
}

static void put_parameters(void)
{
    for (int p = 0; p < edgeft_param_count; ++p) {
        edgeft_pulp_put("EDGEFT param ");
        edgeft_pulp_put_unsigned((uint32_t)edgeft_params[p].trainable);
        edgeft_pulp_put(" ");
        edgeft_pulp_put_unsigned((uint32_t)edgeft_params[p].count);
        edgeft_pulp_put(" ");
        edgeft_pulp_put(edgeft_params[p].name);
        edgeft_pulp_put("\n");
        put_data(edgeft_params[p].data, (size_t)edgeft_params[p].count * sizeof(float));
    }
}

static int run(void)
{
    next_input = edgeft_input;
    int32_t steps = 0;
    if (!take(&steps, sizeof steps))
        return 2;
    const uint32_t start = (uint32_t)edgeft_rt_cycles();
    edgeft_init();
    edgeft_pulp_put("EDGEFT init ");
    edgeft_pulp_put_unsigned((uint32_t)edgeft_rt_cycles() - start);
    edgeft_pulp_put("\n");
    for (int32_t s = 0; s < steps; ++s) {
        int32_t kind = 0;
        if (!take(&kind, sizeof kind) || kind < 0 || kind >= KINDS)
            return 2;
        if (kind == PARAMETERS) {
            if (read_parameters() != 0)
                return 2;
            continue;
        }
        if (kind == PREDICT) {
            if (predict() != 0)
                return 2;
            continue;
        }
        const int status = read_step(kind);
        if (status != 0)
            return status;
        float loss = 0.0f;
        memset(edgeft_pulp_profile(), 0, sizeof(edgeft_pulp_profile_t));
        edgeft_pulp_counting = 1;
        const uint32_t start = (uint32_t)edgeft_rt_cycles();
        const int refused = step(kind, &loss);
        const uint32_t cycles = (uint32_t)edgeft_rt_cycles() - start;
        edgeft_pulp_counting = 0;
        if (refused != 0) {
            edgeft_pulp_put("EDGEFT label ");
            edgeft_pulp_put_unsigned((uint32_t)s);
            edgeft_pulp_put(" ");
            edgeft_pulp_put_unsigned((uint32_t)(refused - 1));
            edgeft_pulp_put("\n");
            return 4;
        }
        uint32_t bits;
        memcpy(&bits, &loss, sizeof bits);
        edgeft_pulp_put("EDGEFT step ");
        edgeft_pulp_put_unsigned((uint32_t)kind);
        edgeft_pulp_put(" ");
        for (int shift = 24; shift >= 0; shift -= 8)
            put_hex_byte((uint8_t)(bits >> shift));
        edgeft_pulp_put(" ");
        edgeft_pulp_put_unsigned(cycles);
        edgeft_pulp_put("\n");
        put_profile();
    }
    put_parameters();
    edgeft_pulp_put_kernels();
    edgeft_pulp_put("EDGEFT drains ");
    edgeft_pulp_put_unsigned(edgeft_pulp_dma_drains());
    edgeft_pulp_put("\n");
    return 0;
}

int edgeft_pulp_main(void)
{
    const int status = run();
    edgeft_pulp_put("EDGEFT end ");
    edgeft_pulp_put_unsigned((uint32_t)status);
    edgeft_pulp_put("\n");
    return status;
}
