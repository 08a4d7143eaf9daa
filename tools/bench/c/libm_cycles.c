/* Cycles per call of runtime/pulp's expf and erff on a Siracusa cluster core
   (GVSoC), on the inputs the emitted code gives them: softmax's exp(x - max)
   with x - max in [-16, 0], GELU's erf(x / sqrt 2) for x in [-4, 4], and the
   whole range each function handles (exp [-88, 88], erf [-5, 5]). The FC
   turns the cluster I-cache on and boots cluster core 0, which times each
   loop with mcycle and prints "name cycles calls" lines;
   tools/bench/libm_cycles.py subtracts the empty loop. */
#include <math.h>
#include <stdint.h>

#define CALLS 256

static inline uint32_t cycles(void) {
  uint32_t v;
  __asm__ volatile("csrr %0, mcycle" : "=r"(v));
  return v;
}

static volatile float sink;

/* a function call per element, as in the emitted kernels */
#define TIMED(name, expr)                                 \
  static uint32_t name(const float *x) {                  \
    float acc = 0.0f;                                     \
    uint32_t start = cycles();                            \
    for (unsigned i = 0; i < CALLS; i++) acc += (expr);   \
    uint32_t end = cycles();                              \
    sink = acc;                                           \
    return end - start;                                   \
  }

TIMED(time_loop, x[i])
TIMED(time_expf, expf(x[i]))
TIMED(time_erff, erff(x[i]))

#define CORE0_STDOUT ((volatile char *)0x1A10F000u)

static void print(const char *name, uint32_t value) {
  for (const char *c = name; *c; c++) *CORE0_STDOUT = *c;
  *CORE0_STDOUT = ' ';
  char dec[10];
  int m = 0;
  do { dec[m++] = (char)('0' + value % 10u); value /= 10u; } while (value);
  while (m) *CORE0_STDOUT = dec[--m];
  *CORE0_STDOUT = ' ';
  for (const char *c = "256"; *c; c++) *CORE0_STDOUT = *c;
  *CORE0_STDOUT = '\n';
}

/* CALLS points spread evenly over [lo, hi] in a scrambled order (no branch
   pattern repeats with the index) */
static void spread(float *x, float lo, float hi) {
  for (unsigned i = 0; i < CALLS; i++) {
    unsigned k = (i * 97u) % CALLS;
    x[i] = lo + (hi - lo) * ((float)k + 0.5f) / (float)CALLS;
  }
}

static void run(const char *name, float lo, float hi, uint32_t (*fn)(const float *)) {
  float x[CALLS];
  spread(x, lo, hi);
  fn(x); /* warm the I-cache */
  uint32_t loop = time_loop(x);
  uint32_t total = fn(x);
  print(name, total - loop);
}

void cluster_main(void);
static volatile int cluster_done;

void cluster_main(void) {
  run("expf_softmax", -16.0f, 0.0f, time_expf);
  run("expf_full", -88.0f, 88.0f, time_expf);
  run("erff_gelu", -4.0f * 0.70710678f, 4.0f * 0.70710678f, time_erff);
  run("erff_full", -5.0f, 5.0f, time_erff);
  cluster_done = 1;
}

#define CLUSTER_CTRL 0x10200000u
#define FETCH_ENABLE (*(volatile uint32_t *)(CLUSTER_CTRL + 0x8u))
#define BOOT_ADDR0 (*(volatile uint32_t *)(CLUSTER_CTRL + 0x40u))
#define ICACHE_ENABLE (*(volatile uint32_t *)0x10201400u)

extern void cluster_start(void);
__asm__(".text\n.globl cluster_start\ncluster_start:\n"
        "  li sp, 0x10008000\n  call cluster_main\n1: wfi\n  j 1b\n");

int main(void) {
  cluster_done = 0;
  ICACHE_ENABLE = ~0u;
  BOOT_ADDR0 = (uint32_t)(uintptr_t)cluster_start;
  FETCH_ENABLE = 1u;
  while (!cluster_done) {
  }
  return 0;
}
