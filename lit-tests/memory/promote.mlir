// RUN: edgeft-opt %s --split-input-file -p 'edgeft-tile{l1=16384},edgeft-promote{l1=16384}' | filecheck %s
// RUN: edgeft-opt %s --split-input-file -p 'edgeft-promote{l1=262144}' | filecheck %s --check-prefix=WHOLE

// Tiles of a 64x96x128 matmul (32 x 16 x 32, see tile.mlir) come into L1 by
// DMA. A and B move with the reduction loop: double buffers (2 x tile) with
// the first tile fetched before the loop, the next one fetched while the
// current one computes, the loop one iteration short and the last tile
// computed after it. C stays put over the reduction: fetched before the
// loop, written back after it.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG:     %[[A1:.*]] = memref.alloc() : memref<2x32x32xf32, #pulp.level<"L1">>
// CHECK-DAG:     %[[B1:.*]] = memref.alloc() : memref<2x32x16xf32, #pulp.level<"L1">>
// CHECK-DAG:     %[[C1:.*]] = memref.alloc() : memref<32x16xf32, #pulp.level<"L1">>
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             %[[CF:.*]] = memref.memory_space_cast {{.*}} to memref<32x16xf32, strided<[96, 1], offset: ?>, #pulp.level<"L2">>
// CHECK:             %[[T0:.*]] = "pulp.dma_start_2d"(%[[CF]], %[[C1]])
// CHECK:             "pulp.dma_start_2d"(%{{.*}}, %{{.*}}) : (memref<32x32xf32, strided<[128, 1], offset: ?>, #pulp.level<"L2">>, memref<32x32xf32, strided<[32, 1], offset: ?>, #pulp.level<"L1">>)
// CHECK:             "pulp.dma_start_2d"
// CHECK-COUNT-3:     "pulp.dma_wait"
// CHECK:             %[[UB:.*]] = arith.constant 96 : index
// CHECK:             scf.for %[[K:.*]] = %{{.*}} to %[[UB]] step %{{.*}} {
// CHECK:               %[[NEXT:.*]] = arith.addi %[[K]], %{{.*}} : index
// CHECK:               memref.subview %arg0[%{{.*}}, %[[NEXT]]] [32, 32] [1, 1]
// CHECK:               %[[PA:.*]] = "pulp.dma_start_2d"
// CHECK:               %[[PB:.*]] = "pulp.dma_start_2d"
// CHECK:               linalg.generic {{.*}} outs(%[[C1]] : memref<32x16xf32, #pulp.level<"L1">>) attrs = {edgeft.buffering = 2 : i64, edgeft.promoted
// CHECK:               "pulp.dma_wait"(%[[PA]])
// CHECK:               "pulp.dma_wait"(%[[PB]])
// CHECK:             }
// CHECK:             linalg.generic {{.*}} outs(%[[C1]] {{.*}} edgeft.promoted
// CHECK:             %[[OUT:.*]] = "pulp.dma_start_2d"(%[[C1]], %{{.*}}) : (memref<32x16xf32, #pulp.level<"L1">>, memref<32x16xf32, strided<[96, 1], offset: ?>, #pulp.level<"L2">>)
// CHECK:             "pulp.dma_wait"(%[[OUT]])
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0) -> (d0)>
module {
  func.func @matmul(%a: memref<64x128xf32>, %b: memref<128x96xf32>, %c: memref<64x96xf32>) {
    linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : memref<64x128xf32>, memref<128x96xf32>) outs(%c : memref<64x96xf32>) {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %m = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
    return
  }
}

// -----

// An op that fits whole gets single L1 buffers: inputs fetched (1-D for a
// contiguous buffer), outputs written back; an output the body does not
// read is not fetched.
// WHOLE-LABEL: func.func @relu
// WHOLE:         %[[IN:.*]] = memref.alloc() : memref<8x4xf32, #pulp.level<"L1">>
// WHOLE:         %[[OUT:.*]] = memref.alloc() : memref<8x4xf32, #pulp.level<"L1">>
// WHOLE:         %[[SRC:.*]] = memref.memory_space_cast %arg0 : memref<8x4xf32> to memref<8x4xf32, #pulp.level<"L2">>
// WHOLE:         %[[FLAT:.*]] = memref.collapse_shape %[[SRC]] {{\[}}[0, 1]]
// WHOLE:         %[[T:.*]] = "pulp.dma_start_1d"(%[[FLAT]], %{{.*}}) : (memref<32xf32, #pulp.level<"L2">>, memref<32xf32, #pulp.level<"L1">>)
// WHOLE:         "pulp.dma_wait"(%[[T]])
// WHOLE-NOT:     "pulp.dma_start_1d"
// WHOLE:         linalg.generic {{.*}} ins(%[[IN]] : {{.*}}) outs(%[[OUT]] : {{.*}}) attrs = {edgeft.promoted}
// WHOLE:         %[[W:.*]] = "pulp.dma_start_1d"
// WHOLE:         "pulp.dma_wait"(%[[W]])
#id2 = affine_map<(d0, d1) -> (d0, d1)>
module {
  func.func @relu(%x: memref<8x4xf32>, %y: memref<8x4xf32>) {
    %zero = arith.constant 0.0 : f32
    linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%x : memref<8x4xf32>) outs(%y : memref<8x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = arith.maximumf %v, %zero : f32
      linalg.yield %r : f32
    }
    return
  }
}

// -----

// A view with three contiguous runs (a 2x2x2 corner of a 4x4x4 buffer) is
// copied by a loop of 2-D transfers, each waited at once.
// WHOLE-LABEL: func.func @corner
// WHOLE:         scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// WHOLE:           memref.subview %{{.*}}[%[[I]], 0, 0] [1, 2, 2] [1, 1, 1]
// WHOLE:           %[[T:.*]] = "pulp.dma_start_2d"(%{{.*}}, %{{.*}}) : (memref<2x2xf32, strided<[4, 1], offset: ?>, #pulp.level<"L2">>, memref<2x2xf32, strided<[2, 1], offset: ?>, #pulp.level<"L1">>)
// WHOLE:           "pulp.dma_wait"(%[[T]])
// WHOLE:         }
// WHOLE:         linalg.generic
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
module {
  func.func @corner(%x: memref<4x4x4xf32>, %y: memref<2x2x2xf32>) {
    %v = memref.subview %x[0, 0, 0] [2, 2, 2] [1, 1, 1] : memref<4x4x4xf32> to memref<2x2x2xf32, strided<[16, 4, 1]>>
    linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%v : memref<2x2x2xf32, strided<[16, 4, 1]>>) outs(%y : memref<2x2x2xf32>) {
    ^bb0(%a: f32, %o: f32):
      linalg.yield %a : f32
    }
    return
  }
}

// -----

// One value per row (a [4, 1] column of a 4x8 buffer): a 2-D transfer of
// one-element rows; the size-1 dim's stride does not break the rows.
// WHOLE-LABEL: func.func @column
// WHOLE:         "pulp.dma_start_2d"(%{{.*}}, %{{.*}}) : (memref<4x1xf32, strided<[8, 1], offset: 3>, #pulp.level<"L2">>, memref<4x1xf32, #pulp.level<"L1">>)
#id4 = affine_map<(d0, d1) -> (d0, d1)>
module {
  func.func @column(%x: memref<4x8xf32>, %y: memref<4x1xf32>) {
    %v = memref.subview %x[0, 3] [4, 1] [1, 1] : memref<4x8xf32> to memref<4x1xf32, strided<[8, 1], offset: 3>>
    linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel"]} ins(%v : memref<4x1xf32, strided<[8, 1], offset: 3>>) outs(%y : memref<4x1xf32>) {
    ^bb0(%a: f32, %o: f32):
      linalg.yield %a : f32
    }
    return
  }
}

// -----

// A copy (edgeft.copy, from edgeft-copies-to-kernels) is the DMA's alone: its
// input and output tiles share one L1 buffer, double-buffered in the tile
// loop, and the generic goes. The loop holds transfers only: tile i+1 comes
// into one half while tile i goes out of the other; both are waited before
// the next iteration refills the half just written back. The last tile goes
// out after the loop.
// CHECK-LABEL: func.func @copy
// CHECK-SAME:    (%[[X:.*]]: memref<64x64xf32>, %[[Y:.*]]: memref<64x80xf32>)
// CHECK:         %[[BUF:.*]] = memref.alloc() : memref<2x16x64xf32, #pulp.level<"L1">>
// CHECK-NOT:     memref.alloc
// CHECK:         %[[T0:.*]] = "pulp.dma_start_1d"
// CHECK:         "pulp.dma_wait"(%[[T0]])
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NOT:       linalg.generic
// CHECK:           %[[CUR:.*]] = arith.remui
// CHECK:           %[[NXT:.*]] = arith.subi %{{.*}}, %[[CUR]]
// CHECK:           memref.subview %[[X]][%{{.*}}, 0] [16, 64] [1, 1]
// CHECK:           memref.subview %[[BUF]][%[[NXT]], 0, 0] [1, 16, 64]
// CHECK:           %[[IN:.*]] = "pulp.dma_start_1d"
// CHECK:           %[[TILE:.*]] = memref.subview %[[BUF]][%[[CUR]], 0, 0] [1, 16, 64]
// CHECK:           %[[OUT:.*]] = "pulp.dma_start_2d"(%[[TILE]], %{{.*}}) : (memref<16x64xf32, strided<[64, 1], offset: ?>, #pulp.level<"L1">>, memref<16x64xf32, strided<[80, 1], offset: ?>, #pulp.level<"L2">>)
// CHECK:           "pulp.dma_wait"(%[[OUT]])
// CHECK:           "pulp.dma_wait"(%[[IN]])
// CHECK-NEXT:    }
// CHECK-NOT:     linalg.generic
// CHECK:         %[[LAST:.*]] = "pulp.dma_start_2d"(%{{.*}}, %{{.*}}) : (memref<16x64xf32, strided<[64, 1], offset: ?>, #pulp.level<"L1">>
// CHECK:         "pulp.dma_wait"(%[[LAST]])
// CHECK-NOT:     linalg.generic
// CHECK:         return

// Whole, the copy is one transfer into L1 and one out of the same buffer.
// WHOLE-LABEL: func.func @copy
// WHOLE:         %[[BUF:.*]] = memref.alloc() : memref<64x64xf32, #pulp.level<"L1">>
// WHOLE-NOT:     memref.alloc
// WHOLE:         %[[IN:.*]] = "pulp.dma_start_1d"(%{{.*}}, %{{.*}}) : (memref<4096xf32, #pulp.level<"L2">>, memref<4096xf32, #pulp.level<"L1">>)
// WHOLE:         "pulp.dma_wait"(%[[IN]])
// WHOLE:         %[[OUT:.*]] = "pulp.dma_start_2d"(%[[BUF]], %{{.*}}) : (memref<64x64xf32, #pulp.level<"L1">>, memref<64x64xf32, strided<[80, 1], offset: 8>, #pulp.level<"L2">>)
// WHOLE:         "pulp.dma_wait"(%[[OUT]])
// WHOLE-NOT:     linalg.generic
// WHOLE:         return
#id5 = affine_map<(d0, d1) -> (d0, d1)>
module {
  func.func @copy(%x: memref<64x64xf32>, %y: memref<64x80xf32>) {
    %v = memref.subview %y[0, 8] [64, 64] [1, 1] : memref<64x80xf32> to memref<64x64xf32, strided<[80, 1], offset: 8>>
    linalg.generic {indexing_maps = [#id5, #id5], iterator_types = ["parallel", "parallel"]} ins(%x : memref<64x64xf32>) outs(%v : memref<64x64xf32, strided<[80, 1], offset: 8>>) attrs = {edgeft.copy} {
    ^bb0(%a: f32, %o: f32):
      linalg.yield %a : f32
    }
    return
  }
}
