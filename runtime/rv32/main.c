/* The RV32 fine-tuning program: steps read from a semihosted file.
 *
 * edgeft_in.bin:  int32 steps, then per step an int32 kind and its data:
 *                 0 (plain):          x, y
 *                 1 (fill + cached):  x, idx, y   (builds with a forward cache)
 *                 2 (cached):         idx, y      (builds with a forward cache)
 *                 x is EDGEFT_BATCH*EDGEFT_SAMPLE_ELEMENTS floats, idx
 *                 EDGEFT_BATCH int32 cache rows, y EDGEFT_LABEL_ELEMENTS int32
 * edgeft_out.bin: per step float loss and uint32 retired instructions (a
 *                 fill included), then every parameter of edgeft_params[] in
 *                 table order
 * The exit status is 0 on success, 2 on a file error, 3 on a step kind the
 * build cannot run. */
#include <stdint.h>
#include <stdio.h>

#include "edgeft_rt.h"
#include "network.h"

static float x[EDGEFT_BATCH * EDGEFT_SAMPLE_ELEMENTS];
static int32_t y[EDGEFT_LABEL_ELEMENTS];
#ifdef EDGEFT_CACHE_SAMPLES
static int32_t idx[EDGEFT_BATCH];
#endif

/* Reads one step's inputs and runs it; returns the exit status. */
static int step(FILE *in, int32_t kind, float *loss)
{
    if (kind != 2 && fread(x, sizeof x, 1, in) != 1)
        return 2;
#ifdef EDGEFT_CACHE_SAMPLES
    if (kind != 0 && fread(idx, sizeof idx, 1, in) != 1)
        return 2;
#else
    if (kind != 0)
        return 3;
#endif
    if (fread(y, sizeof y, 1, in) != 1)
        return 2;
    if (kind == 0) {
        edgeft_train_step(x, y, loss);
        return 0;
    }
#ifdef EDGEFT_CACHE_SAMPLES
    if (kind == 1)
        edgeft_cache_fill(x, idx);
    edgeft_train_step_cached(idx, y, loss);
#endif
    return 0;
}

int main(void)
{
    FILE *in = fopen("edgeft_in.bin", "rb");
    FILE *out = fopen("edgeft_out.bin", "wb");
    if (in == NULL || out == NULL)
        return 2;
    int32_t steps = 0;
    if (fread(&steps, sizeof steps, 1, in) != 1)
        return 2;
    edgeft_init();
    for (int32_t s = 0; s < steps; ++s) {
        int32_t kind = 0;
        if (fread(&kind, sizeof kind, 1, in) != 1 || kind < 0 || kind > 2)
            return 2;
        float loss = 0.0f;
        const uint32_t before = (uint32_t)edgeft_rt_instructions();
        const int status = step(in, kind, &loss);
        const uint32_t retired = (uint32_t)edgeft_rt_instructions() - before;
        if (status != 0)
            return status;
        fwrite(&loss, sizeof loss, 1, out);
        fwrite(&retired, sizeof retired, 1, out);
    }
    for (int p = 0; p < edgeft_param_count; ++p)
        fwrite(edgeft_params[p].data, sizeof(float), (size_t)edgeft_params[p].count, out);
    fclose(in);
    fclose(out);
    return 0;
}
