// RUN: edgeft-opt %s --split-input-file -p 'edgeft-register-block{rows=2 cols=4 vector=8},canonicalize,cse' | filecheck %s

// A matmul whose columns (20) hold two vectors of 8: each of the 2 block rows
// carries one vector accumulator; A is broadcast, B's row loaded as a vector.
// The 4 remainder columns stay scalar blocks.
// CHECK-LABEL: func.func @matmul
// CHECK:         scf.for %[[I:.*]] = %c0 to %c8 step %c2 {
// CHECK:           scf.for %[[J:.*]] = %c0 to %c16 step %c8 {
// CHECK:             %[[C0:.*]] = vector.load %arg2[%[[I]], %[[J]]] : memref<8x20xf32>, vector<8xf32>
// CHECK:             %[[C1:.*]] = vector.load %arg2[%{{.*}}, %[[J]]] : memref<8x20xf32>, vector<8xf32>
// CHECK:             %[[R:.*]]:2 = scf.for %[[K:.*]] = %c0 to %c16 step %c1 iter_args(%[[S0:.*]] = %[[C0]], %[[S1:.*]] = %[[C1]]) -> (vector<8xf32>, vector<8xf32>) {
// CHECK:               %[[A:.*]] = memref.load %arg0[%[[I]], %[[K]]]
// CHECK:               %[[AV:.*]] = vector.broadcast %[[A]] : f32 to vector<8xf32>
// CHECK:               %[[B:.*]] = vector.load %arg1[%[[K]], %[[J]]] : memref<16x20xf32>, vector<8xf32>
// CHECK:               %[[P:.*]] = arith.mulf %[[AV]], %[[B]] : vector<8xf32>
// CHECK:               arith.addf %[[S0]], %[[P]] : vector<8xf32>
// CHECK:             vector.store %[[R]]#0, %arg2[%[[I]], %[[J]]]
// CHECK:             vector.store %[[R]]#1, %arg2[%{{.*}}, %[[J]]]
// CHECK:           scf.for %{{.*}} = %c16 to %c20 step %c1 {
// CHECK-NOT:         vector.
// CHECK:             scf.for {{.*}} -> (f32, f32) {
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

// Five columns (a 5-wide kernel's weight gradient): a vector of 4 lanes and one
// scalar remainder column.
// CHECK-LABEL: func.func @five_columns
// CHECK:         vector.load %arg1{{.*}} : memref<7x5xf32>, vector<4xf32>
// CHECK:         vector.store {{.*}} : memref<3x5xf32>, vector<4xf32>
// CHECK:         memref.load %arg2[%c0, %c4] : memref<3x5xf32>
// CHECK:         scf.for {{.*}} -> (f32, f32) {
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

// A transposed operand (a linear layer's x W^T: W[j, k]) moves by a row with the
// column loop j: no vector, the scalar blocks of before.
// CHECK-LABEL: func.func @transposed
// CHECK-NOT:     vector.
// CHECK:         scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32)
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

// A body the C of a vector does not spell (max pooling's maximumf): scalar.
// CHECK-LABEL: func.func @maximum
// CHECK-NOT:     vector.
// CHECK:         arith.maximumf %{{.*}}, %{{.*}} : f32
#in = affine_map<(d0, d1, d2) -> (d2, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @maximum(%x: memref<4x16xf32>, %y: memref<2x16xf32>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : memref<4x16xf32>) outs(%y : memref<2x16xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %m = arith.maximumf %acc, %a : f32
    linalg.yield %m : f32
  }
  return
}
