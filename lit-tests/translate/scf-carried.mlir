// RUN: edgeft-translate %s --to-c --split-input-file | filecheck %s

// Loop-carried values are C locals declared before the loop, assigned at its
// yield; the loop's results are those locals. An execute_region is a C block,
// and at function level its own kernel.
// CHECK-LABEL: static void k0_row_sum(
// CHECK:         {
// CHECK:           const float [[INIT:v[0-9]+]] = arg1[0];
// CHECK-NEXT:      float [[ACC:acc[0-9]+]] = [[INIT]];
// CHECK-NEXT:      for (long [[K:i[0-9]+]] = 0; [[K]] < 8; [[K]] += 1) {
// CHECK-NEXT:          const float [[X:v[0-9]+]] = arg0[[[K]]];
// CHECK-NEXT:          const float [[S:v[0-9]+]] = [[ACC]] + [[X]];
// CHECK-NEXT:          [[ACC]] = [[S]];
// CHECK-NEXT:      }
// CHECK-NEXT:      arg1[0] = [[ACC]];
// CHECK-NEXT:  }
module attributes {edgeft.arena = 0 : i64} {
  func.func @row_sum(%x: memref<8xf32>, %y: memref<1xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    scf.execute_region no_inline {
      %init = memref.load %y[%c0] : memref<1xf32>
      %r = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %init) -> (f32) {
        %v = memref.load %x[%k] : memref<8xf32>
        %s = arith.addf %acc, %v : f32
        scf.yield %s : f32
      }
      memref.store %r, %y[%c0] : memref<1xf32>
      scf.yield
    }
    return
  }
}

// -----

// A yield that swaps two carried values goes through temporaries; a loop
// whose results the function reads stays in the function.
// CHECK-LABEL: static void edgeft_swap_fn
// CHECK:         float [[A:acc[0-9]+]] = 1.0f;
// CHECK-NEXT:    float [[B:acc[0-9]+]] = 2.0f;
// CHECK-NEXT:    for (long
// CHECK-NEXT:      const float [[T1:t[0-9]+]] = [[B]];
// CHECK-NEXT:      const float [[T2:t[0-9]+]] = [[A]];
// CHECK-NEXT:      [[A]] = [[T1]];
// CHECK-NEXT:      [[B]] = [[T2]];
// CHECK-NEXT:    }
// CHECK-NEXT:    arg0[0] = [[A]];
// CHECK-NEXT:    arg0[1] = [[B]];
module attributes {edgeft.arena = 0 : i64} {
  func.func @swap(%y: memref<2xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c3 = arith.constant 3 : index
    %a0 = arith.constant 1.0 : f32
    %b0 = arith.constant 2.0 : f32
    %r:2 = scf.for %k = %c0 to %c3 step %c1 iter_args(%a = %a0, %b = %b0) -> (f32, f32) {
      scf.yield %b, %a : f32, f32
    }
    memref.store %r#0, %y[%c0] : memref<2xf32>
    memref.store %r#1, %y[%c1] : memref<2xf32>
    return
  }
}

// -----

// A loop's edgeft.unroll (edgeft-register-block's sliding window) is a pragma
// that gcc and clang both read, right before the loop.
// CHECK-LABEL: static void k0_unrolled(
// CHECK:         float [[ACC:acc[0-9]+]] = 0.0f;
// CHECK-NEXT:    #pragma GCC unroll 5
// CHECK-NEXT:    for (long [[K:i[0-9]+]] = 0; [[K]] < 8; [[K]] += 1) {
module attributes {edgeft.arena = 0 : i64} {
  func.func @unrolled(%x: memref<8xf32>, %y: memref<1xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    %zero = arith.constant 0.0 : f32
    scf.execute_region no_inline {
      %r = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
        %v = memref.load %x[%k] : memref<8xf32>
        %s = arith.addf %acc, %v : f32
        scf.yield %s : f32
      } {edgeft.unroll = 5 : i64}
      memref.store %r, %y[%c0] : memref<1xf32>
      scf.yield
    }
    return
  }
}
