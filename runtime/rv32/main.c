/* The RV32 fine-tuning program: steps read from a semihosted file.
 *
 * edgeft_in.bin:  int32 steps, then per step EDGEFT_BATCH*EDGEFT_SAMPLE_ELEMENTS
 *                 floats (x) and EDGEFT_LABEL_ELEMENTS int32 (y)
 * edgeft_out.bin: per step float loss and uint32 retired instructions, then
 *                 every parameter of edgeft_params[] in table order
 * The exit status is 0 on success, 2 on a file error. */
#include <stdint.h>
#include <stdio.h>

#include "edgeft_rt.h"
#include "network.h"

static float x[EDGEFT_BATCH * EDGEFT_SAMPLE_ELEMENTS];
static int32_t y[EDGEFT_LABEL_ELEMENTS];

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
        if (fread(x, sizeof x, 1, in) != 1 || fread(y, sizeof y, 1, in) != 1)
            return 2;
        float loss = 0.0f;
        const uint32_t before = (uint32_t)edgeft_rt_instructions();
        edgeft_train_step(x, y, &loss);
        const uint32_t retired = (uint32_t)edgeft_rt_instructions() - before;
        fwrite(&loss, sizeof loss, 1, out);
        fwrite(&retired, sizeof retired, 1, out);
    }
    for (int p = 0; p < edgeft_param_count; ++p)
        fwrite(edgeft_params[p].data, sizeof(float), (size_t)edgeft_params[p].count, out);
    fclose(in);
    fclose(out);
    return 0;
}
