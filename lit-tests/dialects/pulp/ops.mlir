// RUN: edgeft-opt %s | edgeft-opt | filecheck %s
// RUN: edgeft-opt %s --mlir-print-op-generic | edgeft-opt | filecheck %s

// CHECK-LABEL: func.func @dma_1d
func.func @dma_1d(%l2: memref<256xf32, #pulp.level<"L2">>, %l1: memref<256xf32, #pulp.level<"L1">>) {
  // CHECK: %[[T:.*]] = "pulp.dma_start_1d"(%{{.*}}, %{{.*}}) : (memref<256xf32, #pulp.level<"L2">>, memref<256xf32, #pulp.level<"L1">>) -> !pulp.token
  %t = "pulp.dma_start_1d"(%l2, %l1) : (memref<256xf32, #pulp.level<"L2">>, memref<256xf32, #pulp.level<"L1">>) -> !pulp.token
  // CHECK: "pulp.dma_wait"(%[[T]]) : (!pulp.token) -> ()
  "pulp.dma_wait"(%t) : (!pulp.token) -> ()
  return
}

// CHECK-LABEL: func.func @dma_1d_reshaping
func.func @dma_1d_reshaping(%l3: memref<64x4xf32, #pulp.level<"L3">>, %l2: memref<256xf32, #pulp.level<"L2">>) {
  // CHECK: "pulp.dma_start_1d"
  %t = "pulp.dma_start_1d"(%l3, %l2) : (memref<64x4xf32, #pulp.level<"L3">>, memref<256xf32, #pulp.level<"L2">>) -> !pulp.token
  "pulp.dma_wait"(%t) : (!pulp.token) -> ()
  return
}

// CHECK-LABEL: func.func @dma_2d
func.func @dma_2d(%l2: memref<16x32xf32, strided<[128, 1], offset: 64>, #pulp.level<"L2">>, %l1: memref<16x32xf32, #pulp.level<"L1">>) {
  // CHECK: "pulp.dma_start_2d"(%{{.*}}, %{{.*}}) : (memref<16x32xf32, strided<[128, 1], offset: 64>, #pulp.level<"L2">>, memref<16x32xf32, #pulp.level<"L1">>) -> !pulp.token
  %t = "pulp.dma_start_2d"(%l2, %l1) : (memref<16x32xf32, strided<[128, 1], offset: 64>, #pulp.level<"L2">>, memref<16x32xf32, #pulp.level<"L1">>) -> !pulp.token
  "pulp.dma_wait"(%t) : (!pulp.token) -> ()
  return
}

// CHECK-LABEL: func.func @parallel_barrier
func.func @parallel_barrier() {
  // CHECK: "pulp.parallel"() ({
  // CHECK-NEXT: ^bb0(%{{.*}}: index):
  // CHECK-NEXT: "pulp.barrier"() : () -> ()
  // CHECK-NEXT: "pulp.yield"() : () -> ()
  // CHECK-NEXT: }) {cores = 8 : i32} : () -> ()
  "pulp.parallel"() ({
  ^bb0(%core: index):
    "pulp.barrier"() : () -> ()
    "pulp.yield"() : () -> ()
  }) {cores = 8 : i32} : () -> ()
  return
}
