/* Host check of runtime/pulp/libm.c (built with -DEDGEFT_LIBM_PREFIX=edgeft_):
   the error of every function in ulp against the system libm one precision up
   (double for the float functions, long double for the double ones), over
   random points in each function's ranges, random bit patterns and special
   values. Prints one line per function: name, max ulp, worst arguments. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F1(n) float edgeft_##n##f(float);
#define F2(n) float edgeft_##n##f(float, float);
#define D1(n) double edgeft_##n(double);
#define D2(n) double edgeft_##n(double, double);
F1(exp) F1(log) F1(erf) F1(tanh) F1(sqrt) F1(fabs) F1(log1p) F1(expm1) F1(sin) F1(cos)
F1(exp2) F1(log2) F1(atan) F1(floor) F1(ceil) F1(trunc) F2(pow) F2(fmax) F2(fmin)
D1(exp) D1(log) D1(erf) D1(tanh) D1(sqrt) D1(fabs) D1(log1p) D1(expm1) D1(sin) D1(cos)
D1(exp2) D1(log2) D1(atan) D1(floor) D1(ceil) D1(trunc) D2(pow) D2(fmax) D2(fmin)
float edgeft_fmaf(float, float, float);
double edgeft_fma(double, double, double);

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next64(void) { /* xorshift64* */
  rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
  return rng * 0x2545f4914f6cdd1dull;
}
static double uniform(double lo, double hi) { return lo + (hi - lo) * (double)(next64() >> 11) * 0x1p-53; }
static float bits_f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static double bits_d(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }

/* error of got against ref in ulp of the result format (mant bits, min exp) */
static double ulp_err(long double ref, long double got, int mant, int emin, long double fmax) {
  if (isnan(ref)) return isnan(got) ? 0.0 : INFINITY;
  if (isnan(got)) return INFINITY;
  int e;
  frexpl(ref, &e);
  if (fabsl(ref) > fmax) { /* the correctly rounded result may be inf */
    long double half = ldexpl(1.0L, e - 1 - mant - 1);
    if (isinf(got) && (isinf(ref) || fabsl(ref) >= fmax + half) && !signbit(got) == !signbit(ref)) return 0.0;
    if (!isinf(got) && !isinf(ref)) return (double)(fabsl(got - ref) / ldexpl(1.0L, e - 1 - mant));
    return INFINITY;
  }
  if (isinf(got)) return INFINITY;
  if (ref == 0 && got == 0 && !signbit(ref) != !signbit(got)) return INFINITY;
  if (e - 1 < emin) e = emin + 1;
  return (double)(fabsl(got - ref) / ldexpl(1.0L, e - 1 - mant));
}
static double err_f(double ref, float got) { return ulp_err(ref, got, 23, -126, FLT_MAX); }
static double err_d(long double ref, double got) { return ulp_err(ref, got, 52, -1022, DBL_MAX); }

static const float special_f[] = {
    0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1.0f, -1.0f, 0.5f, -0.5f, 2.0f, -2.0f, 3.0f, -3.0f,
    FLT_MIN, -FLT_MIN, 0x1p-149f, -0x1p-149f, FLT_MAX, -FLT_MAX, 88.72283f, 88.722839f, 89.0f,
    -87.33654f, -103.972f, -104.0f, 128.0f, 127.99f, -126.0f, -149.0f, -149.5f, -150.0f, -151.0f,
    0.78539816f, 2.3561945f, 1.5707964f, 3.1415927f, 1e-10f, -1e-10f, 1e10f, 3.92f, 9.1f, 0.55f,
    -0.29289323f, 0.41421354f, 0x1p-24f, 0x1p-25f, 0x1p-12f, 1e30f, -17.5f, 0.34657359f, 1.0e-40f};
static const double special_d[] = {
    0.0, -0.0, INFINITY, -INFINITY, NAN, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0, DBL_MIN,
    -DBL_MIN, 0x1p-1074, -0x1p-1074, DBL_MAX, -DBL_MAX, 709.782712893384, 709.79, 710.0,
    -708.39, -745.13, -745.2, -746.0, 1024.0, 1023.99, -1022.0, -1074.0, -1074.5, -1075.0,
    0.78539816339744828, 2.356194490192345, 1.5707963267948966, 3.141592653589793, 1e-300,
    -1e-300, 1e300, 6.0, 22.0, 0.55, -0.29289321881345248, 0.41421356237309503, 0x1p-54,
    0x1p-27, 1e22, 1e200, -38.0, 0.34657359027997264, 2.4142135623730949, 0.4142135623730950};
#define NSPEC_F (sizeof special_f / sizeof special_f[0])
#define NSPEC_D (sizeof special_d / sizeof special_d[0])

typedef struct { double lo, hi; } range_t;
static int npoints = 40000; /* per range and for the random bit patterns */

typedef struct { double max; double x, y; } worst_t;
static void note(worst_t *w, double err, double x, double y) {
  if (err > w->max || (isinf(err) && !isinf(w->max))) { w->max = err; w->x = x; w->y = y; }
}
static void report(const char *name, worst_t w) {
  printf("%s %.4f %a %a\n", name, w.max, w.x, w.y);
}

static void check_f1(const char *name, float (*f)(float), double (*ref)(double), range_t a, range_t b) {
  worst_t w = {0, 0, 0};
  for (unsigned i = 0; i < NSPEC_F; i++) note(&w, err_f(ref(special_f[i]), f(special_f[i])), special_f[i], 0);
  for (int i = 0; i < 3 * npoints; i++) {
    float x = i < npoints ? (float)uniform(a.lo, a.hi)
            : i < 2 * npoints ? (float)uniform(b.lo, b.hi) : bits_f((uint32_t)next64());
    note(&w, err_f(ref(x), f(x)), x, 0);
  }
  report(name, w);
}
static void check_d1(const char *name, double (*f)(double), long double (*ref)(long double), range_t a, range_t b) {
  worst_t w = {0, 0, 0};
  for (unsigned i = 0; i < NSPEC_D; i++) note(&w, err_d(ref(special_d[i]), f(special_d[i])), special_d[i], 0);
  for (int i = 0; i < 3 * npoints; i++) {
    double x = i < npoints ? uniform(a.lo, a.hi)
             : i < 2 * npoints ? uniform(b.lo, b.hi) : bits_d(next64());
    note(&w, err_d(ref(x), f(x)), x, 0);
  }
  report(name, w);
}

/* two-argument functions: special pairs, pairs from the ranges (x in a, y in b),
   negative x with integer y, and random bit patterns */
static void check_f2(const char *name, float (*f)(float, float), double (*ref)(double, double), range_t a, range_t b) {
  worst_t w = {0, 0, 0};
  for (unsigned i = 0; i < NSPEC_F; i++)
    for (unsigned j = 0; j < NSPEC_F; j++) {
      float x = special_f[i], y = special_f[j];
      note(&w, err_f(ref(x, y), f(x, y)), x, y);
    }
  for (int i = 0; i < 3 * npoints; i++) {
    float x, y;
    if (i < npoints) { x = (float)uniform(a.lo, a.hi); y = (float)uniform(b.lo, b.hi); }
    else if (i < 2 * npoints) { x = -(float)uniform(a.lo, a.hi); y = (float)(int)uniform(b.lo, b.hi); }
    else if (i % 2) { x = bits_f((uint32_t)next64()); y = bits_f((uint32_t)next64()); }
    else { /* the fast paths: y = +-1/2 and integers up to 17 in size */
      x = bits_f((uint32_t)next64() & 0x7fffffffu);
      y = (i % 4) ? ((i % 8) > 3 ? 0.5f : -0.5f) : (float)((int)(next64() % 35) - 17);
    }
    note(&w, err_f(ref(x, y), f(x, y)), x, y);
  }
  report(name, w);
}
static void check_d2(const char *name, double (*f)(double, double), long double (*ref)(long double, long double),
                     range_t a, range_t b) {
  worst_t w = {0, 0, 0};
  for (unsigned i = 0; i < NSPEC_D; i++)
    for (unsigned j = 0; j < NSPEC_D; j++) {
      double x = special_d[i], y = special_d[j];
      note(&w, err_d(ref(x, y), f(x, y)), x, y);
    }
  for (int i = 0; i < 3 * npoints; i++) {
    double x, y;
    if (i < npoints) { x = uniform(a.lo, a.hi); y = uniform(b.lo, b.hi); }
    else if (i < 2 * npoints) { x = -uniform(a.lo, a.hi); y = (double)(int)uniform(b.lo, b.hi); }
    else { x = bits_d(next64()); y = bits_d(next64()); }
    note(&w, err_d(ref(x, y), f(x, y)), x, y);
  }
  report(name, w);
}

/* fmax/fmin: the sign of a zero result is unspecified */
static double fmaxz(double x, double y) { double r = fmax(x, y); return r == 0 ? 0.0 : r; }
static double fminz(double x, double y) { double r = fmin(x, y); return r == 0 ? 0.0 : r; }
static float edgeft_fmaxfz(float x, float y) { float r = edgeft_fmaxf(x, y); return r == 0 ? 0.0f : r; }
static float edgeft_fminfz(float x, float y) { float r = edgeft_fminf(x, y); return r == 0 ? 0.0f : r; }
static long double fmaxlz(long double x, long double y) { long double r = fmaxl(x, y); return r == 0 ? 0.0L : r; }
static long double fminlz(long double x, long double y) { long double r = fminl(x, y); return r == 0 ? 0.0L : r; }
static double edgeft_fmaxz(double x, double y) { double r = edgeft_fmax(x, y); return r == 0 ? 0.0 : r; }
static double edgeft_fminz(double x, double y) { double r = edgeft_fmin(x, y); return r == 0 ? 0.0 : r; }

/* fmaf against the system's (fused); fma (double) against x * y + z: it is
   documented as not fused */
static void check_fma(void) {
  worst_t wf = {0, 0, 0}, wd = {0, 0, 0};
  for (int i = 0; i < 3 * npoints; i++) {
    float x = (float)uniform(-4, 4), y = (float)uniform(-4, 4), z = (float)uniform(-16, 16);
    note(&wf, err_f(fmaf(x, y, z), edgeft_fmaf(x, y, z)), x, y);
    double a = uniform(-4, 4), b = uniform(-4, 4), c = uniform(-16, 16);
    volatile double p = a * b;
    note(&wd, err_d(p + c, edgeft_fma(a, b, c)), a, b);
  }
  report("fmaf", wf);
  report("fma", wd);
}

/* pow with y log2 x spread over the whole range of finite results (where an
   error in log2 x counts the most): x in [1/2, 2] and next to 1 */
static void check_pow_wide(void) {
  worst_t wf = {0, 0, 0}, wd = {0, 0, 0};
  for (int i = 0; i < 3 * npoints; i++) {
    double x = (i % 3) ? uniform(0.5, 2.0) : 1.0 + uniform(0, 0x1p-14);
    float xf = (float)x;
    if (xf == 1.0f || x == 1.0) continue;
    float yf = (float)(uniform(-150, 128) / log2(xf));
    note(&wf, err_f(pow(xf, yf), edgeft_powf(xf, yf)), xf, yf);
    double y = uniform(-1075, 1024) / (double)log2l(x);
    note(&wd, err_d(powl(x, y), edgeft_pow(x, y)), x, y);
  }
  report("powf_wide", wf);
  report("pow_wide", wd);
}

/* sin and cos next to multiples of pi/2, where the reduction cancels most:
   the floats / doubles nearest k pi/2 and their neighbours */
static void check_trig_near_pio2(void) {
  worst_t ws = {0, 0, 0}, wc = {0, 0, 0}, wsd = {0, 0, 0}, wcd = {0, 0, 0};
  for (int k = 1; k < 2 * npoints; k++) {
    long double m = (long double)k * 1.5707963267948966192313216916397514L;
    float xf = (float)m;
    double xd = (double)m;
    for (int j = 0; j < 3; j++) {
      note(&ws, err_f(sin(xf), edgeft_sinf(xf)), xf, 0);
      note(&wc, err_f(cos(xf), edgeft_cosf(xf)), xf, 0);
      note(&wsd, err_d(sinl(xd), edgeft_sin(xd)), xd, 0);
      note(&wcd, err_d(cosl(xd), edgeft_cos(xd)), xd, 0);
      xf = nextafterf(xf, INFINITY);
      xd = nextafter(xd, INFINITY);
    }
  }
  report("sinf_near_pio2", ws);
  report("cosf_near_pio2", wc);
  report("sin_near_pio2", wsd);
  report("cos_near_pio2", wcd);
}

int main(int argc, char **argv) {
  if (argc > 1) npoints = atoi(argv[1]);
  range_t big_f = {-1e4, 1e4}, big_d = {-1e6, 1e6};
  check_f1("expf", edgeft_expf, exp, (range_t){-104, 89}, (range_t){-2, 2});
  check_f1("exp2f", edgeft_exp2f, exp2, (range_t){-151, 129}, (range_t){-2, 2});
  check_f1("expm1f", edgeft_expm1f, expm1, (range_t){-18, 89}, (range_t){-1, 1});
  check_f1("logf", edgeft_logf, log, (range_t){0, 10}, (range_t){0.5, 2});
  check_f1("log2f", edgeft_log2f, log2, (range_t){0, 10}, (range_t){0.5, 2});
  check_f1("log1pf", edgeft_log1pf, log1p, (range_t){-1, 10}, (range_t){-1e-3, 1e-3});
  check_f1("sinf", edgeft_sinf, sin, (range_t){-10, 10}, big_f);
  check_f1("cosf", edgeft_cosf, cos, (range_t){-10, 10}, big_f);
  check_f1("atanf", edgeft_atanf, atan, (range_t){-10, 10}, (range_t){-1, 1});
  check_f1("tanhf", edgeft_tanhf, tanh, (range_t){-10, 10}, (range_t){-1, 1});
  check_f1("erff", edgeft_erff, erf, (range_t){-5, 5}, (range_t){-1, 1});
  check_f1("sqrtf", edgeft_sqrtf, sqrt, (range_t){0, 100}, (range_t){0, 1e-30});
  check_f1("fabsf", edgeft_fabsf, fabs, big_f, (range_t){-1, 1});
  check_f1("floorf", edgeft_floorf, floor, big_f, (range_t){-1e8, 1e8});
  check_f1("ceilf", edgeft_ceilf, ceil, big_f, (range_t){-1e8, 1e8});
  check_f1("truncf", edgeft_truncf, trunc, big_f, (range_t){-1e8, 1e8});
  check_f2("powf", edgeft_powf, pow, (range_t){0, 10}, (range_t){-30, 30});
  check_f2("fmaxf", edgeft_fmaxfz, fmaxz, big_f, big_f);
  check_f2("fminf", edgeft_fminfz, fminz, big_f, big_f);
  check_d1("exp", edgeft_exp, expl, (range_t){-746, 710}, (range_t){-2, 2});
  check_d1("exp2", edgeft_exp2, exp2l, (range_t){-1076, 1025}, (range_t){-2, 2});
  check_d1("expm1", edgeft_expm1, expm1l, (range_t){-40, 710}, (range_t){-1, 1});
  check_d1("log", edgeft_log, logl, (range_t){0, 10}, (range_t){0.5, 2});
  check_d1("log2", edgeft_log2, log2l, (range_t){0, 10}, (range_t){0.5, 2});
  check_d1("log1p", edgeft_log1p, log1pl, (range_t){-1, 10}, (range_t){-1e-3, 1e-3});
  check_d1("sin", edgeft_sin, sinl, (range_t){-10, 10}, big_d);
  check_d1("cos", edgeft_cos, cosl, (range_t){-10, 10}, big_d);
  check_d1("atan", edgeft_atan, atanl, (range_t){-10, 10}, (range_t){-1, 1});
  check_d1("tanh", edgeft_tanh, tanhl, (range_t){-25, 25}, (range_t){-1, 1});
  check_d1("erf", edgeft_erf, erfl, (range_t){-7, 7}, (range_t){-1, 1});
  check_d1("sqrt", edgeft_sqrt, sqrtl, (range_t){0, 100}, (range_t){0, 1e-300});
  check_d1("fabs", edgeft_fabs, fabsl, big_d, (range_t){-1, 1});
  check_d1("floor", edgeft_floor, floorl, big_d, (range_t){-1e17, 1e17});
  check_d1("ceil", edgeft_ceil, ceill, big_d, (range_t){-1e17, 1e17});
  check_d1("trunc", edgeft_trunc, truncl, big_d, (range_t){-1e17, 1e17});
  check_d2("pow", edgeft_pow, powl, (range_t){0, 10}, (range_t){-30, 30});
  check_d2("fmax", edgeft_fmaxz, fmaxlz, big_d, big_d);
  check_d2("fmin", edgeft_fminz, fminlz, big_d, big_d);
  check_fma();
  check_trig_near_pio2();
  check_pow_wide();
  return 0;
}
