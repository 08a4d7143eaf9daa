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

// An output indexed by a reduction loop (a scatter, as a convolution's input
// gradient is) keeps its accumulation in memory: the op is left to
// convert-linalg-to-loops.
// CHECK-LABEL: func.func @scatter
// CHECK-NOT:     scf.execute_region
// CHECK:         linalg.generic
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
