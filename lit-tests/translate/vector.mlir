// RUN: edgeft-translate %s --to-c --split-input-file | filecheck %s

// A vector block (edgeft-register-block{vector=N} on the host): vector<8xf32>
// is edgeft_v8f (edgeft_vector.h), its loads and stores go through the
// unaligned type, a broadcast is a literal of the scalar in every lane, and
// its arithmetic is C's operators lane by lane.
// CHECK-LABEL: static void k0_axpy(
// CHECK:         const edgeft_v8f [[Y:v[0-9]+]] = EDGEFT_VLOAD(edgeft_v8f, &arg2[{{.*}}]);
// CHECK-NEXT:    edgeft_v8f [[ACC:acc[0-9]+]] = [[Y]];
// CHECK-NEXT:    for (long [[K:i[0-9]+]] = 0; [[K]] < 4; [[K]] += 1) {
// CHECK-NEXT:        const float [[A:v[0-9]+]] = arg0[[[K]]];
// CHECK-NEXT:        const edgeft_v8f [[AV:v[0-9]+]] = (edgeft_v8f){[[A]], [[A]], [[A]], [[A]], [[A]], [[A]], [[A]], [[A]]};
// CHECK-NEXT:        const edgeft_v8f [[X:v[0-9]+]] = EDGEFT_VLOAD(edgeft_v8f, &arg1[[[K]] * 8 + 0]);
// CHECK-NEXT:        const edgeft_v8f [[P:v[0-9]+]] = [[AV]] * [[X]];
// CHECK-NEXT:        const edgeft_v8f [[S:v[0-9]+]] = [[ACC]] + [[P]];
// CHECK-NEXT:        [[ACC]] = [[S]];
// CHECK-NEXT:    }
// CHECK-NEXT:    EDGEFT_VSTORE(edgeft_v8f, &arg2[{{.*}}], [[ACC]]);
module attributes {edgeft.arena = 0 : i64} {
  func.func @axpy(%a: memref<4xf32>, %x: memref<4x8xf32>, %y: memref<8xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    scf.execute_region no_inline {
      %init = vector.load %y[%c0] : memref<8xf32>, vector<8xf32>
      %r = scf.for %k = %c0 to %c4 step %c1 iter_args(%acc = %init) -> (vector<8xf32>) {
        %s = memref.load %a[%k] : memref<4xf32>
        %sv = vector.broadcast %s : f32 to vector<8xf32>
        %v = vector.load %x[%k, %c0] : memref<4x8xf32>, vector<8xf32>
        %p = arith.mulf %sv, %v : vector<8xf32>
        %n = arith.addf %acc, %p : vector<8xf32>
        scf.yield %n : vector<8xf32>
      }
      vector.store %r, %y[%c0] : memref<8xf32>, vector<8xf32>
      scf.yield
    }
    return
  }
}
