/* edgeft's <math.h> for the PULP cluster (no libc there): the functions the
   emitted network.c calls, implemented in runtime/pulp/libm.c.

   EDGEFT_LIBM_PREFIX: when defined (e.g. -DEDGEFT_LIBM_PREFIX=edgeft_), every
   name below becomes prefixed (expf -> edgeft_expf) in this header and in
   libm.c, so a host test links the library next to the system libm. */
#ifndef EDGEFT_PULP_MATH_H
#define EDGEFT_PULP_MATH_H

#ifdef EDGEFT_LIBM_PREFIX
#define EDGEFT_LIBM_CAT2(a, b) a##b
#define EDGEFT_LIBM_CAT(a, b) EDGEFT_LIBM_CAT2(a, b)
#define EDGEFT_LIBM_NAME(n) EDGEFT_LIBM_CAT(EDGEFT_LIBM_PREFIX, n)
#define expf EDGEFT_LIBM_NAME(expf)
#define exp EDGEFT_LIBM_NAME(exp)
#define logf EDGEFT_LIBM_NAME(logf)
#define log EDGEFT_LIBM_NAME(log)
#define erff EDGEFT_LIBM_NAME(erff)
#define erf EDGEFT_LIBM_NAME(erf)
#define tanhf EDGEFT_LIBM_NAME(tanhf)
#define tanh EDGEFT_LIBM_NAME(tanh)
#define sqrtf EDGEFT_LIBM_NAME(sqrtf)
#define sqrt EDGEFT_LIBM_NAME(sqrt)
#define fabsf EDGEFT_LIBM_NAME(fabsf)
#define fabs EDGEFT_LIBM_NAME(fabs)
#define powf EDGEFT_LIBM_NAME(powf)
#define pow EDGEFT_LIBM_NAME(pow)
#define log1pf EDGEFT_LIBM_NAME(log1pf)
#define log1p EDGEFT_LIBM_NAME(log1p)
#define expm1f EDGEFT_LIBM_NAME(expm1f)
#define expm1 EDGEFT_LIBM_NAME(expm1)
#define sinf EDGEFT_LIBM_NAME(sinf)
#define sin EDGEFT_LIBM_NAME(sin)
#define cosf EDGEFT_LIBM_NAME(cosf)
#define cos EDGEFT_LIBM_NAME(cos)
#define exp2f EDGEFT_LIBM_NAME(exp2f)
#define exp2 EDGEFT_LIBM_NAME(exp2)
#define log2f EDGEFT_LIBM_NAME(log2f)
#define log2 EDGEFT_LIBM_NAME(log2)
#define atanf EDGEFT_LIBM_NAME(atanf)
#define atan EDGEFT_LIBM_NAME(atan)
#define floorf EDGEFT_LIBM_NAME(floorf)
#define floor EDGEFT_LIBM_NAME(floor)
#define ceilf EDGEFT_LIBM_NAME(ceilf)
#define ceil EDGEFT_LIBM_NAME(ceil)
#define truncf EDGEFT_LIBM_NAME(truncf)
#define trunc EDGEFT_LIBM_NAME(trunc)
#define fmaxf EDGEFT_LIBM_NAME(fmaxf)
#define fmax EDGEFT_LIBM_NAME(fmax)
#define fminf EDGEFT_LIBM_NAME(fminf)
#define fmin EDGEFT_LIBM_NAME(fmin)
#define fmaf EDGEFT_LIBM_NAME(fmaf)
#define fma EDGEFT_LIBM_NAME(fma)
#endif

#define INFINITY (__builtin_inff())
#define NAN (__builtin_nanf(""))
#define HUGE_VALF (__builtin_huge_valf())
#define HUGE_VAL (__builtin_huge_val())
#define isnan(x) __builtin_isnan(x)
#define isinf(x) __builtin_isinf(x)
#define isfinite(x) __builtin_isfinite(x)
#define signbit(x) __builtin_signbit(x)

float expf(float x);
double exp(double x);
float logf(float x);
double log(double x);
float erff(float x);
double erf(double x);
float tanhf(float x);
double tanh(double x);
float sqrtf(float x);
double sqrt(double x);
float fabsf(float x);
double fabs(double x);
float powf(float x, float y);
double pow(double x, double y);
float log1pf(float x);
double log1p(double x);
float expm1f(float x);
double expm1(double x);
float sinf(float x);
double sin(double x);
float cosf(float x);
double cos(double x);
float exp2f(float x);
double exp2(double x);
float log2f(float x);
double log2(double x);
float atanf(float x);
double atan(double x);
float floorf(float x);
double floor(double x);
float ceilf(float x);
double ceil(double x);
float truncf(float x);
double trunc(double x);
float fmaxf(float x, float y);
double fmax(double x, double y);
float fminf(float x, float y);
double fmin(double x, double y);
/* fmaf is fused (fmadd.s); fma (double) is NOT fused: x * y + z rounded twice. */
float fmaf(float x, float y, float z);
double fma(double x, double y, double z);

#endif /* EDGEFT_PULP_MATH_H */
