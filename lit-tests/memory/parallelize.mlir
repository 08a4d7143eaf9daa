// RUN: edgeft-opt %s --split-input-file -p 'edgeft-parallelize{cores=8}' | filecheck %s
// RUN: edgeft-opt %s --split-input-file -p 'edgeft-parallelize{cores=8 ops=all}' | filecheck %s --check-prefix=ALL

// An elementwise op on L1 splits its first loop over the 8 cores: core c
// takes rows [2c, 2c + 2) of every operand; the region ends in a barrier.
// CHECK-LABEL: func.func @relu
// CHECK:         "pulp.parallel"() ({
// CHECK:         ^bb0(%[[CORE:.*]]: index):
// CHECK:           %[[START:.*]] = arith.muli %[[CORE]], %{{.*}} : index
// CHECK:           %[[IN:.*]] = memref.subview %arg0[%[[START]], 0] [2, 8] [1, 1]
// CHECK:           %[[OUT:.*]] = memref.subview %arg1[%[[START]], 0] [2, 8] [1, 1]
// CHECK:           linalg.generic {{.*}} ins(%[[IN]] : {{.*}}) outs(%[[OUT]] : {{.*}}) attrs = {edgeft.cores = 8 : i64, edgeft.promoted}
// CHECK:           "pulp.barrier"() : () -> ()
// CHECK:           "pulp.yield"() : () -> ()
// CHECK:         }) {cores = 8 : i64} : () -> ()
#id = affine_map<(d0, d1) -> (d0, d1)>
module {
  func.func @relu(%x: memref<16x8xf32, #pulp.level<"L1">>, %y: memref<16x8xf32, #pulp.level<"L1">>) {
    %zero = arith.constant 0.0 : f32
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : memref<16x8xf32, #pulp.level<"L1">>) outs(%y : memref<16x8xf32, #pulp.level<"L1">>) attrs = {edgeft.promoted} {
    ^bb0(%v: f32, %o: f32):
      %r = arith.maximumf %v, %zero : f32
      linalg.yield %r : f32
    }
    return
  }
}

// -----

// The loop that splits over the most cores wins: 6 rows go to 6 cores, but
// 16 columns to 8; a broadcast operand that does not use the loop is shared.
// CHECK-LABEL: func.func @bias
// CHECK:         "pulp.parallel"() ({
// CHECK:           memref.subview %arg1[%{{.*}}] [2] [1]
// CHECK:           memref.subview %arg0[0, %{{.*}}] [6, 2] [1, 1]
// CHECK:         }) {cores = 8 : i64}
#m = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
module {
  func.func @bias(%x: memref<6x16xf32, #pulp.level<"L1">>, %b: memref<16xf32, #pulp.level<"L1">>) {
    linalg.generic {indexing_maps = [#col, #m], iterator_types = ["parallel", "parallel"]} ins(%b : memref<16xf32, #pulp.level<"L1">>) outs(%x : memref<6x16xf32, #pulp.level<"L1">>) attrs = {edgeft.promoted} {
    ^bb0(%v: f32, %o: f32):
      %r = arith.addf %v, %o : f32
      linalg.yield %r : f32
    }
    return
  }
}

// -----

// A sum to a scalar has no parallel loop, a loop read by linalg.index is not
// split (its positions would shift), and ops not promoted to L1 stay as they
// are, unless ops=all (the flat host target) asks for every op.
// CHECK-LABEL: func.func @stays
// CHECK-NOT:     pulp.parallel
// ALL-LABEL:   func.func @stays
// ALL:           "pulp.parallel"() ({
// ALL:             memref.subview %arg2[%{{.*}}] [8] [1] : memref<64xf32> to memref<8xf32, strided<[1], offset: ?>>
// ALL:           }) {cores = 8 : i64}
// ALL-NOT:       pulp.parallel
#in = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>
module {
  func.func @stays(%x: memref<64xf32, #pulp.level<"L1">>, %s: memref<f32, #pulp.level<"L1">>, %y: memref<64xf32>) {
    linalg.generic {indexing_maps = [#in, #scalar], iterator_types = ["reduction"]} ins(%x : memref<64xf32, #pulp.level<"L1">>) outs(%s : memref<f32, #pulp.level<"L1">>) attrs = {edgeft.promoted} {
    ^bb0(%v: f32, %acc: f32):
      %r = arith.addf %v, %acc : f32
      linalg.yield %r : f32
    }
    linalg.generic {indexing_maps = [#in], iterator_types = ["parallel"]} outs(%x : memref<64xf32, #pulp.level<"L1">>) attrs = {edgeft.promoted} {
    ^bb0(%o: f32):
      %i = linalg.index 0 : index
      %c = arith.index_cast %i : index to i32
      %f = arith.sitofp %c : i32 to f32
      linalg.yield %f : f32
    }
    linalg.generic {indexing_maps = [#in], iterator_types = ["parallel"]} outs(%y : memref<64xf32>) {
    ^bb0(%o: f32):
      linalg.yield %o : f32
    }
    return
  }
}

// -----

// A parallel loop an output does not index is not split: every slice would
// write the same elements.
// CHECK-LABEL: func.func @unindexed
// CHECK-NOT:     pulp.parallel
// ALL-LABEL:   func.func @unindexed
// ALL-NOT:       pulp.parallel
#m = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
module {
  func.func @unindexed(%x: memref<1x8xf32, #pulp.level<"L1">>, %y: memref<1xf32, #pulp.level<"L1">>) {
    linalg.generic {indexing_maps = [#m, #row], iterator_types = ["parallel", "parallel"]} ins(%x : memref<1x8xf32, #pulp.level<"L1">>) outs(%y : memref<1xf32, #pulp.level<"L1">>) attrs = {edgeft.promoted} {
    ^bb0(%v: f32, %o: f32):
      linalg.yield %v : f32
    }
    return
  }
}

// -----

// On the host (ops=all) the outermost loop an even count of at least 4 cores
// divides goes first: the batch of 20 over 4 slices of 5, not the 16 channels
// over 8 (each thread keeps its own samples from kernel to kernel). The
// cluster takes the loop with the most cores.
// CHECK-LABEL: func.func @batch_first
// CHECK-NOT:     pulp.parallel
// ALL-LABEL:   func.func @batch_first
// ALL:           "pulp.parallel"() ({
// ALL:             memref.subview %arg0[%{{.*}}, 0] [5, 16] [1, 1] : memref<20x16xf32> to memref<5x16xf32, strided<[16, 1], offset: ?>>
// ALL:           }) {cores = 4 : i64}
#id = affine_map<(d0, d1) -> (d0, d1)>
module {
  func.func @batch_first(%x: memref<20x16xf32>, %y: memref<20x16xf32>) {
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : memref<20x16xf32>) outs(%y : memref<20x16xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = arith.negf %v : f32
      linalg.yield %r : f32
    }
    return
  }
}
