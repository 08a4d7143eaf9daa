// RUN: edgeft-translate %s --to-c | filecheck %s
// Bug (emitter.py, _neg): arith.negf of a negative constant prints "-" before
// the inlined literal, `--1.5f`, which C reads as a decrement of a constant
// (a compile error); the operand needs parentheses (or the literal folded).

// Negating an inlined negative constant is valid C.
// CHECK-LABEL: static void edgeft_neg_fn(float *restrict arg0)
// CHECK:         const float [[N:v[0-9]+]] = {{(-\(-1\.5f\)|1\.5f)}};
module attributes {edgeft.arena = 0 : i64} {
  func.func @neg(%out: memref<f32>) {
    %c = arith.constant -1.5 : f32
    %n = arith.negf %c : f32
    memref.store %n, %out[] : memref<f32>
    return
  }
}
