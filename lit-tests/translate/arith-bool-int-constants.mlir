// RUN: edgeft-translate %s --to-c --split-input-file | filecheck %s
// Scalar i1 and integer arith.constant become C literals (softmax inside
// nn.MultiheadAttention imports an `arith.constant true`).

// A boolean constant is C's `true` / `false`.
// CHECK-LABEL: static void edgeft_select_true_fn(
// CHECK:         const float [[S:v[0-9]+]] = true ? [[X:v[0-9]+]] : 0.0f;
module attributes {edgeft.arena = 0 : i64} {
  func.func @select_true(%a: memref<f32>, %out: memref<f32>) {
    %x = memref.load %a[] : memref<f32>
    %t = arith.constant true
    %z = arith.constant 0.0 : f32
    %s = arith.select %t, %x, %z : f32
    memref.store %s, %out[] : memref<f32>
    return
  }
}

// -----

// `false` and an i1 comparison with it.
// CHECK-LABEL: static void edgeft_xor_false_fn(
// CHECK:         = [[P:v[0-9]+]] ^ false;
module attributes {edgeft.arena = 0 : i64} {
  func.func @xor_false(%a: memref<i1>, %out: memref<i1>) {
    %p = memref.load %a[] : memref<i1>
    %f = arith.constant false
    %q = arith.xori %p, %f : i1
    memref.store %q, %out[] : memref<i1>
    return
  }
}

// -----

// The most negative value of a width is its <stdint.h> macro; wide i64
// values use INT64_C; others are plain literals.
// CHECK-LABEL: static void edgeft_int_constants_fn(
// CHECK:         = [[A:v[0-9]+]] + INT64_MIN;
// CHECK:         = {{v[0-9]+}} + INT64_C(4294967296);
// CHECK:         = [[B:v[0-9]+]] + INT32_MIN;
// CHECK:         = {{v[0-9]+}} + -7;
// CHECK:         = [[C:v[0-9]+]] + INT8_MIN;
module attributes {edgeft.arena = 0 : i64} {
  func.func @int_constants(%a: memref<i64>, %b: memref<i32>, %c: memref<i8>,
                           %oa: memref<i64>, %ob: memref<i32>, %oc: memref<i8>) {
    %x = memref.load %a[] : memref<i64>
    %min64 = arith.constant -9223372036854775808 : i64
    %big = arith.constant 4294967296 : i64
    %x1 = arith.addi %x, %min64 : i64
    %x2 = arith.addi %x1, %big : i64
    memref.store %x2, %oa[] : memref<i64>
    %y = memref.load %b[] : memref<i32>
    %min32 = arith.constant -2147483648 : i32
    %m7 = arith.constant -7 : i32
    %y1 = arith.addi %y, %min32 : i32
    %y2 = arith.addi %y1, %m7 : i32
    memref.store %y2, %ob[] : memref<i32>
    %z = memref.load %c[] : memref<i8>
    %min8 = arith.constant -128 : i8
    %z1 = arith.addi %z, %min8 : i8
    memref.store %z1, %oc[] : memref<i8>
    return
  }
}
