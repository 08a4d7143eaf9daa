// RUN: edgeft-opt %s --split-input-file -p edgeft-update-in-place | filecheck %s

// An SGD step: the update reads the global and writes it, element by element;
// the buffer and its copy over the global are gone.
// CHECK-LABEL: func.func @sgd
// CHECK-SAME:    (%[[GRAD:.*]]: memref<10xf32>)
// CHECK-NEXT:    %[[W:.*]] = memref.get_global @fc.bias : memref<10xf32>
// CHECK-NEXT:    %[[G:.*]] = memref.get_global @fc.bias : memref<10xf32>
// CHECK-NEXT:    linalg.generic {{.*}} ins(%[[W]], %[[GRAD]] : memref<10xf32>, memref<10xf32>) outs(%[[G]] : memref<10xf32>)
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     memref.copy
// CHECK:         return
#id = affine_map<(d0) -> (d0)>
memref.global "private" @fc.bias : memref<10xf32> = dense<0.5>
func.func @sgd(%grad: memref<10xf32>) {
  %w = memref.get_global @fc.bias : memref<10xf32>
  %a = memref.alloc() : memref<10xf32>
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%w, %grad : memref<10xf32>, memref<10xf32>) outs(%a : memref<10xf32>) {
  ^bb0(%v: f32, %d: f32, %o: f32):
    %lr = arith.constant -0.1 : f32
    %s = arith.mulf %d, %lr : f32
    %n = arith.addf %v, %s : f32
    linalg.yield %n : f32
  }
  %g = memref.get_global @fc.bias : memref<10xf32>
  memref.copy %a, %g : memref<10xf32> to memref<10xf32>
  memref.dealloc %a : memref<10xf32>
  return
}

// -----

// The global is read between the update and the copy: that read must see the
// old values, so the update keeps its buffer.
// CHECK-LABEL: func.func @read_between
// CHECK:         memref.alloc
// CHECK:         memref.copy %{{.*}}, %{{.*}} : memref<4xf32> to memref<4xf32>
// CHECK:         memref.copy
#id = affine_map<(d0) -> (d0)>
memref.global "private" @w : memref<4xf32> = dense<0.5>
func.func @read_between(%out: memref<4xf32>) {
  %w = memref.get_global @w : memref<4xf32>
  %a = memref.alloc() : memref<4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%w : memref<4xf32>) outs(%a : memref<4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  }
  %r = memref.get_global @w : memref<4xf32>
  memref.copy %r, %out : memref<4xf32> to memref<4xf32>
  %g = memref.get_global @w : memref<4xf32>
  memref.copy %a, %g : memref<4xf32> to memref<4xf32>
  return
}

// -----

// A transpose is not elementwise: element (i, j) of the result reads (j, i)
// of the global, which an in-place write may already have changed.
// CHECK-LABEL: func.func @transpose
// CHECK:         memref.alloc
// CHECK:         memref.copy
#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
memref.global "private" @m : memref<4x4xf32> = dense<0.5>
func.func @transpose() {
  %w = memref.get_global @m : memref<4x4xf32>
  %a = memref.alloc() : memref<4x4xf32>
  linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]} ins(%w : memref<4x4xf32>) outs(%a : memref<4x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  %g = memref.get_global @m : memref<4x4xf32>
  memref.copy %a, %g : memref<4x4xf32> to memref<4x4xf32>
  return
}

// -----

// The update reads the global through a view (a transposed one) with identity
// maps: element (i, j) reads (j, i) of the global, so it stays.
// CHECK-LABEL: func.func @view
// CHECK:         memref.alloc
// CHECK:         memref.copy
#id = affine_map<(d0, d1) -> (d0, d1)>
memref.global "private" @m : memref<4x4xf32> = dense<0.5>
func.func @view() {
  %w = memref.get_global @m : memref<4x4xf32>
  %t = memref.transpose %w (i, j) -> (j, i) : memref<4x4xf32> to memref<4x4xf32, strided<[1, 4]>>
  %a = memref.alloc() : memref<4x4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%t : memref<4x4xf32, strided<[1, 4]>>) outs(%a : memref<4x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  %g = memref.get_global @m : memref<4x4xf32>
  memref.copy %a, %g : memref<4x4xf32> to memref<4x4xf32>
  return
}

// -----

// SGD with momentum: the new velocity reaches its global through a second
// buffer and the weight update reads it after the copy; both updates write
// their globals, and the weight update reads the velocity's global.
// CHECK-LABEL: func.func @momentum
// CHECK-SAME:    (%[[GRAD:.*]]: memref<4xf32>)
// CHECK:         %[[V:.*]] = memref.get_global @v : memref<4xf32>
// CHECK:         %[[VG:.*]] = memref.get_global @v : memref<4xf32>
// CHECK-NEXT:    linalg.generic {{.*}} ins(%[[V]], %[[GRAD]] : {{.*}}) outs(%[[VG]] : memref<4xf32>)
// CHECK:         %[[WG:.*]] = memref.get_global @w : memref<4xf32>
// CHECK-NEXT:    linalg.generic {{.*}} ins(%{{.*}}, %[[VG]] : {{.*}}) outs(%[[WG]] : memref<4xf32>)
// CHECK-NOT:     memref.copy
// CHECK-NOT:     memref.alloc
// CHECK:         return
#id = affine_map<(d0) -> (d0)>
memref.global "private" @w : memref<4xf32> = dense<0.5>
memref.global "private" @v : memref<4xf32> = dense<0.0>
func.func @momentum(%grad: memref<4xf32>) {
  %w = memref.get_global @w : memref<4xf32>
  %v = memref.get_global @v : memref<4xf32>
  %nv = memref.alloc() : memref<4xf32>
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%v, %grad : memref<4xf32>, memref<4xf32>) outs(%nv : memref<4xf32>) {
  ^bb0(%a: f32, %d: f32, %o: f32):
    %m = arith.constant 0.9 : f32
    %s = arith.mulf %a, %m : f32
    %n = arith.addf %s, %d : f32
    linalg.yield %n : f32
  }
  %staged = memref.alloc() : memref<4xf32>
  memref.copy %nv, %staged : memref<4xf32> to memref<4xf32>
  %vg = memref.get_global @v : memref<4xf32>
  memref.copy %staged, %vg : memref<4xf32> to memref<4xf32>
  %nw = memref.alloc() : memref<4xf32>
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%w, %nv : memref<4xf32>, memref<4xf32>) outs(%nw : memref<4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %lr = arith.constant -0.1 : f32
    %s = arith.mulf %b, %lr : f32
    %n = arith.addf %a, %s : f32
    linalg.yield %n : f32
  }
  %wg = memref.get_global @w : memref<4xf32>
  memref.copy %nw, %wg : memref<4xf32> to memref<4xf32>
  return
}
