// RUN: edgeft-opt %s -p 'edgeft-tile{l1=16384}' | filecheck %s

// A 64x96x128 matmul (96 KiB of operands) does not fit 8 KiB (16 KiB double-
// buffered); its tiles do. Tile sizes divide the loops, the reduction (d2)
// stays innermost so every sum keeps its order.
// The cost (edgeft.target.perf: DMA each way and one RedMulE job per tile,
// whose output tile is 12 rows x 16 columns) picks 32 x 16 x 32: 8,192 bytes
// per tile, 48 tiles of 1,348 DMA + 973 RedMulE cycles (16 x 24 x 32 would
// be 64 tiles of 1,090 + 1,229).
// CHECK-LABEL: module attributes {edgeft.tiling = {fused = 0 : i64, largest_working_set = 8192 : i64, ops = 2 : i64, tiled = 1 : i64}}
// CHECK-LABEL: func.func @matmul
// CHECK-DAG:     %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG:     %[[C32:.*]] = arith.constant 32 : index
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %[[C32]] {
// CHECK:           scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %[[C16]] {
// CHECK:             scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:               memref.subview %{{.*}}[%[[I]], %[[K]]] [32, 32] [1, 1]
// CHECK:               memref.subview %{{.*}}[%[[K]], %[[J]]] [32, 16] [1, 1]
// CHECK:               memref.subview %{{.*}}[%[[I]], %[[J]]] [32, 16] [1, 1]
// CHECK:               linalg.generic {{.*}} attrs = {edgeft.tile = array<i64: 32, 16, 32>}
// A small op fits whole and stays as it is.
// CHECK-LABEL: func.func @small
// CHECK-NOT:     scf.for
// CHECK:         linalg.generic
// CHECK-NOT:     edgeft.tile
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
  func.func @small(%a: memref<16xf32>) {
    linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%a : memref<16xf32>) {
    ^bb0(%x: f32):
      %d = arith.addf %x, %x : f32
      linalg.yield %d : f32
    }
    return
  }
}
