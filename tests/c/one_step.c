/* One training step and one prediction on deterministic data: the harness
 * the sanitizer test links with a generated network.c. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "network.h"

static float x[EDGEFT_BATCH * EDGEFT_SAMPLE_ELEMENTS];
static float logits[EDGEFT_BATCH * EDGEFT_CLASSES];

int main(void)
{
    for (long i = 0; i < EDGEFT_BATCH * EDGEFT_SAMPLE_ELEMENTS; ++i)
        x[i] = (float)((i * 7919) % 1000) / 500.0f - 1.0f;
#ifdef EDGEFT_FLOAT_LABELS
    static float y[EDGEFT_LABEL_ELEMENTS];
    for (long i = 0; i < EDGEFT_LABEL_ELEMENTS; ++i)
        y[i] = (float)(i % 3);
#else
    static int32_t y[EDGEFT_LABEL_ELEMENTS];
    for (long i = 0; i < EDGEFT_LABEL_ELEMENTS; ++i)
        y[i] = (int32_t)(i % EDGEFT_CLASSES);
#endif
    float loss = 0.0f;
    edgeft_init();
    edgeft_train_step(x, y, &loss);
    edgeft_predict(x, logits);
    printf("loss %.6f logit %.6f\n", loss, logits[0]);
    return isfinite(loss) ? 0 : 1;
}
