/* The core loops of the GVSoC calibration (shared/calibration/README.md),
 * written again for counting their RV32 instructions under QEMU:
 * edgeft's performance model turns instruction counts into cycles with a
 * factor fitted on these loops (python/edgeft/target/calibration.py).
 *
 * Each loop runs twice; the second (warm) call is counted with minstret,
 * as the measurements timed one warm call. Prints "name instructions" lines.
 */
#include <stdint.h>
#include <stdio.h>

#define N_DOT 1024
#define N_MM 16
#define CORES 8

static float a[N_DOT], b[N_DOT];
static float ma[N_MM][N_MM], mb[N_MM][N_MM], mc[N_MM][N_MM];

static inline float fma_asm(float x, float y, float acc)
{
    float out;
    __asm__ volatile("fmadd.s %0, %1, %2, %3" : "=f"(out) : "f"(x), "f"(y), "f"(acc));
    return out;
}

static inline uint32_t instret(void)
{
    uint32_t value;
    __asm__ volatile("csrr %0, minstret" : "=r"(value));
    return value;
}

/* Dot product unrolled by 4 with four accumulators. */
__attribute__((noinline)) static float dot_4acc(const float *x, const float *y, int n)
{
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    for (int i = 0; i < n; i += 4) {
        s0 = fma_asm(x[i], y[i], s0);
        s1 = fma_asm(x[i + 1], y[i + 1], s1);
        s2 = fma_asm(x[i + 2], y[i + 2], s2);
        s3 = fma_asm(x[i + 3], y[i + 3], s3);
    }
    return (s0 + s1) + (s2 + s3);
}

/* Dot product unrolled by 4 with one accumulator. */
__attribute__((noinline)) static float dot_1acc(const float *x, const float *y, int n)
{
    float s = 0.0f;
    for (int i = 0; i < n; i += 4) {
        s = fma_asm(x[i], y[i], s);
        s = fma_asm(x[i + 1], y[i + 1], s);
        s = fma_asm(x[i + 2], y[i + 2], s);
        s = fma_asm(x[i + 3], y[i + 3], s);
    }
    return s;
}

/* n FMAs in four independent register chains, no loads. */
__attribute__((noinline)) static float registers_only(float x, int n)
{
    float s0 = x, s1 = x, s2 = x, s3 = x;
    for (int i = 0; i < n; i += 4) {
        s0 = fma_asm(s0, x, x);
        s1 = fma_asm(s1, x, x);
        s2 = fma_asm(s2, x, x);
        s3 = fma_asm(s3, x, x);
    }
    return (s0 + s1) + (s2 + s3);
}

/* Naive 16x16x16 matmul over rows [first, last). */
__attribute__((noinline)) static void matmul_rows(int first, int last)
{
    for (int i = first; i < last; ++i)
        for (int j = 0; j < N_MM; ++j) {
            float acc = 0.0f;
            for (int k = 0; k < N_MM; ++k)
                acc = fma_asm(ma[i][k], mb[k][j], acc);
            mc[i][j] = acc;
        }
}

static volatile float sink;

#define COUNT(name, call)                                   \
    do {                                                    \
        call;                                               \
        uint32_t start = instret();                         \
        call;                                               \
        uint32_t end = instret();                           \
        printf("%s %lu\n", name, (unsigned long)(end - start)); \
    } while (0)

int main(void)
{
    for (int i = 0; i < N_DOT; ++i) {
        a[i] = (float)(i % 7) * 0.25f;
        b[i] = (float)(i % 5) * 0.5f;
    }
    for (int i = 0; i < N_MM; ++i)
        for (int j = 0; j < N_MM; ++j) {
            ma[i][j] = (float)(i + j) * 0.125f;
            mb[i][j] = (float)(i - j) * 0.0625f;
        }
    COUNT("dot_4acc", sink = dot_4acc(a, b, N_DOT));
    COUNT("dot_1acc", sink = dot_1acc(a, b, N_DOT));
    COUNT("registers_only", sink = registers_only(0.5f, N_DOT));
    COUNT("matmul16_1core", matmul_rows(0, N_MM));
    COUNT("matmul16_core_slice", matmul_rows(0, N_MM / CORES));
    return 0;
}
