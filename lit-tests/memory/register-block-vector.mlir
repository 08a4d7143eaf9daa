// RUN: edgeft-opt %s --split-input-file -p 'edgeft-register-block{rows=2 cols=4 vector=8},canonicalize,cse' | filecheck %s
// RUN: edgeft-opt %s --split-input-file -p 'edgeft-register-block{rows=2 cols=4 vector=8 vectors=2},canonicalize,cse' | filecheck %s --check-prefix=TWO

// A matmul whose columns (20) are 2.5 vectors of 8: each of the 2 block rows
// carries one vector accumulator of columns 0-7; A is broadcast, B's row
// loaded as a vector. The rest is one block of two vectors per row, columns
// 8-15 and 12-19 (12-15 computed twice alike): no scalar remainder.
// CHECK-LABEL: func.func @matmul
// CHECK:         scf.for %[[I:.*]] = %c0 to %c8 step %c2 {
// CHECK:           %[[C0:.*]] = vector.load %arg2[%[[I]], %c0] : memref<8x20xf32>, vector<8xf32>
// CHECK:           %[[C1:.*]] = vector.load %arg2[%{{.*}}, %c0] : memref<8x20xf32>, vector<8xf32>
// CHECK:           %[[R:.*]]:2 = scf.for %[[K:.*]] = %c0 to %c16 step %c1 iter_args(%[[S0:.*]] = %[[C0]], %[[S1:.*]] = %[[C1]]) -> (vector<8xf32>, vector<8xf32>) {
// CHECK:             %[[A:.*]] = memref.load %arg0[%[[I]], %[[K]]]
// CHECK:             %[[AV:.*]] = vector.broadcast %[[A]] : f32 to vector<8xf32>
// CHECK:             %[[B:.*]] = vector.load %arg1[%[[K]], %c0] : memref<16x20xf32>, vector<8xf32>
// CHECK:             %[[P:.*]] = arith.mulf %[[AV]], %[[B]] : vector<8xf32>
// CHECK:             arith.addf %[[S0]], %[[P]] : vector<8xf32>
// CHECK:           vector.store %[[R]]#0, %arg2[%[[I]], %c0]
// CHECK:           vector.store %[[R]]#1, %arg2[%{{.*}}, %c0]
// CHECK:         scf.for %[[I2:.*]] = %c0 to %c8 step %c2 {
// CHECK:           vector.load %arg2[%[[I2]], %c8] : memref<8x20xf32>, vector<8xf32>
// CHECK:           vector.load %arg2[%[[I2]], %c12] : memref<8x20xf32>, vector<8xf32>
// CHECK:           scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// CHECK:           vector.store %{{.*}}#1, %arg2[%[[I2]], %c12]
// CHECK-NOT:     memref.store
// With two vectors a row (vectors=2) the 20 columns are one block of three,
// at 0, 8 and 12.
// TWO-LABEL: func.func @matmul
// TWO:         scf.for %[[I:.*]] = %c0 to %c8 step %c2 {
// TWO:           scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// TWO:           vector.store %{{.*}}, %arg2[%[[I]], %c12]
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @matmul(%a: memref<8x16xf32>, %b: memref<16x20xf32>, %c: memref<8x20xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<8x16xf32>, memref<16x20xf32>) outs(%c : memref<8x20xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A convolution: the input's innermost index ow + kw moves by one with ow, so
// its 8 columns load as one vector at ow + kw; the weight is broadcast.
// CHECK-LABEL: func.func @conv
// CHECK:         scf.for %[[OW:.*]] = %c0 to %c16 step %c8 {
// CHECK:           scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>) {
// CHECK-NEXT:        scf.for %[[KW:.*]] = %c0 to %c3 step %c1 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>) {
// CHECK:             affine.apply
// CHECK:             %[[AT:.*]] = affine.apply #{{.*}}(%[[OW]], %[[KW]])
// CHECK:             vector.load %arg0[%{{.*}}, %{{.*}}, %{{.*}}, %[[AT]]] : memref<1x2x6x18xf32>, vector<8xf32>
// CHECK:             memref.load %arg1
// CHECK-NEXT:        vector.broadcast
#in = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, c, oh + kh, ow + kw)>
#w = affine_map<(n, f, oh, ow, c, kh, kw) -> (f, c, kh, kw)>
#out = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, f, oh, ow)>
func.func @conv(%x: memref<1x2x6x18xf32>, %w: memref<2x2x3x3xf32>, %y: memref<1x2x4x16xf32>) {
  linalg.generic {indexing_maps = [#in, #w, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : memref<1x2x6x18xf32>, memref<2x2x3x3xf32>) outs(%y : memref<1x2x4x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Five columns (a 5-wide kernel's weight gradient): two vectors of 4 lanes,
// columns 0-3 and 1-4.
// CHECK-LABEL: func.func @five_columns
// CHECK:         vector.load %arg2[%c0, %c0] : memref<3x5xf32>, vector<4xf32>
// CHECK-NEXT:    vector.load %arg2[%c0, %c1] : memref<3x5xf32>, vector<4xf32>
// CHECK:         vector.store {{.*}}, %arg2[%c0, %c1] : memref<3x5xf32>, vector<4xf32>
// CHECK-NOT:     memref.store
#a = affine_map<(d0, d1, d2) -> (d2, d0)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @five_columns(%a: memref<7x3xf32>, %b: memref<7x5xf32>, %c: memref<3x5xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<7x3xf32>, memref<7x5xf32>) outs(%c : memref<3x5xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A transposed operand (a linear layer's x W^T: W[j, k]) moves by a row per
// column: its lanes are gathered, loaded one by one, once for both block rows.
// CHECK-LABEL: func.func @transposed
// CHECK:         scf.for %[[K:.*]] = %c0 to %c16 step %c1 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>) {
// CHECK:           %[[W0:.*]] = memref.load %arg1[%c0, %[[K]]] : memref<8x16xf32>
// CHECK:           %[[W7:.*]] = memref.load %arg1[%c7, %[[K]]] : memref<8x16xf32>
// CHECK-NEXT:      %[[W:.*]] = vector.from_elements %[[W0]], {{.*}}, %[[W7]] : vector<8xf32>
// CHECK:           arith.mulf %{{.*}}, %[[W]] : vector<8xf32>
// CHECK-NOT:       vector.from_elements
// CHECK:           arith.mulf %{{.*}}, %[[W]] : vector<8xf32>
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#bt = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @transposed(%a: memref<2x16xf32>, %b: memref<8x16xf32>, %c: memref<2x8xf32>) {
  linalg.generic {indexing_maps = [#a, #bt, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<2x16xf32>, memref<8x16xf32>) outs(%c : memref<2x8xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Max pooling: 2 * ow + kw moves by two elements per column (gathered), and
// maximumf is a vector op.
// CHECK-LABEL: func.func @max_pool
// CHECK:         vector.from_elements {{.*}} : vector<8xf32>
// CHECK-NEXT:    arith.maximumf %{{.*}}, %{{.*}} : vector<8xf32>
#in = affine_map<(d0, d1, d2) -> (d0, 2 * d1 + d2)>
#window = affine_map<(d0, d1, d2) -> (d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @max_pool(%x: memref<2x16xf32>, %w: memref<2xf32>, %y: memref<2x8xf32>) {
  linalg.generic {indexing_maps = [#in, #window, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<2x16xf32>, memref<2xf32>) outs(%y : memref<2x8xf32>) {
  ^bb0(%a: f32, %unused: f32, %acc: f32):
    %m = arith.maximumf %acc, %a : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// A body the C of a vector does not spell (softmax's sum of exponentials):
// scalar blocks.
// CHECK-LABEL: func.func @exp_sum
// CHECK-NOT:     vector.
// CHECK:         math.exp %{{.*}} : f32
#in = affine_map<(d0, d1, d2) -> (d2, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @exp_sum(%x: memref<4x16xf32>, %y: memref<2x16xf32>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : memref<4x16xf32>) outs(%y : memref<2x16xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %e = math.exp %a : f32
    %s = arith.addf %acc, %e : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A convolution's input gradient (dx[.., oh + kh, ow + kw] += dy[.., oh, ow] *
// w[.., kh, kw]): a dx row of 14 is two vectors (0-7, 6-13) carried through kw
// from 4 down to 0, each adding dy shifted by kw (lanes before or after dy's
// row take +0) times w broadcast; the shifted dy are built once per dy row,
// outside the c and kh loops.
// CHECK-LABEL: func.func @conv_input_gradient
// CHECK:         scf.for %[[OH:.*]] = %c0 to %c10 step %c1 {
// CHECK:           %[[DY0:.*]] = vector.load %arg1[%{{.*}}, %{{.*}}, %[[OH]], %c0] : memref<2x4x10x10xf32>, vector<8xf32>
// CHECK:           vector.from_elements {{.*}}, %cst, %cst, %cst, %cst : vector<8xf32>
// CHECK:           scf.for %[[C:.*]] = %c0 to %c3 step %c1 {
// CHECK-NEXT:        scf.for %[[KH:.*]] = %c0 to %c5 step %c1 {
// CHECK:               %[[ROW:.*]] = affine.apply #{{.*}}(%[[OH]], %[[KH]])
// CHECK-NEXT:          %[[A:.*]] = vector.load %arg2[%{{.*}}, %[[C]], %[[ROW]], %c0] : memref<2x3x14x14xf32>, vector<8xf32>
// CHECK-NEXT:          %[[B:.*]] = vector.load %arg2[%{{.*}}, %[[C]], %[[ROW]], %c6] : memref<2x3x14x14xf32>, vector<8xf32>
// CHECK-NEXT:          memref.load %arg0[%{{.*}}, %[[C]], %[[KH]], %c4]
// CHECK:               memref.load %arg0[%{{.*}}, %[[C]], %[[KH]], %c0]
// CHECK-NEXT:          vector.broadcast
// CHECK-NEXT:          arith.mulf %[[DY0]], %{{.*}} : vector<8xf32>
// CHECK:               vector.store %{{.*}}, %arg2[%{{.*}}, %[[C]], %[[ROW]], %c0]
// CHECK-NEXT:          vector.store %{{.*}}, %arg2[%{{.*}}, %[[C]], %[[ROW]], %c6]
#w = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
#dy = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
#dx = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d4, d2 + d5, d3 + d6)>
func.func @conv_input_gradient(%w: memref<4x3x5x5xf32>, %dy: memref<2x4x10x10xf32>, %dx: memref<2x3x14x14xf32>) {
  linalg.generic {indexing_maps = [#w, #dy, #dx], iterator_types = ["parallel", "reduction", "reduction", "reduction", "parallel", "reduction", "reduction"]}
      ins(%w, %dy : memref<4x3x5x5xf32>, memref<2x4x10x10xf32>) outs(%dx : memref<2x3x14x14xf32>) {
  ^bb0(%k: f32, %g: f32, %acc: f32):
    %m = arith.mulf %g, %k : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The output's innermost loop has extent 1, so the column loop is i, along
// which the output moves by a row: it is no vector row, the blocks stay scalar.
// CHECK-LABEL: func.func @column_not_a_row
// CHECK-NOT:     vector.
// CHECK:         return
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @column_not_a_row(%a: memref<12x2xf32>, %b: memref<2x1xf32>, %c: memref<12x1xf32, strided<[8, 1]>>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<12x2xf32>, memref<2x1xf32>) outs(%c : memref<12x1xf32, strided<[8, 1]>>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  }
  return
}
