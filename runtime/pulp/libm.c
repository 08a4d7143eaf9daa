/* edgeft's libm for the PULP Siracusa cluster (RV32IMC + Zfinx, no libc).

   Written for edgeft from the math (no code from other libms): range
   reduction, then Taylor series with exact coefficients or near-minimax
   polynomials fitted with mpmath.chebyfit (docs/pulp-libm.md has the script).
   Float functions compute in float only (double is soft-float on the core);
   where a result needs more than 24 bits on the way (y log2 x in powf, the
   sin/cos reduction) they carry float-float pairs with exact fmaf products.
   Polynomials use fmaf (fmadd.s).

   Measured maximum error against the exact value, in ulp (tests/test_pulp_libm.py,
   100k+ points each): see docs/pulp-libm.md; the test asserts those bounds. */
#include <math.h>
#include <stdint.h>

/* The error-free sums and products below need every a * b + c rounded as
   written; build with -ffp-contract=off, and clang also gets it here (gcc
   ignores the standard pragma, with a warning). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

typedef union { float f; uint32_t u; } f32_bits;
typedef union { double d; uint64_t u; } f64_bits;

static inline uint32_t bits_f(float x) { f32_bits b; b.f = x; return b.u; }
static inline float from_f(uint32_t u) { f32_bits b; b.u = u; return b.f; }
static inline uint64_t bits_d(double x) { f64_bits b; b.d = x; return b.u; }
static inline double from_d(uint64_t u) { f64_bits b; b.u = u; return b.d; }
/* |a| with the sign of b (fsgnj.s) */
static inline float copysign_f(float a, float b) { return __builtin_copysignf(a, b); }

/* a * b + c with one rounding. clang lowers __builtin_fmaf to a call to fmaf
   on Zfinx (the backend does not select fmadd.s for it), so use the
   instruction directly there. */
#if defined(__riscv) && defined(__riscv_zfinx)
static inline float fma_f(float a, float b, float c) {
  float r;
  __asm__("fmadd.s %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c));
  return r;
}
#else
static inline float fma_f(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
#endif
#define FMA(a, b, c) fma_f((a), (b), (c))

/* 2^k as a float, k in [-126, 127]; as a double, k in [-1022, 1023]. */
static inline float pow2_f(int k) { return from_f((uint32_t)(k + 127) << 23); }
static inline double pow2_d(int k) { return from_d((uint64_t)(k + 1023) << 52); }

/* y * 2^k with one rounding, k in [-151, 128] (float), [-1076, 1024] (double). */
static inline float scale_f(float y, int k) {
  if (k > 127) return y * 2.0f * pow2_f(k - 1);
  if (k < -125) return y * pow2_f(k + 100) * 0x1p-100f;
  return y * pow2_f(k);
}
static inline double scale_d(double y, int k) {
  if (k > 1023) return y * 2.0 * pow2_d(k - 1);
  if (k < -1021) return y * pow2_d(k + 1000) * 0x1p-1000;
  return y * pow2_d(k);
}

/* ln 2, 1/ln 2, pi/2, pi/4 split in a short high part (exact products with
   small integers) and the rest. */
#define LN2F_HI 0x1.62e4p-1f
#define LN2F_LO 0x1.7f7d1cp-20f
#define LN2F 0x1.62e430p-1f
#define INVLN2F 0x1.715476p+0f
#define INVLN2F_LO 0x1.4ae0c0p-26f
#define PIO2F_HI 0x1.921fb6p+0f
#define PIO2F_LO (-0x1.777a5cp-25f)
#define LN2_HI 0x1.62e42fee00000p-1
#define LN2_LO 0x1.a39ef35793c76p-33
#define LN2 0x1.62e42fefa39efp-1
#define INVLN2 0x1.71547652b82fep+0
#define INVLN2_HI 0x1.7154765200000p+0
#define INVLN2_LO 0x1.705fc2eefa200p-33
#define PIO2_HI 0x1.921fb54442d18p+0
#define PIO2_LO 0x1.1a62633145c07p-54
#define PIO4_HI 0x1.921fb54442d18p-1
#define PIO4_LO 0x1.1a62633145c07p-55

/* ---------------------------------------------------------------- exp */

/* (exp(r) - 1 - r) / r^2 for |r| <= ln2/2: Taylor to r^8 (float), r^14
   (double); truncation below 2^-26 (2^-55) relative. */
static inline float expq_f(float r) {
  float q = 1.0f / 40320;
  q = FMA(q, r, 1.0f / 5040);
  q = FMA(q, r, 1.0f / 720);
  q = FMA(q, r, 1.0f / 120);
  q = FMA(q, r, 1.0f / 24);
  q = FMA(q, r, 1.0f / 6);
  return FMA(q, r, 0.5f);
}
static inline double expq_d(double r) {
  static const double c[] = {
      1.0 / 87178291200.0, 1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0,
      1.0 / 3628800.0,     1.0 / 362880.0,     1.0 / 40320.0,      1.0 / 5040.0,
      1.0 / 720.0,         1.0 / 120.0,        1.0 / 24.0,         1.0 / 6.0,
      0.5};
  double q = c[0];
  for (unsigned i = 1; i < sizeof c / sizeof c[0]; i++) q = q * r + c[i];
  return q;
}

/* round-to-nearest integer of |v| < 2^22 (2^51) by the 1.5 * 2^23 shift */
static inline float rint_f(float v) { return (v + 0x1.8p23f) - 0x1.8p23f; }
static inline double rint_d(double v) { return (v + 0x1.8p52) - 0x1.8p52; }

/* (exp(r) - 1 - r) / r^2 for |r| <= ln2/2 in 6 terms, near-minimax
   (mpmath.chebyfit): error 2^-32 of exp relative, where Taylor needs 7 for
   2^-26 (5 terms would give 2^-26.9 and 1.06 ulp at worst). */
static inline float expq6_f(float r) {
  float q = FMA(0.00019890980869750327f, r, 0.0013933641031986701f);
  q = FMA(q, r, 0.008333310934448869f);
  q = FMA(q, r, 0.04166646500604005f);
  q = FMA(q, r, 0.16666666681614256f);
  return FMA(q, r, 0.5000000013457727f);
}

/* everything but |x| <= 87: NaN, overflow, underflow, results below 2^-126 */
static float expf_edges(float x) {
  if (x != x) return x + x;
  if (x > 89.0f) return INFINITY;
  if (x < -104.0f) return 0.0f;
  float kf = rint_f(x * INVLN2F);
  float r = (x - kf * LN2F_HI) - kf * LN2F_LO;
  float s = FMA(r * r, expq_f(r), r);
  return scale_f(1.0f + s, (int)kf);
}

/* One compare on the way for |x| <= 87 (softmax's x - max, GELU's tanh):
   then k = round(x / ln2) is in [-126, 126] and 2^k a normal float. */
float expf(float x) {
  if (!(fabsf(x) <= 87.0f)) return expf_edges(x);
  float kf = rint_f(x * INVLN2F);
  float r = (x - kf * LN2F_HI) - kf * LN2F_LO;
  float s = FMA(r * r, expq6_f(r), r);
  return (1.0f + s) * pow2_f((int)kf);
}

float exp2f(float x) {
  if (x != x) return x + x;
  if (x > 129.0f) return INFINITY;
  if (x < -151.0f) return 0.0f;
  float kf = rint_f(x);
  float r = (x - kf) * LN2F;
  float s = FMA(r * r, expq_f(r), r);
  return scale_f(1.0f + s, (int)kf);
}

double exp(double x) {
  if (x != x) return x + x;
  if (x > 710.0) return HUGE_VAL;
  if (x < -746.0) return 0.0;
  double kf = rint_d(x * INVLN2);
  double r = (x - kf * LN2_HI) - kf * LN2_LO;
  double s = r * r * expq_d(r) + r;
  return scale_d(1.0 + s, (int)kf);
}

double exp2(double x) {
  if (x != x) return x + x;
  if (x > 1025.0) return HUGE_VAL;
  if (x < -1076.0) return 0.0;
  double kf = rint_d(x);
  double f = x - kf;
  double r = f * LN2 + f * 0x1.abc9e3b39803fp-56;
  double s = r * r * expq_d(r) + r;
  return scale_d(1.0 + s, (int)kf);
}

/* expm1 = 2^k (1 + q) - 1 with q = expm1(r), r = x - k ln2 carried as r + c. */
float expm1f(float x) {
  if (x != x) return x + x;
  if (x > 89.0f) return INFINITY;
  if (x < -17.5f) return -1.0f;
  float ax = fabsf(x);
  if (ax < 0x1p-25f) return x;
  if (ax <= 0.34657359f) return FMA(x * x, expq_f(x), x);
  float kf = rint_f(x * INVLN2F);
  float hi = x - kf * LN2F_HI, lo = kf * LN2F_LO;
  float r = hi - lo;
  float c = (hi - r) - lo;
  /* expm1(r + c) = r + w, w = r^2 Q(r) + c (1 + r + ...); then
     2^k - 1 + 2^k r summed exactly, so the rounding of r + w does not count */
  float w = r * r * expq_f(r);
  w = w + (c + c * (r + w));
  int k = (int)kf;
  if (k > 24) return scale_f(1.0f + (r + w), k) - 1.0f;
  float two = pow2_f(k);
  float a = two - 1.0f, b = two * r;
  float sum = a + b, bb = sum - a;
  float err = (a - (sum - bb)) + (b - bb);
  return sum + (err + two * w);
}

double expm1(double x) {
  if (x != x) return x + x;
  if (x > 710.0) return HUGE_VAL;
  if (x < -38.0) return -1.0;
  double ax = fabs(x);
  if (ax < 0x1p-54) return x;
  if (ax <= 0.34657359027997264) return x * x * expq_d(x) + x;
  double kf = rint_d(x * INVLN2);
  double hi = x - kf * LN2_HI, lo = kf * LN2_LO;
  double r = hi - lo;
  double c = (hi - r) - lo;
  double w = r * r * expq_d(r);
  w = w + (c + c * (r + w));
  int k = (int)kf;
  if (k > 53) return scale_d(1.0 + (r + w), k) - 1.0;
  double two = pow2_d(k);
  double a = two - 1.0, b = two * r;
  double sum = a + b, bb = sum - a;
  double err = (a - (sum - bb)) + (b - bb);
  return sum + (err + two * w);
}

/* ---------------------------------------------------------------- log */

/* log(1+f) = f - t for f in [sqrt(1/2)-1, sqrt(2)-1], returns t:
   s = f/(2+f), log(1+f) = 2 atanh(s) = f - s (f - R), R = sum 2 s^2k/(2k+1). */
static inline float log1p_tail_f(float f) {
  float s = f / (2.0f + f);
  float z = s * s;
  float R = FMA(z, 2.0f / 9, 2.0f / 7);
  R = FMA(R, z, 2.0f / 5);
  R = FMA(R, z, 2.0f / 3);
  return s * (f - R * z);
}
static inline double log1p_tail_d(double f) {
  double s = f / (2.0 + f);
  double z = s * s;
  double R = 2.0 / 21;
  for (int k = 9; k >= 1; k--) R = R * z + 2.0 / (2 * k + 1);
  return s * (f - R * z);
}

/* x > 0 finite -> x = 2^e (1 + f), f in [sqrt(1/2)-1, sqrt(2)-1] */
static inline float split_log_f(float x, int *e) {
  uint32_t ix = bits_f(x);
  int k = 0;
  if (ix < 0x00800000u) { ix = bits_f(x * 0x1p25f); k = -25; }
  k += (int)(ix >> 23) - 127;
  uint32_t m = ix & 0x007fffffu;
  if (m >= 0x3504f3u) { k += 1; m |= 0x3f000000u; } else { m |= 0x3f800000u; }
  *e = k;
  return from_f(m) - 1.0f;
}
static inline double split_log_d(double x, int *e) {
  uint64_t ix = bits_d(x);
  int k = 0;
  if (ix < 0x0010000000000000ull) { ix = bits_d(x * 0x1p54); k = -54; }
  k += (int)(ix >> 52) - 1023;
  uint64_t m = ix & 0x000fffffffffffffull;
  if (m >= 0x6a09e667f3bcdull) { k += 1; m |= 0x3fe0000000000000ull; } else { m |= 0x3ff0000000000000ull; }
  *e = k;
  return from_d(m) - 1.0;
}

/* special cases shared by the logs: returns 1 and sets *out when x is not a
   positive finite number */
static inline int log_special_f(float x, float *out) {
  if (x != x) { *out = x + x; return 1; }
  if (x == 0.0f) { *out = -INFINITY; return 1; }
  if (x < 0.0f) { *out = NAN; return 1; }
  if (x == INFINITY) { *out = x; return 1; }
  return 0;
}
static inline int log_special_d(double x, double *out) {
  if (x != x) { *out = x + x; return 1; }
  if (x == 0.0) { *out = -HUGE_VAL; return 1; }
  if (x < 0.0) { *out = (double)NAN; return 1; }
  if (x == HUGE_VAL) { *out = x; return 1; }
  return 0;
}

float logf(float x) {
  float out;
  if (log_special_f(x, &out)) return out;
  int e;
  float f = split_log_f(x, &e);
  float t = log1p_tail_f(f);
  float ef = (float)e;
  return ef * LN2F_HI + (f - (t - ef * LN2F_LO));
}

double log(double x) {
  double out;
  if (log_special_d(x, &out)) return out;
  int e;
  double f = split_log_d(x, &e);
  double t = log1p_tail_d(f);
  double ef = (double)e;
  return ef * LN2_HI + (f - (t - ef * LN2_LO));
}

float log2f(float x) {
  float out;
  if (log_special_f(x, &out)) return out;
  int e;
  float f = split_log_f(x, &e);
  float t = log1p_tail_f(f);
  float hi = f * INVLN2F;
  float lo = FMA(f, INVLN2F, -hi) + (f * INVLN2F_LO - t * INVLN2F);
  return ((float)e + hi) + lo;
}

/* the high part of a double: 21 significant bits, so products with a 32-bit
   constant are exact */
static inline double hi21_d(double x) { return from_d(bits_d(x) & 0xffffffff00000000ull); }

double log2(double x) {
  double out;
  if (log_special_d(x, &out)) return out;
  int e;
  double f = split_log_d(x, &e);
  double t = log1p_tail_d(f);
  double fh = hi21_d(f);
  double hi = fh * INVLN2_HI;
  double lo = (f - fh) * INVLN2_HI + (f * INVLN2_LO - t * INVLN2);
  return ((double)e + hi) + lo;
}

float log1pf(float x) {
  if (x != x) return x + x;
  if (x == -1.0f) return -INFINITY;
  if (x < -1.0f) return NAN;
  if (x == INFINITY) return x;
  if (fabsf(x) < 0x1p-24f) return x;
  if (x >= -0.29289322f && x < 0.41421354f) return x - log1p_tail_f(x);
  /* u = 1 + x rounds; log(1+x) = log(u) + c/u with c the rounding error */
  float u = 1.0f + x;
  float c = (x - (u - 1.0f)) / u;
  int e;
  float f = split_log_f(u, &e);
  float t = log1p_tail_f(f);
  float ef = (float)e;
  return ef * LN2F_HI + (f - (t - ef * LN2F_LO - c));
}

double log1p(double x) {
  if (x != x) return x + x;
  if (x == -1.0) return -HUGE_VAL;
  if (x < -1.0) return (double)NAN;
  if (x == HUGE_VAL) return x;
  if (fabs(x) < 0x1p-54) return x;
  if (x >= -0.29289321881345248 && x < 0.41421356237309503) return x - log1p_tail_d(x);
  double u = 1.0 + x;
  double c = (x - (u - 1.0)) / u;
  int e;
  double f = split_log_d(u, &e);
  double t = log1p_tail_d(f);
  double ef = (double)e;
  return ef * LN2_HI + (f - (t - ef * LN2_LO - c));
}

/* ---------------------------------------------------------------- pow */

/* y integer? 0 no, 1 even, 2 odd (|y| >= 2^53 counts as even) */
static int int_kind_d(double y) {
  if (trunc(y) != y) return 0;
  if (fabs(y) >= 0x1p53) return 1;
  int64_t n = (int64_t)y;
  return (n & 1) ? 2 : 1;
}

/* C11 Annex F special cases of pow; returns 1 and sets *out when one applies.
   Leaves x < 0 with integer y to the caller (it takes |x| and the sign). */
static int pow_special_d(double x, double y, double *out) {
  if (y == 0.0 || x == 1.0) { *out = 1.0; return 1; }
  if (x != x || y != y) { *out = x + y; return 1; }
  double ax = fabs(x);
  int kind = int_kind_d(y);
  if (y == HUGE_VAL || y == -HUGE_VAL) {
    if (ax == 1.0) *out = 1.0;
    else *out = ((ax > 1.0) == (y > 0.0)) ? HUGE_VAL : 0.0;
    return 1;
  }
  if (x == 0.0 || ax == HUGE_VAL) {
    /* x = +-0 or +-inf: magnitude 0 or inf, sign of x only for odd y */
    int big = (x == 0.0) == (y < 0.0);
    double mag = big ? HUGE_VAL : 0.0;
    *out = (kind == 2 && signbit(x)) ? -mag : mag;
    return 1;
  }
  if (x < 0.0 && kind == 0) { *out = (double)NAN; return 1; }
  return 0;
}

/* exact product a * b = p + err (Dekker: split in 26 + 27 bits) */
static void two_prod_d(double a, double b, double *p, double *err) {
  double ah = from_d(bits_d(a) & 0xfffffffff8000000ull), al = a - ah;
  double bh = from_d(bits_d(b) & 0xfffffffff8000000ull), bl = b - bh;
  *p = a * b;
  *err = (((ah * bh - *p) + ah * bl) + al * bh) + al * bl;
}

/* log2(x) for finite x > 0 as hi + lo, about 2^-64 relative: the log kernel
   of log2() with s = f / (2 + f), R and f - R carried in double-double */
static void log2_dd(double x, double *hi, double *lo) {
  int e;
  double f = split_log_d(x, &e);
  double d = 2.0 + f, dl = f - (d - 2.0);
  double sh = f / d;
  double p, pe;
  two_prod_d(sh, d, &p, &pe);
  double sl = (((f - p) - pe) - sh * dl) / d;
  /* R = 2/3 z + z^2 (2/5 + ... + 2/25 z^10), z = s^2, with z and its leading
     term in double-double: truncation and rounding below 2^-64 of log(1 + f) */
  double zh, zl;
  two_prod_d(sh, sh, &zh, &zl);
  zl += 2.0 * sh * sl;
  double tail = 2.0 / 25;
  for (int k = 11; k >= 2; k--) tail = tail * zh + 2.0 / (2 * k + 1);
  tail *= zh * zh;
  const double c_hi = 0x1.5555555555555p-1, c_lo = 0x1.5555555555555p-55; /* 2/3 */
  double rh, rl;
  two_prod_d(c_hi, zh, &rh, &rl);
  rl += c_hi * zl + c_lo * zh + tail;
  double R = rh + rl;
  rl = rl - (R - rh);
  double g = f - R, gl = ((f - g) - R) - rl;
  double th, tl;
  two_prod_d(sh, g, &th, &tl);
  tl += sh * gl + sl * g;
  double L = f - th, Ll = ((f - L) - th) - tl; /* log(1 + f) = L + Ll */
  double mh, ml;
  two_prod_d(L, INVLN2, &mh, &ml);
  ml += L * 0x1.777d0ffda0d24p-56 + Ll * INVLN2;
  double sum = (double)e + mh;
  double err = (((double)e - sum) + mh) + ml; /* |e| >= |mh| or e == 0 */
  *hi = sum + err;
  *lo = (sum - *hi) + err;
}

/* 2^(h + l), |l| <= ulp(h) */
static double exp2_dd(double h, double l) {
  if (h > 1025.0) return HUGE_VAL;
  if (h < -1076.0) return 0.0;
  double kf = rint_d(h);
  double f = (h - kf) + l;
  double r = f * LN2 + f * 0x1.abc9e3b39803fp-56;
  double s = r * r * expq_d(r) + r;
  return scale_d(1.0 + s, (int)kf);
}

double pow(double x, double y) {
  double out;
  if (pow_special_d(x, y, &out)) return out;
  if (y == 2.0) return x * x;
  if (y == 1.0) return x;
  if (y == -1.0) return 1.0 / x;
  double sign = (x < 0.0 && int_kind_d(y) == 2) ? -1.0 : 1.0;
  double lh, ll, ph, pl;
  log2_dd(fabs(x), &lh, &ll);
  double t = y * lh; /* |t| > 2^11 over- or underflows; keeps two_prod finite */
  if (t > 2048.0) return sign * HUGE_VAL;
  if (t < -2048.0) return sign * 0.0;
  two_prod_d(y, lh, &ph, &pl);
  pl += y * ll;
  double h = ph + pl;
  double l = (ph - h) + pl;
  return sign * exp2_dd(h, l);
}

/* y integer? 0 no, 1 even, 2 odd (|y| >= 2^24 counts as even) */
static int int_kind_f(float y) {
  if (truncf(y) != y) return 0;
  if (fabsf(y) >= 0x1p24f) return 1;
  return ((int32_t)y & 1) ? 2 : 1;
}

/* pow_special_d in float */
static int pow_special_f(float x, float y, float *out) {
  if (y == 0.0f || x == 1.0f) { *out = 1.0f; return 1; }
  if (x != x || y != y) { *out = x + y; return 1; }
  float ax = fabsf(x);
  int kind = int_kind_f(y);
  if (y == INFINITY || y == -INFINITY) {
    if (ax == 1.0f) *out = 1.0f;
    else *out = ((ax > 1.0f) == (y > 0.0f)) ? INFINITY : 0.0f;
    return 1;
  }
  if (x == 0.0f || ax == INFINITY) {
    int big = (x == 0.0f) == (y < 0.0f);
    float mag = big ? INFINITY : 0.0f;
    *out = (kind == 2 && signbit(x)) ? -mag : mag;
    return 1;
  }
  if (x < 0.0f && kind == 0) { *out = NAN; return 1; }
  return 0;
}

/* log2(x) for finite x > 0 as hi + lo in float-float, about 2^-36 relative:
   the log kernel with s, the leading term 2 s^2 / 3 of R, f - R and
   s (f - R) carried in two floats (fmaf gives the exact products) */
static void log2_ff(float x, float *hi, float *lo) {
  int e;
  float f = split_log_f(x, &e);
  float d = 2.0f + f, dl = f - (d - 2.0f);
  float sh = f / d;
  float p = sh * d, pe = FMA(sh, d, -p);
  float sl = (((f - p) - pe) - sh * dl) / d;
  float zh = sh * sh, zl = FMA(sh, sh, -zh) + 2.0f * sh * sl;
  /* R = 2/3 z + z^2 (2/5 + 2/7 z + ... + 2/15 z^5), to 2^-39 of log(1 + f) */
  float tail = FMA(zh, 2.0f / 15, 2.0f / 13);
  tail = FMA(tail, zh, 2.0f / 11);
  tail = FMA(tail, zh, 2.0f / 9);
  tail = FMA(tail, zh, 2.0f / 7);
  tail = FMA(tail, zh, 2.0f / 5) * zh * zh;
  const float c_hi = 0x1.555556p-1f, c_lo = -0x1.555556p-26f; /* 2/3 */
  float rh = c_hi * zh;
  float rl = FMA(c_hi, zh, -rh) + (c_hi * zl + c_lo * zh + tail);
  float r = rh + rl;
  rl = rl - (r - rh);
  float gh = f - r, gl = ((f - gh) - r) - rl;
  float th = sh * gh, tl = FMA(sh, gh, -th) + (sh * gl + sl * gh);
  float lh = f - th, lll = ((f - lh) - th) - tl; /* log(1 + f) */
  float mh = lh * INVLN2F, ml = FMA(lh, INVLN2F, -mh) + (lh * INVLN2F_LO + lll * INVLN2F);
  float ef = (float)e;
  float sum = ef + mh;
  float err = ((ef - sum) + mh) + ml; /* |e| >= |mh| or e == 0 */
  *hi = sum + err;
  *lo = (sum - *hi) + err;
}

float powf(float x, float y) {
  /* |y| <= 16 integral (x^2 in a loss, fpowi): powering in float-float with
     fmaf, one final rounding. Zero, infinite, NaN x and results out of
     [2^-100, 2^100] take the general path. */
  if (y != 0.0f && fabsf(y) <= 16.0f && truncf(y) == y) {
    int n = (int)fabsf(y);
    float ph = x, pl = 0.0f;
    for (int i = 1; i < n; i++) {
      float h = ph * x;
      pl = FMA(ph, x, -h) + pl * x;
      ph = h;
    }
    float m = fabsf(ph);
    if (m >= 0x1p-100f && m <= 0x1p100f) {
      if (y > 0.0f) return ph + pl;
      float q = 1.0f / ph; /* 1 / (ph + pl) = q (1 + e), e = 1 - q ph - q pl */
      float e = FMA(-q, ph, 1.0f) - q * pl;
      return FMA(q, e, q);
    }
  }
  /* x^(+-1/2) for finite x > 0 (normalisations): sqrt, and for -1/2 the
     reciprocal corrected by the residuals of the square root (d = s^2 - x)
     and of the division (e = 1 - q s): 1/sqrt(x) = q (1 + e + d / (2 s^2)) */
  if (y == 0.5f && x > 0.0f && x < INFINITY) return sqrtf(x);
  if (y == -0.5f && x >= 0x1p-100f && x <= 0x1p100f) { /* d stays a normal float */
    float s = sqrtf(x);
    float q = 1.0f / s;
    float d = FMA(s, s, -x), e = FMA(-q, s, 1.0f);
    return FMA(q, e + 0.5f * d * q * q, q);
  }
  float out;
  if (pow_special_f(x, y, &out)) return out;
  float sign = (x < 0.0f && int_kind_f(y) == 2) ? -1.0f : 1.0f;
  float lh, ll;
  log2_ff(fabsf(x), &lh, &ll);
  float uh = y * lh, ul = FMA(y, lh, -uh) + y * ll; /* y log2 |x| = uh + ul */
  if (uh > 129.0f) return sign * INFINITY;
  if (uh < -151.0f) return sign * 0.0f;
  /* 2^(uh + ul): k + fr, fr ln2 = rh + rl */
  float kf = rint_f(uh);
  float fr = (uh - kf) + ul;
  float rh = fr * LN2F, rl = FMA(fr, LN2F, -rh) + fr * -0x1.05c610p-29f;
  float w = FMA(rh * rh, expq_f(rh), rl + rl * rh);
  return sign * scale_f(1.0f + (rh + w), (int)kf);
}

/* ------------------------------------------------------- sin, cos (pi/2) */

/* bits of 2/pi, bit t of the string <-> 2^-(t-63): two zero words, then 2/pi */
static const uint32_t two_over_pi[40] = {
    0x00000000u, 0x00000000u, 0xa2f9836eu, 0x4e441529u, 0xfc2757d1u, 0xf534ddc0u,
    0xdb629599u, 0x3c439041u, 0xfe5163abu, 0xdebbc561u, 0xb7246e3au, 0x424dd2e0u,
    0x06492eeau, 0x09d1921cu, 0xfe1deb1cu, 0xb129a73eu, 0xe88235f5u, 0x2ebb4484u,
    0xe99c7026u, 0xb45f7e41u, 0x3991d639u, 0x835339f4u, 0x9c845f8bu, 0xbdf9283bu,
    0x1ff897ffu, 0xde05980fu, 0xef2f118bu, 0x5a0a6d1fu, 0x6d367ecfu, 0x27cb09b7u,
    0x4f463f66u, 0x9e5fea2du, 0x7527bac7u, 0xebe5f17bu, 0x3d0739f7u, 0x8a5292eau,
    0x6bfb5fb1u, 0x1f8d5d08u, 0x56033046u, 0xfc7b6babu,
};

/* Payne-Hanek: x = M 2^E >= pi/4 (M < 2^53). Returns the quadrant n (x = n pi/2
   + r mod 2 pi) and r / (pi/2) = +-(a + b 2^-64) 2^(*scale) with a normalised. */
static int rem_pio2_int(uint64_t M, int E, uint64_t *a_out, uint64_t *b_out, int *scale, int *neg) {
  int t0 = E + 62; /* bit of 2/pi worth 2^-(E-1): its higher bits give multiples of 4 */
  int q = t0 >> 5, sh = t0 & 31;
  uint32_t w[6]; /* 192 bits of 2/pi, little-endian limbs */
  for (int k = 0; k < 6; k++) {
    uint32_t hiw = two_over_pi[q + k], low = two_over_pi[q + k + 1];
    w[5 - k] = sh ? (hiw << sh) | (low >> (32 - sh)) : hiw;
  }
  uint32_t m[2] = {(uint32_t)M, (uint32_t)(M >> 32)};
  uint32_t p[8] = {0};
  for (int i = 0; i < 2; i++) {
    uint64_t carry = 0;
    for (int j = 0; j < 6; j++) {
      uint64_t v = (uint64_t)m[i] * w[j] + p[i + j] + carry;
      p[i + j] = (uint32_t)v;
      carry = v >> 32;
    }
    p[i + 6] = (uint32_t)carry;
  }
  /* x 2/pi mod 4 = P 2^-190: round to the nearest quadrant */
  p[5] += 1u << 29;
  int n = (int)(p[5] >> 30);
  uint64_t A = ((uint64_t)(p[5] & 0x3fffffffu) << 32) | p[4];
  uint64_t B = ((uint64_t)p[3] << 32) | p[2];
  uint64_t C = ((uint64_t)p[1] << 32) | p[0];
  *neg = 0;
  if (A >= (1ull << 61)) {
    A -= 1ull << 61;
  } else { /* 2^189 - (A, B, C) */
    *neg = 1;
    uint64_t borrow_c = C != 0, borrow_b = (B != 0) || borrow_c;
    C = 0 - C;
    B = 0 - B - borrow_c;
    A = (1ull << 61) - A - borrow_b;
  }
  int s = 0;
  while (A == 0) { A = B; B = C; C = 0; s += 64; }
  int lz = __builtin_clzll(A);
  if (lz) {
    A = (A << lz) | (B >> (64 - lz));
    B = (B << lz) | (C >> (64 - lz));
  }
  *a_out = A;
  *b_out = B;
  *scale = -62 - s - lz; /* value = (A + B 2^-64) 2^scale, A in units of 1 */
  return n;
}

/* pi/2 = PIO2F_1 + PIO2F_2 + PIO2F_3 to about 72 bits */
#define PIO2F_1 0x1.921fb6p+0f
#define PIO2F_2 (-0x1.777a5cp-25f)
#define PIO2F_3 (-0x1.ee59dap-50f)

/* |x| >= pi/4 finite: r = |x| - n pi/2 as y + yl, returns n mod 4.
   |x| < 2^17: Cody-Waite with fmaf (|x| - n PIO2F_1 is exact for n < 2^20,
   the next two parts are carried in float-float); beyond: Payne-Hanek. */
static int rem_pio2_f(float x, float *y, float *yl) {
  uint32_t ix = bits_f(x) & 0x7fffffffu;
  if (ix < 0x48000000u) {
    float a = from_f(ix);
    float k = rint_f(a * 0x1.45f306p-1f);
    float r1 = FMA(-k, PIO2F_1, a);
    float p = k * PIO2F_2, pe = FMA(k, PIO2F_2, -p);
    float s = r1 - p, bb = s - r1;
    float err = (r1 - (s - bb)) + (-p - bb);
    float lo = (err - pe) - k * PIO2F_3;
    float r = s + lo;
    *y = r;
    *yl = lo - (r - s);
    return (int)k & 3;
  }
  uint64_t M = (ix & 0x007fffffu) | 0x00800000u;
  int E = (int)(ix >> 23) - 150;
  uint64_t A, B;
  int sc, neg;
  int n = rem_pio2_int(M, E, &A, &B, &sc, &neg);
  float hi = (float)(uint32_t)(A >> 40) * pow2_f(sc + 40);
  float lo = (float)(uint32_t)(A >> 8) * pow2_f(sc + 8);
  float ph = hi * PIO2F_HI;
  float pl = FMA(hi, PIO2F_HI, -ph) + (hi * PIO2F_LO + lo * PIO2F_HI);
  float r = ph + pl;
  float rl = (ph - r) + pl;
  if (neg) { r = -r; rl = -rl; }
  *y = r;
  *yl = rl;
  return n & 3;
}

static int rem_pio2_d(double x, double *y, double *yl) {
  uint64_t ix = bits_d(x) & 0x7fffffffffffffffull;
  uint64_t M = (ix & 0x000fffffffffffffull) | 0x0010000000000000ull;
  int E = (int)(ix >> 52) - 1075;
  uint64_t A, B;
  int sc, neg;
  int n = rem_pio2_int(M, E, &A, &B, &sc, &neg);
  double hi = (double)(A >> 11) * pow2_d(sc + 11);
  double lo = (double)(((A & 0x7ffu) << 32) | (B >> 32)) * pow2_d(sc - 32);
  double ph, pe;
  two_prod_d(hi, PIO2_HI, &ph, &pe);
  double pl = pe + (hi * PIO2_LO + lo * PIO2_HI);
  double r = ph + pl;
  double rl = (ph - r) + pl;
  if (neg) { r = -r; rl = -rl; }
  *y = r;
  *yl = rl;
  return n & 3;
}

/* sin(y + yl), cos(y + yl) for |y| <= pi/4: Taylor to y^11 / y^12 (float),
   y^17 / y^16 (double) */
static inline float sin_core_f(float y, float yl) {
  float z = y * y;
  float s = FMA(z, 1.0f / 362880, -1.0f / 5040);
  s = FMA(s, z, 1.0f / 120);
  s = FMA(s, z, -1.0f / 6);
  return y + FMA(y * z, s, yl * (1.0f - 0.5f * z));
}
static inline float cos_core_f(float y, float yl) {
  float z = y * y;
  float c = FMA(z, -1.0f / 3628800, 1.0f / 40320);
  c = FMA(c, z, -1.0f / 720);
  c = FMA(c, z, 1.0f / 24);
  float hz = 0.5f * z;
  float w = 1.0f - hz;
  return w + (((1.0f - w) - hz) + FMA(z * z, c, -y * yl));
}
static inline double sin_core_d(double y, double yl) {
  static const double s[] = {1.0 / 355687428096000.0, -1.0 / 1307674368000.0, 1.0 / 6227020800.0,
                             -1.0 / 39916800.0,       1.0 / 362880.0,         -1.0 / 5040.0,
                             1.0 / 120.0,             -1.0 / 6.0};
  double z = y * y;
  double v = s[0];
  for (unsigned i = 1; i < sizeof s / sizeof s[0]; i++) v = v * z + s[i];
  return y + (y * z * v + yl * (1.0 - 0.5 * z));
}
static inline double cos_core_d(double y, double yl) {
  static const double c[] = {1.0 / 20922789888000.0, -1.0 / 87178291200.0, 1.0 / 479001600.0,
                             -1.0 / 3628800.0,       1.0 / 40320.0,        -1.0 / 720.0,
                             1.0 / 24.0};
  double z = y * y;
  double v = c[0];
  for (unsigned i = 1; i < sizeof c / sizeof c[0]; i++) v = v * z + c[i];
  double hz = 0.5 * z;
  double w = 1.0 - hz;
  return w + (((1.0 - w) - hz) + (z * z * v - y * yl));
}

float sinf(float x) {
  uint32_t ix = bits_f(x) & 0x7fffffffu;
  if (ix >= 0x7f800000u) return x - x;
  if (ix < 0x39800000u) return x; /* |x| < 2^-12 */
  if (ix <= 0x3f490fdbu) return sin_core_f(x, 0.0f);
  float y, yl;
  int n = rem_pio2_f(x, &y, &yl);
  float r = (n & 1) ? cos_core_f(y, yl) : sin_core_f(y, yl);
  if (n & 2) r = -r;
  return (x < 0.0f) ? -r : r;
}

float cosf(float x) {
  uint32_t ix = bits_f(x) & 0x7fffffffu;
  if (ix >= 0x7f800000u) return x - x;
  if (ix < 0x39800000u) return 1.0f;
  if (ix <= 0x3f490fdbu) return cos_core_f(x, 0.0f);
  float y, yl;
  int n = rem_pio2_f(x, &y, &yl);
  float r = (n & 1) ? -sin_core_f(y, yl) : cos_core_f(y, yl);
  return (n & 2) ? -r : r;
}

double sin(double x) {
  uint64_t ix = bits_d(x) & 0x7fffffffffffffffull;
  if (ix >= 0x7ff0000000000000ull) return x - x;
  if (ix < 0x3e40000000000000ull) return x; /* |x| < 2^-27 */
  if (ix <= 0x3fe921fb54442d18ull) return sin_core_d(x, 0.0);
  double y, yl;
  int n = rem_pio2_d(x, &y, &yl);
  double r = (n & 1) ? cos_core_d(y, yl) : sin_core_d(y, yl);
  if (n & 2) r = -r;
  return (x < 0.0) ? -r : r;
}

double cos(double x) {
  uint64_t ix = bits_d(x) & 0x7fffffffffffffffull;
  if (ix >= 0x7ff0000000000000ull) return x - x;
  if (ix < 0x3e40000000000000ull) return 1.0;
  if (ix <= 0x3fe921fb54442d18ull) return cos_core_d(x, 0.0);
  double y, yl;
  int n = rem_pio2_d(x, &y, &yl);
  double r = (n & 1) ? -sin_core_d(y, yl) : cos_core_d(y, yl);
  return (n & 2) ? -r : r;
}

/* ---------------------------------------------------------------- atan */

/* (atan(x) - x) / x^3 as a polynomial in z = x^2: chebyfit on z in [0, 1]
   (float, 11 terms, 4e-10) and [0, tan(pi/8)^2] (double, 12 terms, 1.2e-18) */
static const float atan_pf[] = {
    -0.00093629947195f, 0.00620725453378f, -0.0192610813228f, 0.0383274459831f,
    -0.0576071608313f, 0.074174969643f,   -0.0903674234207f, 0.111047067886f,
    -0.142853179639f,  0.199999902759f,   -0.333333332933f};
static const double atan_pd[] = {
    0.01628357235648258873,   -0.034568590668606899546, 0.045515165635903105747,
    -0.052304374642516870611, 0.058789267157567257714,  -0.066664246872464995014,
    0.076922963639799509585,  -0.090909087531185938755, 0.11111111105147763691,
    -0.14285714285659748778,  0.19999999999999804212,   -0.33333333333333333217};

static inline float atan_poly_f(float a) {
  float z = a * a;
  float p = atan_pf[0];
  for (unsigned i = 1; i < sizeof atan_pf / sizeof atan_pf[0]; i++) p = FMA(p, z, atan_pf[i]);
  return FMA(a * z, p, a);
}
static inline double atan_poly_d(double a) {
  double z = a * a;
  double p = atan_pd[0];
  for (unsigned i = 1; i < sizeof atan_pd / sizeof atan_pd[0]; i++) p = p * z + atan_pd[i];
  return a + a * z * p;
}

float atanf(float x) {
  if (x != x) return x + x;
  float a = fabsf(x);
  if (a < 0x1p-12f) return x;
  float r;
  if (a <= 1.0f) r = atan_poly_f(a);
  else r = PIO2F_HI - (atan_poly_f(1.0f / a) - PIO2F_LO);
  return (x < 0.0f) ? -r : r;
}

double atan(double x) {
  if (x != x) return x + x;
  double a = fabs(x);
  if (a < 0x1p-27) return x;
  double r;
  if (a <= 0.41421356237309503) r = atan_poly_d(a);
  else if (a <= 2.4142135623730949) {
    /* atan a = pi/4 + atan v, v = (a - 1) / (a + 1) = vh + vl (the division's
       rounding would cost an ulp near a = tan(pi/8)) */
    double n = a - 1.0, nb = n - a, nl = (a - (n - nb)) + (-1.0 - nb);
    double d = a + 1.0, db = d - a, dl = (a - (d - db)) + (1.0 - db);
    double vh = n / d, p, pe;
    two_prod_d(vh, d, &p, &pe);
    double vl = (((n - p) - pe) + nl - vh * dl) / d;
    r = PIO4_HI + (atan_poly_d(vh) + (vl * (1.0 - vh * vh) + PIO4_LO));
  }
  else r = PIO2_HI - (atan_poly_d(1.0 / a) - PIO2_LO);
  return (x < 0.0) ? -r : r;
}

/* ---------------------------------------------------------------- tanh */

/* (tanh(x) - x) / x^3 in z = x^2, z in [0, 0.55^2]: chebyfit, 6 / 12 terms */
static const float tanh_pf[] = {0.00252639071057f, -0.0085263330578f, 0.0218184491286f,
                                -0.0539647004452f, 0.133333242f,      -0.33333333295f};
static const double tanh_pd[] = {
    7.8742743453444191005e-6,   -0.000033720801120463163751, 0.000094551330529248579605,
    -0.00023847272480152521305, 0.00058990529694927329962,   -0.0014558190971513512102,
    0.0035921267699626347052,   -0.0088632354631468000701,   0.021869488534073907736,
    -0.053968253968220374542,   0.1333333333333331206,       -0.33333333333333333311};

float tanhf(float x) {
  if (x != x) return x + x;
  float a = fabsf(x);
  if (a < 0x1p-12f) return x;
  float r;
  if (a < 0.55f) {
    float z = a * a;
    float p = tanh_pf[0];
    for (unsigned i = 1; i < sizeof tanh_pf / sizeof tanh_pf[0]; i++) p = FMA(p, z, tanh_pf[i]);
    r = FMA(a * z, p, a);
  } else if (a > 9.1f) {
    r = 1.0f;
  } else {
    r = 1.0f - 2.0f / (expf(2.0f * a) + 1.0f);
  }
  return (x < 0.0f) ? -r : r;
}

double tanh(double x) {
  if (x != x) return x + x;
  double a = fabs(x);
  if (a < 0x1p-27) return x;
  double r;
  if (a < 0.55) {
    double z = a * a;
    double p = tanh_pd[0];
    for (unsigned i = 1; i < sizeof tanh_pd / sizeof tanh_pd[0]; i++) p = p * z + tanh_pd[i];
    r = a + a * z * p;
  } else if (a > 22.0) {
    r = 1.0;
  } else {
    r = 1.0 - 2.0 / (exp(2.0 * a) + 1.0);
  }
  return (x < 0.0) ? -r : r;
}

/* ---------------------------------------------------------------- erf */

/* |x| < 1: erf(x) = x (1 + P1(x^2)), P1 = erf(x)/x - 1 fitted on [0, 1].
   1 <= |x| < 3.92: erf(x) - 1 as a polynomial in t = |x| - centre, two
   pieces ([1, 2.25) in 10 terms, [2.25, 3.92) in 9; absolute error below
   2^-26, a quarter of an ulp of the result), so no exp and no division;
   from 3.92 on, erf rounds to +-1. The coefficients are constants in the
   code (no loads from L2). All from mpmath.chebyfit. */
float erff(float x) {
  float a = fabsf(x);
  if (a < 1.0f) {
    float z = x * x;
    float p = FMA(7.87587506269e-5f, z, -0.000801686428717f);
    p = FMA(p, z, 0.00518908742343f);
    p = FMA(p, z, -0.0268542120106f);
    p = FMA(p, z, 0.112835947152f);
    p = FMA(p, z, -0.376126266667f);
    p = FMA(p, z, 0.12837916585f);
    return FMA(x, p, x);
  }
  if (!(a < 3.92f)) return (x != x) ? x + x : copysign_f(1.0f, x);
  float p;
  if (a < 2.25f) {
    float t = a - 1.625f; /* exact: a and the centre are within a factor 2 */
    p = FMA(0.0012861758153181447f, t, -0.000872984838097605f);
    p = FMA(p, t, -0.006141551883373894f);
    p = FMA(p, t, 0.014510705490743386f);
    p = FMA(p, t, -0.002140891409330157f);
    p = FMA(p, t, -0.04973191301588289f);
    p = FMA(p, t, 0.11484091115008226f);
    p = FMA(p, t, -0.13076679099651303f);
    p = FMA(p, t, 0.08047225674489566f);
    p = FMA(p, t, -0.02155627167039992f);
  } else {
    float t = a - 3.0859375f;
    p = FMA(-0.00010475358983640181f, t, 0.0003263480453635422f);
    p = FMA(p, t, -0.0005386086466186023f);
    p = FMA(p, t, 0.0006816357269594223f);
    p = FMA(p, t, -0.0006794947918108694f);
    p = FMA(p, t, 0.000498310353333266f);
    p = FMA(p, t, -0.0002548002588994118f);
    p = FMA(p, t, 8.244923207586518e-05f);
    p = FMA(p, t, -1.2760444492427933e-05f);
  }
  return copysign_f(1.0f + p, x);
}

static const double erf_sd[] = {
    -7.7958988270021422416e-10, 1.3720064546777685604e-8,  -1.6208483801871705902e-7,
    1.644742470331736241e-6,    -0.000014924736907419660338, 0.00012055294904839707917,
    -0.00085483259753896920806, 0.0052239776071164227321,  -0.02686617064323777036,
    0.11283791670945006266,     -0.37612638903183540438,   0.1283791670955125665};
static const double erfc_d1[] = {
    1.3242541506849585378e-8,   -4.9545807838901605941e-8,  1.6714292901928125927e-7,
    -5.9449611199176635632e-7,  2.0670657912156651683e-6,   -6.9753622278584304282e-6,
    0.000022864299608127747069, -0.000072658873015895582399, 0.00022330994530044108968,
    -0.00066193007010843141808, 0.001886134876991997467,    -0.0051459575478377828976,
    0.013377340953067393484,    -0.032930905299565273925,   0.076151039855477398592,
    -0.16362291773256005312,    0.32158541645431750235};
static const double erfc_d2[] = {
    4.0102687939824977208e-9,   -1.7022233265672404133e-8,   6.7066907904953263018e-8,
    -2.7262986241901925372e-7,  1.0852366992052667817e-6,    -4.2143578798415875156e-6,
    0.000015961851696601104243, -0.000058868958345706053754, 0.00021101982436023976425,
    -0.00073359093747296580185, 0.0024670368156996880232,    -0.0080015693820938746088,
    0.024937997086656915752,    -0.074347346789794722458,    0.21080636406114358065};
static const double erfc_d3[] = {
    -7.952076959606246305e-10,  3.90466002794614827e-9,     -1.8167099210289920645e-8,
    8.617207083202205563e-8,    -4.0174140594609159033e-7,  1.8371959965058950764e-6,
    -8.2379864195112166958e-6,  0.000036181703647369661458, -0.00015546891823288989504,
    0.000652686326908678679,    -0.0026730744396435607872,  0.010661133192510109533,
    -0.041323577833252492312,   0.15529365560889429859};
static const double erfc_d4[] = {
    7.9351063730047482254e-14,  -5.0330155402665473322e-13, 2.8223551375217666609e-12,
    -1.7487307640493828824e-11, 1.0775422677534866431e-10,  -6.5304358000134671718e-10,
    3.9112355752299032684e-9,   -2.3147442750962905883e-8,  1.3529365302452252855e-7,
    -7.8063196269877174989e-7,  4.4443343492985710095e-6,   -0.000024953883568128707771,
    0.00013810242090033953589,  -0.00075289681342744293693, 0.0040406889089370749034,
    -0.021332789764826306981,   0.11070463773306862637};

double erf(double x) {
  if (x != x) return x + x;
  double a = fabs(x);
  if (a < 1.0) {
    double z = a * a;
    double p = erf_sd[0];
    for (unsigned i = 1; i < sizeof erf_sd / sizeof erf_sd[0]; i++) p = p * z + erf_sd[i];
    return x + x * p;
  }
  double r;
  if (a >= 6.0) {
    r = 1.0;
  } else {
    const double *c;
    unsigned n;
    double centre;
    if (a < 2.0) { c = erfc_d1; n = sizeof erfc_d1 / sizeof c[0]; centre = 1.5; }
    else if (a < 3.0) { c = erfc_d2; n = sizeof erfc_d2 / sizeof c[0]; centre = 2.5; }
    else if (a < 4.0) { c = erfc_d3; n = sizeof erfc_d3 / sizeof c[0]; centre = 3.5; }
    else { c = erfc_d4; n = sizeof erfc_d4 / sizeof c[0]; centre = 5.0; }
    double t = a - centre;
    double g = c[0];
    for (unsigned i = 1; i < n; i++) g = g * t + c[i];
    r = 1.0 - exp(-a * a) * g;
  }
  return (x < 0.0) ? -r : r;
}

/* ---------------------------------------------------------------- sqrt */

float sqrtf(float x) {
#if defined(__riscv) && defined(__riscv_zfinx)
  float r;
  __asm__("fsqrt.s %0, %1" : "=r"(r) : "r"(x));
  return r;
#else
  return __builtin_sqrtf(x);
#endif
}

/* correctly rounded: integer square root of the 106-bit m 2^52, one bit per step */
double sqrt(double x) {
  uint64_t ix = bits_d(x);
  if (x != x) return x + x;
  if (x == 0.0) return x; /* keeps -0 */
  if (ix >> 63) return (double)NAN;
  if (x == HUGE_VAL) return x;
  int e = (int)(ix >> 52);
  uint64_t m = ix & 0x000fffffffffffffull;
  if (e == 0) { /* subnormal: normalise */
    while (!(m & 0x0010000000000000ull)) { m <<= 1; e--; }
    e++;
  } else {
    m |= 0x0010000000000000ull;
  }
  e -= 1023;
  if (e & 1) { m <<= 1; e--; } /* m in [2^52, 2^54) */
  /* q = floor(sqrt(m 2^52)), 53 bits; pairs of radicand bits from the top */
  uint64_t q = 0, r = 0;
  for (int pair = 52; pair >= 0; pair--) {
    int bit = 2 * pair - 52;
    uint64_t two = bit >= 0 ? (m >> bit) & 3u : 0u;
    r = (r << 2) | two;
    uint64_t t = (q << 2) | 1u;
    q <<= 1;
    if (r >= t) { r -= t; q |= 1u; }
  }
  if (r > q) q++; /* remainder beyond q + 1/4 rounds up (never a tie) */
  return from_d(((uint64_t)(e / 2 + 1022) << 52) + q);
}

/* ------------------------------------------------------------ the rest */

float fabsf(float x) { return from_f(bits_f(x) & 0x7fffffffu); }
double fabs(double x) { return from_d(bits_d(x) & 0x7fffffffffffffffull); }

float truncf(float x) {
  uint32_t u = bits_f(x);
  int e = (int)((u >> 23) & 0xff) - 127;
  if (e >= 23) return x;
  if (e < 0) return from_f(u & 0x80000000u);
  return from_f(u & ~(0x007fffffu >> e));
}

float floorf(float x) {
  uint32_t u = bits_f(x);
  int e = (int)((u >> 23) & 0xff) - 127;
  if (e >= 23) return x;
  if (e < 0) {
    if ((u & 0x7fffffffu) == 0) return x;
    return (u >> 31) ? -1.0f : 0.0f;
  }
  uint32_t frac = 0x007fffffu >> e;
  if ((u & frac) == 0) return x;
  if (u >> 31) u += 0x00800000u >> e;
  return from_f(u & ~frac);
}

float ceilf(float x) {
  uint32_t u = bits_f(x);
  int e = (int)((u >> 23) & 0xff) - 127;
  if (e >= 23) return x;
  if (e < 0) {
    if ((u & 0x7fffffffu) == 0) return x;
    return (u >> 31) ? -0.0f : 1.0f;
  }
  uint32_t frac = 0x007fffffu >> e;
  if ((u & frac) == 0) return x;
  if (!(u >> 31)) u += 0x00800000u >> e;
  return from_f(u & ~frac);
}

double trunc(double x) {
  uint64_t u = bits_d(x);
  int e = (int)((u >> 52) & 0x7ff) - 1023;
  if (e >= 52) return x;
  if (e < 0) return from_d(u & 0x8000000000000000ull);
  return from_d(u & ~(0x000fffffffffffffull >> e));
}

double floor(double x) {
  uint64_t u = bits_d(x);
  int e = (int)((u >> 52) & 0x7ff) - 1023;
  if (e >= 52) return x;
  if (e < 0) {
    if ((u & 0x7fffffffffffffffull) == 0) return x;
    return (u >> 63) ? -1.0 : 0.0;
  }
  uint64_t frac = 0x000fffffffffffffull >> e;
  if ((u & frac) == 0) return x;
  if (u >> 63) u += 0x0010000000000000ull >> e;
  return from_d(u & ~frac);
}

double ceil(double x) {
  uint64_t u = bits_d(x);
  int e = (int)((u >> 52) & 0x7ff) - 1023;
  if (e >= 52) return x;
  if (e < 0) {
    if ((u & 0x7fffffffffffffffull) == 0) return x;
    return (u >> 63) ? -0.0 : 1.0;
  }
  uint64_t frac = 0x000fffffffffffffull >> e;
  if ((u & frac) == 0) return x;
  if (!(u >> 63)) u += 0x0010000000000000ull >> e;
  return from_d(u & ~frac);
}

/* C semantics: a NaN argument gives the other one */
float fmaxf(float x, float y) {
  if (x != x) return y;
  if (y != y) return x;
  return x > y ? x : y;
}
float fminf(float x, float y) {
  if (x != x) return y;
  if (y != y) return x;
  return x < y ? x : y;
}
double fmax(double x, double y) {
  if (x != x) return y;
  if (y != y) return x;
  return x > y ? x : y;
}
double fmin(double x, double y) {
  if (x != x) return y;
  if (y != y) return x;
  return x < y ? x : y;
}

float fmaf(float x, float y, float z) { return fma_f(x, y, z); }

/* not fused (documented in math.h): double fma is rare in the emitted code */
double fma(double x, double y, double z) { return x * y + z; }
