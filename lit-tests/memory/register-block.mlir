// RUN: edgeft-opt %s --split-input-file -p 'edgeft-register-block{rows=4 cols=4},canonicalize,cse' | filecheck %s

// A matmul: 4 x 4 accumulators loaded once, carried through the reduction
// loop, stored once; each A element feeds 4 products and each B element 4.
// CHECK-LABEL: func.func @matmul
// CHECK:         scf.execute_region no_inline {
// CHECK:           scf.for %[[J:.*]] = %c0 to %c8 step %c4 {
// CHECK-COUNT-16:    memref.load %arg2
// CHECK:             %[[R:.*]]:16 = scf.for %[[K:.*]] = %c0 to %c16 step %c1 iter_args(
// CHECK-COUNT-2:       memref.load
// CHECK-NEXT:          arith.mulf
// CHECK-NEXT:          arith.addf
// CHECK:               scf.yield
// CHECK:             }
// CHECK-COUNT-16:    memref.store %[[R]]#{{[0-9]+}}, %arg2
// CHECK:         linalg.generic
// CHECK-NOT:     linalg.generic
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @matmul(%a: memref<4x16xf32>, %b: memref<16x8xf32>, %c: memref<4x8xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x16xf32>, memref<16x8xf32>) outs(%c : memref<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  }
  // An elementwise op has no reduction: convert-linalg-to-loops keeps it.
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%c : memref<4x8xf32>) {
  ^bb0(%z: f32):
    %r = arith.negf %z : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Extents the block does not divide get remainder loops of step 1: 6 rows are
// a block of 4 and 2 rows of one, 5 columns a block of 4 and one column
// (canonicalize folds the loops of one trip).
// CHECK-LABEL: func.func @remainders
// CHECK:         iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK:         iter_args({{.*}}) -> (f32, f32, f32, f32) {
// CHECK:         scf.for %{{.*}} = %c4 to %c6 step %c1 {
// CHECK:           iter_args({{.*}}) -> (f32, f32, f32, f32) {
// CHECK:         scf.for %{{.*}} = %c4 to %c6 step %c1 {
// CHECK:           iter_args({{.*}}) -> (f32) {
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @remainders(%a: memref<6x3xf32>, %b: memref<3x5xf32>, %c: memref<6x5xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<6x3xf32>, memref<3x5xf32>) outs(%c : memref<6x5xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A row sum shares no operand between rows: only the output's innermost
// dimension is blocked (4 accumulators), and the reduction dimension comes
// first in the domain but runs innermost.
// CHECK-LABEL: func.func @column_sums
// CHECK:         scf.for %[[J:.*]] = %c0 to %c8 step %c4 {
// CHECK:           scf.for %[[K:.*]] = %c0 to %c3 step %c1 iter_args({{.*}}) -> (f32, f32, f32, f32) {
// CHECK:             memref.load %arg0[%[[K]], %[[J]]]
#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d1)>
func.func @column_sums(%x: memref<3x8xf32>, %y: memref<8xf32>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<3x8xf32>) outs(%y : memref<8xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// linalg.index reads the loop's value, the block's offset added: here the
// block covers all 4 rows, so the indices fold to the constants 0 .. 3 (and
// row 0, times 0, to its initial value).
// CHECK-LABEL: func.func @indexed
// CHECK:         scf.for %[[K:.*]] = %c0 to %c2 step %c1 iter_args({{.*}}) -> (i32, i32, i32) {
// CHECK:           memref.load %arg0[%c1, %[[K]]]
// CHECK-NEXT:      arith.addi
// CHECK:           arith.muli %{{.*}}, %c2_i32
// CHECK:           arith.muli %{{.*}}, %c3_i32
#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d0)>
func.func @indexed(%x: memref<4x2xi32>, %y: memref<4xi32>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x2xi32>) outs(%y : memref<4xi32>) {
  ^bb0(%v: i32, %acc: i32):
    %i = linalg.index 0 : index
    %c = arith.index_cast %i : index to i32
    %p = arith.muli %v, %c : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return
}

// -----

// A 1-D scatter slides: the window of 3 outputs d0 + 0 .. d0 + 2 rides in the
// loop's accumulators, the kernel values are loaded before it and dy once per
// step; each step stores the output it completes and loads the next, the last
// step (d0 = 3) stores the whole window.
// CHECK-LABEL: func.func @scatter
// CHECK:         scf.execute_region no_inline {
// CHECK-DAG:       %[[W0:.*]] = memref.load %arg1[%c0]
// CHECK-DAG:       %[[W1:.*]] = memref.load %arg1[%c1]
// CHECK-DAG:       %[[W2:.*]] = memref.load %arg1[%c2]
// CHECK-DAG:       %[[X0:.*]] = memref.load %arg2[%c0]
// CHECK-DAG:       %[[X1:.*]] = memref.load %arg2[%c1]
// CHECK-DAG:       %[[X2:.*]] = memref.load %arg2[%c2]
// CHECK:           %[[R:.*]]:3 = scf.for %[[S:.*]] = %c0 to %c3 step %c1 iter_args(%[[A0:.*]] = %[[X0]], %[[A1:.*]] = %[[X1]], %[[A2:.*]] = %[[X2]])
// CHECK-NEXT:        %[[G:.*]] = memref.load %arg0[%[[S]]]
// CHECK-NEXT:        %[[M0:.*]] = arith.mulf %[[G]], %[[W0]]
// CHECK-NEXT:        %[[S0:.*]] = arith.addf %[[A0]], %[[M0]]
// CHECK-NEXT:        %[[M1:.*]] = arith.mulf %[[G]], %[[W1]]
// CHECK-NEXT:        %[[S1:.*]] = arith.addf %[[A1]], %[[M1]]
// CHECK-NEXT:        %[[M2:.*]] = arith.mulf %[[G]], %[[W2]]
// CHECK-NEXT:        %[[S2:.*]] = arith.addf %[[A2]], %[[M2]]
// CHECK-NEXT:        memref.store %[[S0]], %arg2[%[[S]]]
// CHECK:             %[[NEXT:.*]] = memref.load %arg2[
// CHECK-NEXT:        scf.yield %[[S1]], %[[S2]], %[[NEXT]]
// CHECK-NEXT:      } {edgeft.unroll = 3 : i64}
// CHECK:           memref.load %arg0[%c3]
// CHECK-COUNT-3:   memref.store %{{.*}}, %arg2[%c{{[345]}}]
// CHECK-NOT:     linalg.generic
#dy = affine_map<(d0, d1) -> (d0)>
#w = affine_map<(d0, d1) -> (d1)>
#dx = affine_map<(d0, d1) -> (d0 + d1)>
func.func @scatter(%dy: memref<4xf32>, %w: memref<3xf32>, %dx: memref<6xf32>) {
  linalg.generic {indexing_maps = [#dy, #w, #dx], iterator_types = ["parallel", "reduction"]}
      ins(%dy, %w : memref<4xf32>, memref<3xf32>) outs(%dx : memref<6xf32>) {
  ^bb0(%g: f32, %k: f32, %acc: f32):
    %m = arith.mulf %g, %k : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A convolution's input gradient (the loops n, f, oh, ow, c, kh, kw of
// autodiff): ow slides inside kh, which the row oh + kh fixes for each output
// with oh, so every output keeps its order (f, oh, ow). The loops n, f, oh, c,
// kh stay around the window.
// CHECK-LABEL: func.func @conv_input_gradient
// CHECK:         scf.for %[[F:.*]] = %c0 to %c2 step %c1 {
// CHECK-NEXT:      scf.for %[[OH:.*]] = %c0 to %c4 step %c1 {
// CHECK-NEXT:        scf.for %[[KH:.*]] = %c0 to %c3 step %c1 {
// CHECK-COUNT-3:       memref.load %arg0[%[[F]], %c0, %[[KH]], %c{{[012]}}]
// CHECK:               %[[Y:.*]] = affine.apply #{{.*}}(%[[OH]], %[[KH]])
// CHECK-COUNT-3:       memref.load %arg2[%c0, %c0, %[[Y]], %c{{[012]}}]
// CHECK:               scf.for %[[OW:.*]] = %c0 to %c3 step %c1 iter_args({{.*}}) -> (f32, f32, f32) {
// CHECK-NEXT:            memref.load %arg1[%c0, %[[F]], %[[OH]], %[[OW]]]
// CHECK:                 memref.store %{{.*}}, %arg2[%c0, %c0, %[[Y]], %[[OW]]]
#w = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
#dy = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
#dx = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d4, d2 + d5, d3 + d6)>
func.func @conv_input_gradient(%w: memref<2x1x3x3xf32>, %dy: memref<1x2x4x4xf32>, %dx: memref<1x1x6x6xf32>) {
  linalg.generic {indexing_maps = [#w, #dy, #dx], iterator_types = ["parallel", "reduction", "reduction", "reduction", "parallel", "reduction", "reduction"]}
      ins(%w, %dy : memref<2x1x3x3xf32>, memref<1x2x4x4xf32>) outs(%dx : memref<1x1x6x6xf32>) {
  ^bb0(%k: f32, %g: f32, %acc: f32):
    %m = arith.mulf %g, %k : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Scatters the window cannot take keep their accumulation in memory and are
// left to convert-linalg-to-loops: here f (d1) lies between the slide loop ow
// (d0) and kw (d2) and is not fixed per output, so moving ow inside it would
// reorder each output's sum; a strided window (pooling's gradient, 2 * d0 +
// d1) has no sum of two loops.
// CHECK-LABEL: func.func @scatter_kept
// CHECK-NOT:     scf.execute_region
// CHECK:         linalg.generic
// CHECK:         linalg.generic
#dy = affine_map<(d0, d1, d2) -> (d1, d0)>
#w = affine_map<(d0, d1, d2) -> (d1, d2)>
#dx = affine_map<(d0, d1, d2) -> (d0 + d2)>
#dyp = affine_map<(d0, d1) -> (d0)>
#wp = affine_map<(d0, d1) -> (d1)>
#dxp = affine_map<(d0, d1) -> (d0 * 2 + d1)>
func.func @scatter_kept(%dy: memref<2x4xf32>, %w: memref<2x3xf32>, %dx: memref<6xf32>,
                        %g: memref<3xf32>, %m: memref<2xf32>, %dp: memref<6xf32>) {
  linalg.generic {indexing_maps = [#dy, #w, #dx], iterator_types = ["reduction", "reduction", "reduction"]}
      ins(%dy, %w : memref<2x4xf32>, memref<2x3xf32>) outs(%dx : memref<6xf32>) {
  ^bb0(%a: f32, %k: f32, %acc: f32):
    %p = arith.mulf %a, %k : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#dyp, #wp, #dxp], iterator_types = ["parallel", "reduction"]}
      ins(%g, %m : memref<3xf32>, memref<2xf32>) outs(%dp : memref<6xf32>) {
  ^bb0(%a: f32, %k: f32, %acc: f32):
    %p = arith.mulf %a, %k : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
