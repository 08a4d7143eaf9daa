/* Prints the bits of edgeft_{maximum,minimum,maxnum,minnum}f(a, b) for every
   pair of a table of special and ordinary floats; tests/test_minmax.py checks
   them against the semantics of the MLIR ops, on the host and under QEMU. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "edgeft_minmax.h"

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

/* quiet NaN, negative quiet NaN, signalling NaN, -inf, -1, -min subnormal,
   -0, +0, +min subnormal, 1, 1.5, +inf */
static const uint32_t VALUES[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff800000u,
                                  0xbf800000u, 0x80000001u, 0x80000000u, 0x00000000u,
                                  0x00000001u, 0x3f800000u, 0x3fc00000u, 0x7f800000u};

int main(void) {
  const unsigned n = sizeof VALUES / sizeof VALUES[0];
  for (unsigned i = 0; i < n; i++) {
    for (unsigned j = 0; j < n; j++) {
      /* volatile: the results come from the helpers at run time, not folding */
      volatile float a = from_bits(VALUES[i]), b = from_bits(VALUES[j]);
      printf("pair %08lx %08lx %08lx %08lx %08lx %08lx\n", (unsigned long)VALUES[i],
             (unsigned long)VALUES[j], (unsigned long)bits(edgeft_maximumf(a, b)),
             (unsigned long)bits(edgeft_minimumf(a, b)),
             (unsigned long)bits(edgeft_maxnumf(a, b)),
             (unsigned long)bits(edgeft_minnumf(a, b)));
    }
  }
  return 0;
}
