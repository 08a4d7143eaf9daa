// Tile-level fusion (edgeft-tile, edgeft-promote): a convolution's bias
// initialisation and its ReLU are tiled with it in one loop nest over the
// output's dimensions, with the reductions whole; the accumulator tile lives in
// L1 only when nothing else reads the buffer, and is written back otherwise.
// RUN: edgeft-opt %s -p 'builtin.module(edgeft-tile{l1=16384})' | filecheck %s --check-prefix=TILE
// RUN: edgeft-opt %s -p 'builtin.module(edgeft-tile{l1=16384},edgeft-promote{l1=16384},canonicalize,cse)' | filecheck %s --check-prefix=L1
// RUN: edgeft-opt %s -p 'builtin.module(edgeft-tile{l1=16384},edgeft-promote{l1=16384},edgeft-parallelize{cores=8},canonicalize,cse)' | filecheck %s --check-prefix=CORES

// TILE-LABEL: module attributes {edgeft.tiling = {fused = 2 : i64,
// TILE-LABEL: func.func @layer(
// TILE:         memref.alloc() : memref<4x4x10x10xf32>
// TILE:         scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// TILE:           %[[ACC:.*]] = memref.subview %{{.*}}[%[[N]], 0, 0, 0] [1, 4, 10, 10]
// TILE:           linalg.generic {{.*}} ins(%{{.*}} : memref<4xf32{{.*}}>) outs(%[[ACC]] : {{.*}}) attrs = {edgeft.group = 0 : i64, edgeft.tile = array<i64: 1, 4, 10, 10>}
// TILE:           linalg.generic {{.*}} outs(%[[ACC]] : {{.*}}) attrs = {edgeft.group = 0 : i64, edgeft.tile = array<i64: 1, 4, 10, 10, 2, 3, 3>}
// TILE:           linalg.generic {{.*}} ins(%[[ACC]] : {{.*}}) outs(%{{.*}} : {{.*}}) attrs = {edgeft.group = 0 : i64, edgeft.tile = array<i64: 1, 4, 10, 10>}
// TILE:         {{^ {4}\}$}}
// TILE-NEXT:    return

// The accumulator: one L1 tile, never moved; per iteration one transfer in
// (the next input tile) and one out (the ReLU's tile).
// L1-LABEL: func.func @layer(
// L1-NOT:       memref.alloc() : memref<4x4x10x10xf32>
// L1:           %[[ACC:.*]] = memref.alloc() : memref<1x4x10x10xf32, #pulp.level<"L1">>
// L1:           scf.for
// L1-COUNT-1:     "pulp.dma_start_1d"
// L1:             linalg.generic {{.*}} outs(%[[ACC]] :
// L1:             linalg.generic {{.*}} outs(%[[ACC]] :
// L1:             linalg.generic {{.*}} ins(%[[ACC]] :
// L1-COUNT-1:     "pulp.dma_start_1d"
// L1-NOT:         "pulp.dma_start_1d"
// L1:           {{^ {4}\}$}}

// One fork per tile: the bias and the ReLU are cut like the convolution
// (over its 4 filters), so each core runs its slice of the three in turn and
// the region has one barrier.
// CORES-LABEL: func.func @layer(
// CORES:         scf.for
// CORES:           "pulp.dma_start_1d"
// CORES:           "pulp.parallel"() ({
// CORES-COUNT-3:     linalg.generic
// CORES:             "pulp.barrier"
// CORES:         }) {cores = 4 : i64}
// CORES-NOT:       "pulp.parallel"
// CORES:           "pulp.dma_start_1d"

// TILE-LABEL: func.func @kept(
// TILE:         scf.for
// TILE-COUNT-3:   linalg.generic
// TILE:         {{^ {4}\}$}}
// TILE:         scf.for
// TILE:           linalg.generic {{.*}} ins(%{{.*}} : memref<2x4x10x10xf32

// L1-LABEL: func.func @kept(
// L1:           memref.alloc() : memref<4x4x10x10xf32>
// L1:           memref.alloc() : memref<2x1x4x10x10xf32, #pulp.level<"L1">>

#bias = affine_map<(d0, d1, d2, d3) -> (d1)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#in = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d4, d2 + d5, d3 + d6)>
#w = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
#out = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
#tr = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3, d2)>
module {
  func.func @layer(%x: memref<4x2x12x12xf32>, %w: memref<4x2x3x3xf32>, %b: memref<4xf32>, %y: memref<4x4x10x10xf32>) {
    %zero = arith.constant 0.0 : f32
    %acc = memref.alloc() : memref<4x4x10x10xf32>
    linalg.generic {indexing_maps = [#bias, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : memref<4xf32>) outs(%acc : memref<4x4x10x10xf32>) {
    ^bb0(%in: f32, %o: f32):
      linalg.yield %in : f32
    }
    linalg.generic {indexing_maps = [#in, #w, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : memref<4x2x12x12xf32>, memref<4x2x3x3xf32>) outs(%acc : memref<4x4x10x10xf32>) {
    ^bb0(%a: f32, %c: f32, %o: f32):
      %p = arith.mulf %a, %c : f32
      %s = arith.addf %o, %p : f32
      linalg.yield %s : f32
    }
    linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc : memref<4x4x10x10xf32>) outs(%y : memref<4x4x10x10xf32>) {
    ^bb0(%in: f32, %o: f32):
      %r = arith.maximumf %in, %zero : f32
      linalg.yield %r : f32
    }
    return
  }

  // The pre-activation is read again after the ReLU (as a training step's
  // backward does): it is written back, and the ReLU still reads it in L1.
  func.func @kept(%x: memref<4x2x12x12xf32>, %w: memref<4x2x3x3xf32>, %b: memref<4xf32>, %y: memref<4x4x10x10xf32>, %z: memref<4x4x10x10xf32>) {
    %zero = arith.constant 0.0 : f32
    %acc = memref.alloc() : memref<4x4x10x10xf32>
    linalg.generic {indexing_maps = [#bias, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : memref<4xf32>) outs(%acc : memref<4x4x10x10xf32>) {
    ^bb0(%in: f32, %o: f32):
      linalg.yield %in : f32
    }
    linalg.generic {indexing_maps = [#in, #w, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : memref<4x2x12x12xf32>, memref<4x2x3x3xf32>) outs(%acc : memref<4x4x10x10xf32>) {
    ^bb0(%a: f32, %c: f32, %o: f32):
      %p = arith.mulf %a, %c : f32
      %s = arith.addf %o, %p : f32
      linalg.yield %s : f32
    }
    linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc : memref<4x4x10x10xf32>) outs(%y : memref<4x4x10x10xf32>) {
    ^bb0(%in: f32, %o: f32):
      %r = arith.maximumf %in, %zero : f32
      linalg.yield %r : f32
    }
    // a transposed read is not elementwise on the tile: it stays apart
    linalg.generic {indexing_maps = [#id4, #tr], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc : memref<4x4x10x10xf32>) outs(%z : memref<4x4x10x10xf32>) {
    ^bb0(%in: f32, %o: f32):
      linalg.yield %in : f32
    }
    return
  }
}
