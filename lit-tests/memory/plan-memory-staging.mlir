// RUN: edgeft-opt %s -p 'edgeft-plan-memory{l2=2048}' | filecheck %s

// A 4 KiB global does not fit a 2 KiB L2 and goes to L3; its tiles reach L1
// through L2, so the plan reserves a staging buffer in L2 as large as the
// largest transfer (1 KiB) and plans again around it. The L1 tile buffer is
// planned in its own arena.
// CHECK-LABEL: module attributes {edgeft.dma_staging = {bytes = 1024 : i64, level = "L2", offset = {{[0-9]+}} : i64}
// CHECK-SAME:    L1 = 1024 : i64
// CHECK:       memref.global "private" @w : memref<1024xf32> = dense<1.000000e+00> {edgeft.level = "L3"
// CHECK-LABEL: func.func @step
// CHECK:       memref.alloc() {edgeft.level = "L1", edgeft.offset = 0 : i64} : memref<256xf32, #pulp.level<"L1">>
module {
  memref.global "private" @w : memref<1024xf32> = dense<1.0> {edgeft.trainable}
  func.func @step() {
    %w = memref.get_global @w : memref<1024xf32>
    %t = memref.alloc() : memref<256xf32, #pulp.level<"L1">>
    %v = memref.subview %w[0] [256] [1] : memref<1024xf32> to memref<256xf32, strided<[1]>>
    %f = memref.memory_space_cast %v : memref<256xf32, strided<[1]>> to memref<256xf32, strided<[1]>, #pulp.level<"L2">>
    %k = "pulp.dma_start_1d"(%f, %t) : (memref<256xf32, strided<[1]>, #pulp.level<"L2">>, memref<256xf32, #pulp.level<"L1">>) -> !pulp.token
    "pulp.dma_wait"(%k) : (!pulp.token) -> ()
    return
  }
}
