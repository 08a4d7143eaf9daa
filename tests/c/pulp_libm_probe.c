/* A handful of runtime/pulp libm and string results, printed as the hex bits
   of each result, one "index bits" line each. Built twice by
   tests/test_pulp_libm.py: for a siracusa cluster core under GVSoC (the FC
   boots cluster core 0, which runs probe()) and for the host with
   -DEDGEFT_LIBM_PREFIX=edgeft_; both are IEEE arithmetic without contraction,
   so the lines must agree bit for bit. */
#include <math.h>
#include <stdint.h>
#include <string.h>

static const float xs[] = {-3.75f, -0.3f, 1e-3f, 0.7f, 1.9f, 5.5f, 31.0f, 12345.678f};
static const double xd[] = {-2.5, 0.001, 0.75, 3.3, 40.0, 1e6};

typedef void emit_fn(unsigned index, uint32_t bits);

static uint32_t fb(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static uint64_t db(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }

static unsigned char buf_a[96], buf_b[96];

static void probe(emit_fn *emit) {
  unsigned k = 0;
  for (unsigned i = 0; i < sizeof xs / sizeof xs[0]; i++) {
    float x = xs[i], a = fabsf(x);
    float r[] = {expf(x * 0.5f), logf(a), log2f(a), log1pf(a), expm1f(x * 0.1f), exp2f(x),
                 erff(x * 0.5f), tanhf(x * 0.3f), sqrtf(a), powf(a, 1.7f), sinf(x), cosf(x),
                 atanf(x), fmaf(x, 1.1f, 0.3f), floorf(x), ceilf(x), truncf(x),
                 fmaxf(x, 0.5f), fminf(x, 0.5f)};
    for (unsigned j = 0; j < sizeof r / sizeof r[0]; j++) emit(k++, fb(r[j]));
  }
  for (unsigned i = 0; i < sizeof xd / sizeof xd[0]; i++) {
    double x = xd[i], a = fabs(x);
    double r[] = {exp(x * 0.1), log(a), log2(a), log1p(a), expm1(x * 0.1), exp2(x * 0.2),
                  erf(x), tanh(x * 0.3), sqrt(a), pow(a, 0.37), sin(x), cos(x), atan(x),
                  floor(x), fma(x, 1.1, 0.3)};
    for (unsigned j = 0; j < sizeof r / sizeof r[0]; j++) {
      uint64_t u = db(r[j]);
      emit(k++, (uint32_t)(u >> 32));
      emit(k++, (uint32_t)u);
    }
  }
  for (unsigned i = 0; i < sizeof buf_a; i++) buf_a[i] = (unsigned char)(i * 37u + 1u);
  memset(buf_b, 0x5c, sizeof buf_b);
  memcpy(buf_b + 3, buf_a + 7, 61);
  memmove(buf_b + 10, buf_b + 2, 40);
  uint32_t sum = 0;
  for (unsigned i = 0; i < sizeof buf_b; i++) sum = sum * 31u + buf_b[i];
  emit(k++, sum);
  emit(k++, (uint32_t)memcmp(buf_a, buf_b, 20) + (uint32_t)strlen("edgeft"));
}

#ifdef __riscv
/* FC: boots cluster core 0 at cluster_start and waits for it; cluster core 0
   runs probe() and prints to its stdout channel. No float on the FC. */
#define CLUSTER_CTRL 0x10200000u
#define FETCH_ENABLE (*(volatile uint32_t *)(CLUSTER_CTRL + 0x8u))
#define BOOT_ADDR0 (*(volatile uint32_t *)(CLUSTER_CTRL + 0x40u))
#define CORE0_STDOUT ((volatile char *)0x1A10F000u)

static volatile int cluster_done;

static void emit_stdout(unsigned index, uint32_t bits) {
  char line[20];
  int n = 0;
  char dec[10];
  int m = 0;
  do { dec[m++] = (char)('0' + index % 10u); index /= 10u; } while (index);
  while (m) line[n++] = dec[--m];
  line[n++] = ' ';
  for (int s = 28; s >= 0; s -= 4) line[n++] = "0123456789abcdef"[(bits >> s) & 0xfu];
  line[n++] = '\n';
  for (int i = 0; i < n; i++) *CORE0_STDOUT = line[i];
}

void cluster_main(void);
void cluster_main(void) {
  probe(emit_stdout);
  cluster_done = 1;
}

extern void cluster_start(void);
__asm__(".text\n.globl cluster_start\ncluster_start:\n"
        "  li sp, 0x10008000\n  call cluster_main\n1: wfi\n  j 1b\n");

int main(void) {
  cluster_done = 0;
  BOOT_ADDR0 = (uint32_t)(uintptr_t)cluster_start;
  FETCH_ENABLE = 1u;
  while (!cluster_done) {
  }
  return 0;
}
#else
#include <stdio.h>
static void emit_printf(unsigned index, uint32_t bits) { printf("%u %08x\n", index, (unsigned)bits); }
int main(void) {
  probe(emit_printf);
  return 0;
}
#endif
