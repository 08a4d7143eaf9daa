/* The RV32 fine-tuning program: steps read from a semihosted file.
 *
 * edgeft_in.bin:  int32 steps, then per step an int32 kind and its data:
 *                 0 (plain):          x, y
 *                 1 (fill + cached):  x, idx, y   (builds with a forward cache)
 *                 2 (cached):         idx, y      (builds with a forward cache)
 *                 3 (predict):        x
 *                 4 (parameters):     every parameter of edgeft_params[] in
 *                                     table order, replacing its value
 *                 x is EDGEFT_BATCH*EDGEFT_SAMPLE_ELEMENTS floats, idx
 *                 EDGEFT_BATCH int32 cache rows, y EDGEFT_LABEL_ELEMENTS int32
 * edgeft_out.bin: per step float loss and uint32 retired instructions (of
 *                 the training step, a fill included; 0 and 0 for kinds 3
 *                 and 4), a predict step then its
 *                 EDGEFT_BATCH*EDGEFT_CLASSES float logits; after the steps
 *                 int32 edgeft_param_count and per parameter of
 *                 edgeft_params[] int32 count, int32 trainable, int32 name
 *                 length, the name's bytes (no NUL) and count floats
 * The program starts from edgeft_init(). The exit status is 0 on success,
 * 2 on a file error, 3 on a step kind the build cannot run, 4 on a label
 * that is not a class (the step does not run; stderr has the line
 * "EDGEFT label RECORD SAMPLE", RECORD counting from 0 over every
 * record of edgeft_in.bin). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "edgeft_rt.h"
#include "network.h"

enum { PLAIN, FILL_AND_STEP, CACHED_STEP, PREDICT, PARAMETERS, KINDS };
enum { BAD_LABEL = 4 };

static float x[EDGEFT_BATCH * EDGEFT_SAMPLE_ELEMENTS];
static int32_t y[EDGEFT_LABEL_ELEMENTS];
static float logits[EDGEFT_BATCH * EDGEFT_CLASSES];
#ifdef EDGEFT_CACHE_SAMPLES
static int32_t idx[EDGEFT_BATCH];
#endif

/* Reads every parameter's new value, in table order. */
static int read_parameters(FILE *in)
{
    for (int p = 0; p < edgeft_param_count; ++p) {
        const size_t count = (size_t)edgeft_params[p].count;
        if (fread(edgeft_params[p].data, sizeof(float), count, in) != count)
            return 2;
    }
    return 0;
}

/* A training step refused label b (the step API returned 1 + b): says which
   and returns the exit status. */
static int bad_label(int32_t record, int refused)
{
    fprintf(stderr, "EDGEFT label %ld %d\n", (long)record, refused - 1);
    return BAD_LABEL;
}

/* Reads training step `record`'s inputs and runs it; returns the exit status. */
static int step(FILE *in, int32_t record, int32_t kind, float *loss)
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
    int refused = 0;
    if (kind == 0)
        refused = edgeft_train_step(x, y, loss);
#ifdef EDGEFT_CACHE_SAMPLES
    if (kind == 1)
        edgeft_cache_fill(x, idx);
    if (kind != 0)
        refused = edgeft_train_step_cached(idx, y, loss);
#endif
    return refused == 0 ? 0 : bad_label(record, refused);
}

/* Reads a batch and writes its logits; returns the exit status. */
static int predict(FILE *in, FILE *out)
{
    if (fread(x, sizeof x, 1, in) != 1)
        return 2;
    edgeft_predict(x, logits);
    fwrite(logits, sizeof logits, 1, out);
    return 0;
}

/* A step that does not train: its record (loss 0, no instructions), then its
   work; returns the exit status. Not inlined, so the loop that counts a
   training step's instructions stays as small as it was without these kinds. */
__attribute__((noinline)) static int other_step(FILE *in, FILE *out, int32_t kind)
{
    const float loss = 0.0f;
    const uint32_t none = 0;
    fwrite(&loss, sizeof loss, 1, out);
    fwrite(&none, sizeof none, 1, out);
    return kind == PREDICT ? predict(in, out) : read_parameters(in);
}

/* The parameter table with every value, so a runner needs no other program. */
static void write_parameters(FILE *out)
{
    const int32_t params = edgeft_param_count;
    fwrite(&params, sizeof params, 1, out);
    for (int p = 0; p < edgeft_param_count; ++p) {
        const int32_t head[3] = {(int32_t)edgeft_params[p].count, edgeft_params[p].trainable,
                                 (int32_t)strlen(edgeft_params[p].name)};
        fwrite(head, sizeof head, 1, out);
        fwrite(edgeft_params[p].name, 1, (size_t)head[2], out);
        fwrite(edgeft_params[p].data, sizeof(float), (size_t)head[0], out);
    }
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
        if (fread(&kind, sizeof kind, 1, in) != 1 || kind < 0 || kind >= KINDS)
            return 2;
        float loss = 0.0f;
        if (kind >= PREDICT) {
            const int status = other_step(in, out, kind);
            if (status != 0)
                return status;
            continue;
        }
        const uint32_t before = (uint32_t)edgeft_rt_instructions();
        const int status = step(in, s, kind, &loss);
        const uint32_t retired = (uint32_t)edgeft_rt_instructions() - before;
        if (status != 0)
            return status;
        fwrite(&loss, sizeof loss, 1, out);
        fwrite(&retired, sizeof retired, 1, out);
    }
    write_parameters(out);
    fclose(in);
    fclose(out);
    return 0;
}
