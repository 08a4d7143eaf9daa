/* Prints, for every pair of a table of special and ordinary floats, the bits
   of edgeft_maximumf / minimumf (edgeft_minmax.h) and of the lane the vector
   forms EDGEFT_VMAXIMUMF / VMINIMUMF (edgeft_vector.h) give for it, each
   vector holding 8 different pairs; tests/test_minmax.py checks they agree. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "edgeft_minmax.h"
#include "edgeft_vector.h"

static float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static uint32_t bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* as minmax_check.c */
static const uint32_t VALUES[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff800000u,
                                  0xbf800000u, 0x80000001u, 0x80000000u, 0x00000000u,
                                  0x00000001u, 0x3f800000u, 0x3fc00000u, 0x7f800000u};
#define N (sizeof VALUES / sizeof VALUES[0])
#define PAIRS (N * N)

int main(void) {
  float as[PAIRS + 8], bs[PAIRS + 8], maxima[PAIRS + 8], minima[PAIRS + 8];
  for (unsigned p = 0; p < PAIRS + 8; p++) {
    as[p] = from_bits(VALUES[(p / N) % N]);
    bs[p] = from_bits(VALUES[p % N]);
  }
  for (unsigned p = 0; p < PAIRS; p += 8) {
    const edgeft_v8f a = EDGEFT_VLOAD(edgeft_v8f, &as[p]), b = EDGEFT_VLOAD(edgeft_v8f, &bs[p]);
    EDGEFT_VSTORE(edgeft_v8f, &maxima[p], EDGEFT_VMAXIMUMF(edgeft_v8f, a, b));
    EDGEFT_VSTORE(edgeft_v8f, &minima[p], EDGEFT_VMINIMUMF(edgeft_v8f, a, b));
  }
  for (unsigned p = 0; p < PAIRS; p++) {
    volatile float a = as[p], b = bs[p];
    printf("pair %08lx %08lx %08lx %08lx %08lx %08lx\n", (unsigned long)bits(a),
           (unsigned long)bits(b), (unsigned long)bits(edgeft_maximumf(a, b)),
           (unsigned long)bits(maxima[p]), (unsigned long)bits(edgeft_minimumf(a, b)),
           (unsigned long)bits(minima[p]));
  }
  return 0;
}
