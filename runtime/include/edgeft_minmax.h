/* edgeft runtime: float maximum and minimum as the emitted code needs them.
 *
 * MLIR has two pairs, and C's fmaxf/fminf is neither exactly:
 *   arith.maximumf / minimumf: a NaN operand gives NaN; -0 < +0.
 *   arith.maxnumf / minnumf: a NaN operand gives the other operand (IEEE
 *     754-2019 maximumNumber); -0 < +0 here too.
 * On RV32 with F (gcc) or Zfinx (clang, the cluster cores) `fmax.s` and
 * `fmin.s` are maxnum and minnum exactly (quiet and signalling NaNs alike,
 * -0 < +0), so maxnum is the instruction and maximum the instruction plus a
 * check that both operands are numbers. gcc with picolibc would otherwise
 * call __issignalingf twice around its fmax.s, and clang has no libm on the
 * cluster. Elsewhere (the host) plain C with the same results.
 */
#ifndef EDGEFT_MINMAX_H
#define EDGEFT_MINMAX_H

#if defined(__riscv) && defined(__riscv_zfinx)
#define EDGEFT_FREG "r" /* floats live in the integer registers */
#elif defined(__riscv) && defined(__riscv_flen)
#define EDGEFT_FREG "f"
#endif

static inline float edgeft_maxnumf(float a, float b) {
#ifdef EDGEFT_FREG
  float r;
  __asm__("fmax.s %0, %1, %2" : "=" EDGEFT_FREG(r) : EDGEFT_FREG(a), EDGEFT_FREG(b));
  return r;
#else
  if (a != a) return b;
  if (b != b) return a;
  if (a == b) return __builtin_signbit(a) ? b : a; /* +0 over -0 */
  return a > b ? a : b;
#endif
}

static inline float edgeft_minnumf(float a, float b) {
#ifdef EDGEFT_FREG
  float r;
  __asm__("fmin.s %0, %1, %2" : "=" EDGEFT_FREG(r) : EDGEFT_FREG(a), EDGEFT_FREG(b));
  return r;
#else
  if (a != a) return b;
  if (b != b) return a;
  if (a == b) return __builtin_signbit(a) ? a : b; /* -0 under +0 */
  return a < b ? a : b;
#endif
}

/* a + b is a quiet NaN when either operand is a NaN */
static inline float edgeft_maximumf(float a, float b) {
  float m = edgeft_maxnumf(a, b);
  return ((a == a) & (b == b)) ? m : a + b;
}

static inline float edgeft_minimumf(float a, float b) {
  float m = edgeft_minnumf(a, b);
  return ((a == a) & (b == b)) ? m : a + b;
}

#endif
