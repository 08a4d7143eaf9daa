// RUN: edgeft-opt %s --split-input-file -p 'edgeft-plan-memory{l2=2048},expand-strided-metadata' | edgeft-translate --to-c --split-input-file | filecheck %s

// A 1-D transfer copies the source view's bytes to the destination's first
// element and returns a token the wait consumes; the L1 tile is a slice of
// the L1 arena.
// CHECK-LABEL: static void edgeft_dma_1d_fn(float *restrict arg0)
// CHECK-NEXT:  {
// CHECK-NEXT:      const edgeft_dma_token_t [[T:v[0-9]+]] = edgeft_rt_dma_start_1d(&((float *)(edgeft_L1 + EDGEFT_OFF_DMA_1D_0))[0 * 32 + 0], &arg0[128 + 0 * 32 + 0], 128 * sizeof(float));
// CHECK-NEXT:      edgeft_rt_dma_wait([[T]]);
// CHECK-NEXT:  }
module {
  func.func @dma_1d(%src: memref<16x32xf32>) {
    %t = memref.alloc() : memref<4x32xf32, #pulp.level<"L1">>
    %v = memref.subview %src[4, 0] [4, 32] [1, 1] : memref<16x32xf32> to memref<4x32xf32, strided<[32, 1], offset: 128>>
    %f = memref.memory_space_cast %v : memref<4x32xf32, strided<[32, 1], offset: 128>> to memref<4x32xf32, strided<[32, 1], offset: 128>, #pulp.level<"L2">>
    %k = "pulp.dma_start_1d"(%f, %t) : (memref<4x32xf32, strided<[32, 1], offset: 128>, #pulp.level<"L2">>, memref<4x32xf32, #pulp.level<"L1">>) -> !pulp.token
    "pulp.dma_wait"(%k) : (!pulp.token) -> ()
    return
  }
}

// -----

// A 2-D transfer of a column block: 8 rows of 4 floats, the source rows 32
// floats apart, the L1 tile's 4 apart.
// CHECK-LABEL: static void edgeft_dma_2d_fn(float *restrict arg0)
// CHECK-NEXT:  {
// CHECK-NEXT:      const edgeft_dma_token_t [[T:v[0-9]+]] = edgeft_rt_dma_start_2d(&((float *)(edgeft_L1 + EDGEFT_OFF_DMA_2D_0))[0 * 4 + 0], &arg0[8 + 0 * 32 + 0], 4 * sizeof(float), 8, 4 * sizeof(float), 32 * sizeof(float));
// CHECK-NEXT:      edgeft_rt_dma_wait([[T]]);
module {
  func.func @dma_2d(%src: memref<8x32xf32>) {
    %t = memref.alloc() : memref<8x4xf32, #pulp.level<"L1">>
    %v = memref.subview %src[0, 8] [8, 4] [1, 1] : memref<8x32xf32> to memref<8x4xf32, strided<[32, 1], offset: 8>>
    %f = memref.memory_space_cast %v : memref<8x4xf32, strided<[32, 1], offset: 8>> to memref<8x4xf32, strided<[32, 1], offset: 8>, #pulp.level<"L2">>
    %k = "pulp.dma_start_2d"(%f, %t) : (memref<8x4xf32, strided<[32, 1], offset: 8>, #pulp.level<"L2">>, memref<8x4xf32, #pulp.level<"L1">>) -> !pulp.token
    "pulp.dma_wait"(%k) : (!pulp.token) -> ()
    return
  }
}

// -----

// A 4 KiB global does not fit the 2 KiB L2 and goes to L3: its transfers to
// and from L1 pass through the L2 staging buffer, in both directions.
// CHECK-LABEL: #define EDGEFT_DMA_STAGING ((void *)(edgeft_L2 + {{[0-9]+}}))
// CHECK:       #define edgeft_g_w ((float *)(edgeft_L3 + EDGEFT_OFF_W))
// CHECK-LABEL: static void edgeft_staged_fn(void)
// CHECK-NEXT:  {
// CHECK-NEXT:      const edgeft_dma_token_t [[IN:v[0-9]+]] = edgeft_rt_dma_start_staged(&((float *)(edgeft_L1 + EDGEFT_OFF_STAGED_0))[0], &edgeft_g_w[0], 256 * sizeof(float), 1, 0, 0, EDGEFT_DMA_STAGING);
// CHECK-NEXT:      edgeft_rt_dma_wait([[IN]]);
// CHECK-NEXT:      const edgeft_dma_token_t [[OUT:v[0-9]+]] = edgeft_rt_dma_start_staged(&edgeft_g_w[256 + 0], &((float *)(edgeft_L1 + EDGEFT_OFF_STAGED_0))[0], 256 * sizeof(float), 1, 0, 0, EDGEFT_DMA_STAGING);
// CHECK-NEXT:      edgeft_rt_dma_wait([[OUT]]);
module {
  memref.global "private" @w : memref<1024xf32> = dense<1.0> {edgeft.trainable}
  func.func @staged() {
    %w = memref.get_global @w : memref<1024xf32>
    %t = memref.alloc() : memref<256xf32, #pulp.level<"L1">>
    %v = memref.subview %w[0] [256] [1] : memref<1024xf32> to memref<256xf32, strided<[1]>>
    %f = memref.memory_space_cast %v : memref<256xf32, strided<[1]>> to memref<256xf32, strided<[1]>, #pulp.level<"L2">>
    %k = "pulp.dma_start_1d"(%f, %t) : (memref<256xf32, strided<[1]>, #pulp.level<"L2">>, memref<256xf32, #pulp.level<"L1">>) -> !pulp.token
    "pulp.dma_wait"(%k) : (!pulp.token) -> ()
    %u = memref.subview %w[256] [256] [1] : memref<1024xf32> to memref<256xf32, strided<[1], offset: 256>>
    %g = memref.memory_space_cast %u : memref<256xf32, strided<[1], offset: 256>> to memref<256xf32, strided<[1], offset: 256>, #pulp.level<"L2">>
    %o = "pulp.dma_start_1d"(%t, %g) : (memref<256xf32, #pulp.level<"L1">>, memref<256xf32, strided<[1], offset: 256>, #pulp.level<"L2">>) -> !pulp.token
    "pulp.dma_wait"(%o) : (!pulp.token) -> ()
    return
  }
}
