// RUN: edgeft-opt %s --split-input-file -p edgeft-fuse-elementwise | filecheck %s

// A LayerNorm-like chain: x - mean (the mean read per row, a broadcast), the
// square, the row sum. The subtraction and the square fuse into the sum,
// which reads x and the mean itself; nothing in between is a tensor. x is
// read by the first producer only, once.
// CHECK-LABEL: func.func @chain_into_reduction
// CHECK-SAME:    (%[[X:.*]]: tensor<4x8xf32>, %[[M:.*]]: tensor<4xf32>, %[[ACC:.*]]: tensor<4xf32>)
// CHECK:         %[[S:.*]] = linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK-SAME:      ins(%[[X]], %[[M]] : tensor<4x8xf32>, tensor<4xf32>) outs(%[[ACC]] : tensor<4xf32>)
// CHECK-SAME:      edgeft.fused = 3
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %[[MEAN:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[IN]], %[[MEAN]] : f32
// CHECK-NEXT:      %[[SQ:.*]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK-NEXT:      %[[SUM:.*]] = arith.addf %[[SQ]], %[[OUT]] : f32
// CHECK-NEXT:      linalg.yield %[[SUM]] : f32
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[S]]
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @chain_into_reduction(%x: tensor<4x8xf32>, %m: tensor<4xf32>,
                                %acc: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %d = linalg.generic {indexing_maps = [#id, #row, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x, %m : tensor<4x8xf32>, tensor<4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %0 = arith.subf %a, %b : f32
    linalg.yield %0 : f32
  } -> tensor<4x8xf32>
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%d : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %0 = arith.mulf %a, %a : f32
    linalg.yield %0 : f32
  } -> tensor<4x8xf32>
  %s = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%sq : tensor<4x8xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %0 = arith.addf %a, %o : f32
    linalg.yield %0 : f32
  } -> tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

// A transposed read: the producer's loops are the consumer's swapped, and
// its input map is composed with the swap.
// CHECK-DAG:   #[[T:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-DAG:   #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @permuted
// CHECK-SAME:    (%[[A:.*]]: tensor<4x8xf32>)
// CHECK:         linalg.generic {indexing_maps = [#[[T]], #[[ID]], #[[ID]]]
// CHECK-SAME:      ins(%[[A]], %{{.*}} : tensor<4x8xf32>, tensor<8x4xf32>)
// CHECK:           math.exp
// CHECK:           arith.addf
// CHECK-NOT:     linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
func.func @permuted(%a: tensor<4x8xf32>) -> tensor<8x4xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %f = tensor.empty() : tensor<8x4xf32>
  %b = arith.constant dense<1.0> : tensor<8x4xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%i: f32, %o: f32):
    %0 = math.exp %i : f32
    linalg.yield %0 : f32
  } -> tensor<4x8xf32>
  %y = linalg.generic {indexing_maps = [#t, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<4x8xf32>, tensor<8x4xf32>) outs(%f : tensor<8x4xf32>) {
  ^bb0(%i: f32, %j: f32, %o: f32):
    %0 = arith.addf %i, %j : f32
    linalg.yield %0 : f32
  } -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

// What stays apart: a producer read per row of a wider space (fusing would
// recompute it per element), a producer with two readers, a producer that
// reads its init, and a matmul's operands (a contraction reads them through
// projections; the named op is no generic either).
// CHECK-LABEL: func.func @unfused
// CHECK-COUNT-5: linalg.generic
// CHECK-NOT:     linalg.generic
// CHECK:         linalg.matmul
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#v = affine_map<(d0) -> (d0)>
func.func @unfused(%x: tensor<4x8xf32>, %v: tensor<4xf32>, %w: tensor<8x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %ev = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%v : tensor<4xf32>) outs(%ev : tensor<4xf32>) {
  ^bb0(%i: f32, %o: f32):
    %0 = math.rsqrt %i : f32
    linalg.yield %0 : f32
  } -> tensor<4xf32>
  %n = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %r : tensor<4x8xf32>, tensor<4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%i: f32, %s: f32, %o: f32):
    %0 = arith.mulf %i, %s : f32
    linalg.yield %0 : f32
  } -> tensor<4x8xf32>
  %acc = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<4x8xf32>) outs(%x : tensor<4x8xf32>) {
  ^bb0(%i: f32, %o: f32):
    %0 = arith.addf %i, %o : f32
    linalg.yield %0 : f32
  } -> tensor<4x8xf32>
  %neg = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%acc : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%i: f32, %o: f32):
    %0 = arith.negf %i : f32
    linalg.yield %0 : f32
  } -> tensor<4x8xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%neg : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%i: f32, %o: f32):
    %zero = arith.constant 0.0 : f32
    %0 = arith.maximumf %i, %zero : f32
    linalg.yield %0 : f32
  } -> tensor<4x8xf32>
  %mm = linalg.matmul ins(%relu, %w : tensor<4x8xf32>, tensor<8x8xf32>)
      outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %neg, %mm, %n : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// An input the producer and the consumer both read through the same map
// is read once: exp(a) + a reads a alone.
// CHECK-LABEL: func.func @shared_input
// CHECK-SAME:    (%[[A:.*]]: tensor<16xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[A]] : tensor<16xf32>) outs(
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[IN]] : f32
// CHECK-NEXT:      arith.addf %[[E]], %[[IN]] : f32
#v = affine_map<(d0) -> (d0)>
func.func @shared_input(%a: tensor<16xf32>) -> tensor<16xf32> {
  %e = tensor.empty() : tensor<16xf32>
  %x = linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%a : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%i: f32, %o: f32):
    %0 = math.exp %i : f32
    linalg.yield %0 : f32
  } -> tensor<16xf32>
  %y = linalg.generic {indexing_maps = [#v, #v, #v], iterator_types = ["parallel"]}
      ins(%x, %a : tensor<16xf32>, tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%i: f32, %j: f32, %o: f32):
    %0 = arith.addf %i, %j : f32
    linalg.yield %0 : f32
  } -> tensor<16xf32>
  return %y : tensor<16xf32>
}
