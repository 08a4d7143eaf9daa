// RUN: edgeft-opt %s --split-input-file -p 'edgeft-offload-redmule' | filecheck %s

// A matmul on L1 tiles becomes one RedMulE job. RedMulE's N is the
// reduction: X is M x N (16 x 32), W is N x K (32 x 24); Y = Z = C, so the
// job accumulates into C ("gemm").
// CHECK-LABEL: func.func @matmul
// CHECK-NOT:     linalg.generic
// CHECK:         "redmule.gemm"(%arg0, %arg1, %arg2, %arg2) {format = "fp32", k = 24 : i32, m = 16 : i32, n = 32 : i32, op = "gemm"}
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
module {
  func.func @matmul(%a: memref<16x32xf32, #pulp.level<"L1">>, %b: memref<32x24xf32, #pulp.level<"L1">>, %c: memref<16x24xf32, #pulp.level<"L1">>) {
    linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : memref<16x32xf32, #pulp.level<"L1">>, memref<32x24xf32, #pulp.level<"L1">>) outs(%c : memref<16x24xf32, #pulp.level<"L1">>) attrs = {edgeft.promoted} {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %m = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
    return
  }
}

// -----

// A batched matmul (attention scores) is one job per batch point, each on
// 2-D views of its matrices.
// CHECK-LABEL: func.func @batched
// CHECK:         scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:           %[[X:.*]] = memref.subview %arg0[%[[B]], 0, 0] [1, 8, 4] [1, 1, 1]
// CHECK:           %[[W:.*]] = memref.subview %arg1[%[[B]], 0, 0] [1, 4, 8] [1, 1, 1]
// CHECK:           %[[Z:.*]] = memref.subview %arg2[%[[B]], 0, 0] [1, 8, 8] [1, 1, 1]
// CHECK:           "redmule.gemm"(%[[X]], %[[W]], %[[Z]], %[[Z]]) {format = "fp32", k = 8 : i32, m = 8 : i32, n = 4 : i32, op = "gemm"}
#ba = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#bb = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
#bc = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
module {
  func.func @batched(%a: memref<2x8x4xf32, #pulp.level<"L1">>, %b: memref<2x4x8xf32, #pulp.level<"L1">>, %c: memref<2x8x8xf32, #pulp.level<"L1">>) {
    linalg.generic {indexing_maps = [#ba, #bb, #bc], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%a, %b : memref<2x8x4xf32, #pulp.level<"L1">>, memref<2x4x8xf32, #pulp.level<"L1">>) outs(%c : memref<2x8x8xf32, #pulp.level<"L1">>) attrs = {edgeft.promoted} {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %m = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
    return
  }
}

// -----

// A transposed operand (A read as A[k, m]) and an op outside L1 stay on the cores.
// CHECK-LABEL: func.func @stays
// CHECK-NOT:     redmule.gemm
// CHECK:         linalg.generic
// CHECK:         linalg.generic
#ta = affine_map<(d0, d1, d2) -> (d2, d0)>
#a2 = affine_map<(d0, d1, d2) -> (d0, d2)>
#b2 = affine_map<(d0, d1, d2) -> (d2, d1)>
#c2 = affine_map<(d0, d1, d2) -> (d0, d1)>
module {
  func.func @stays(%a: memref<32x16xf32, #pulp.level<"L1">>, %b: memref<32x24xf32, #pulp.level<"L1">>, %c: memref<16x24xf32, #pulp.level<"L1">>, %d: memref<16x32xf32>, %e: memref<32x24xf32>, %f: memref<16x24xf32>) {
    linalg.generic {indexing_maps = [#ta, #b2, #c2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : memref<32x16xf32, #pulp.level<"L1">>, memref<32x24xf32, #pulp.level<"L1">>) outs(%c : memref<16x24xf32, #pulp.level<"L1">>) attrs = {edgeft.promoted} {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %m = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
    linalg.generic {indexing_maps = [#a2, #b2, #c2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%d, %e : memref<16x32xf32>, memref<32x24xf32>) outs(%f : memref<16x24xf32>) attrs = {edgeft.promoted} {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %m = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
    return
  }
}

// -----

// A convolution tile in L1 goes through im2col: per image, a core kernel
// copies the patches into a column matrix col[(c, kh, kw), (oh, ow)] in L1,
// then one job out[n] (F x OH*OW) += w (F x C*KH*KW) col.
// CHECK-LABEL: func.func @conv
// CHECK:         %[[COL:.*]] = memref.alloc() : memref<2x3x3x6x6xf32, #pulp.level<"L1">>
// CHECK:         scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:           %[[IMG:.*]] = memref.subview %arg0[%[[N]], 0, 0, 0] [1, 2, 8, 8] [1, 1, 1, 1]
// CHECK:           linalg.generic {{.*}} ins(%[[IMG]] : {{.*}}) outs(%[[COL]] : {{.*}}) attrs = {edgeft.promoted}
// CHECK:           %[[X:.*]] = memref.collapse_shape %arg1 {{\[}}[0], [1, 2, 3]] {{.*}} into memref<4x18xf32, #pulp.level<"L1">>
// CHECK:           %[[W:.*]] = memref.collapse_shape %[[COL]] {{\[}}[0, 1, 2], [3, 4]] {{.*}} into memref<18x36xf32, #pulp.level<"L1">>
// CHECK:           %[[Z:.*]] = memref.collapse_shape
// CHECK:           "redmule.gemm"(%[[X]], %[[W]], %[[Z]], %[[Z]]) {format = "fp32", k = 36 : i32, m = 4 : i32, n = 18 : i32, op = "gemm"}
#in = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d4, d2 + d5, d3 + d6)>
#w = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
#out = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
module {
  func.func @conv(%x: memref<2x2x8x8xf32, #pulp.level<"L1">>, %k: memref<4x2x3x3xf32, #pulp.level<"L1">>, %y: memref<2x4x6x6xf32, #pulp.level<"L1">>) {
    linalg.generic {indexing_maps = [#in, #w, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %k : memref<2x2x8x8xf32, #pulp.level<"L1">>, memref<4x2x3x3xf32, #pulp.level<"L1">>) outs(%y : memref<2x4x6x6xf32, #pulp.level<"L1">>) attrs = {edgeft.promoted} {
    ^bb0(%a: f32, %b: f32, %acc: f32):
      %m = arith.mulf %a, %b : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
    return
  }
}
