/* Functional models of the SoC's engines, shared by the host and rv32
 * runtimes: DMA as memcpy (complete at start), RedMulE reading its job
 * descriptor (fp32 format). The fork is each runtime's own: threads on the
 * host (host/edgeft_rt_host.c), core after core on rv32. */
#include "edgeft_rt.h"

#include <string.h>

edgeft_dma_token_t edgeft_rt_dma_start_1d(void *dst, const void *src, size_t bytes)
{
    memcpy(dst, src, bytes);
    return 0;
}

edgeft_dma_token_t edgeft_rt_dma_start_2d(void *dst, const void *src, size_t row_bytes,
                                          size_t rows, size_t dst_stride, size_t src_stride)
{
    for (size_t r = 0; r < rows; ++r)
        memcpy((char *)dst + r * dst_stride, (const char *)src + r * src_stride, row_bytes);
    return 0;
}

edgeft_dma_token_t edgeft_rt_dma_start_staged(void *dst, const void *src, size_t row_bytes,
                                              size_t rows, size_t dst_stride,
                                              size_t src_stride, void *staging)
{
    /* Both hops through the staging rows, in order: the bytes really pass
     * through the L2 buffer the plan reserved. */
    edgeft_rt_dma_wait(edgeft_rt_dma_start_2d(staging, src, row_bytes, rows, row_bytes,
                                              src_stride));
    edgeft_rt_dma_wait(edgeft_rt_dma_start_2d(dst, staging, row_bytes, rows, dst_stride,
                                              row_bytes));
    return 0;
}

void edgeft_rt_copy(void *dst, const void *src, size_t bytes)
{
    memcpy(dst, src, bytes); /* every level is ordinary memory here */
}

void edgeft_rt_fill(void *dst, const void *value, size_t element_bytes, size_t count)
{
    for (size_t i = 0; i < count; ++i)
        memcpy((char *)dst + i * element_bytes, value, element_bytes);
}

void edgeft_rt_dma_wait(edgeft_dma_token_t token)
{
    (void)token; /* copies complete at start on the host */
}

void edgeft_rt_redmule_submit(const edgeft_redmule_job_t *job)
{
    /* Functional model: Z = X W (+ Y), everything from the descriptor. X is
     * M x N, W is N x K, Y and Z are M x K, all dense row-major; the sum runs
     * over N in order, starting from Y (gemm) or zero (matmul). */
    const uint32_t m = job->mcfg0 & 0xffffu, k = job->mcfg0 >> 16, n = job->mcfg1;
    const uint32_t op = (job->arith >> 10) & 0x7u, format = (job->arith >> 7) & 0x7u;
    if (format != EDGEFT_REDMULE_FP32)
        edgeft_rt_fail("RedMulE model: only the fp32 format is modelled");
    if (op > EDGEFT_REDMULE_GEMM)
        edgeft_rt_fail("RedMulE model: unknown operation in ARITH");
    if (m == 0 || n == 0 || k == 0)
        edgeft_rt_fail("RedMulE model: empty job (M, N or K is 0)");
    const float *x = job->x, *w = job->w, *y = job->y;
    float *z = job->z;
    for (uint32_t i = 0; i < m; ++i)
        for (uint32_t j = 0; j < k; ++j) {
            float acc = op == EDGEFT_REDMULE_GEMM ? y[i * k + j] : 0.0f;
            for (uint32_t l = 0; l < n; ++l)
                acc += x[i * n + l] * w[l * k + j];
            z[i * k + j] = acc;
        }
}

void edgeft_rt_redmule_wait(void)
{
}
