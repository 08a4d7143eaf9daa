// RUN: edgeft-opt %s -p 'builtin.module(canonicalize,edgeft-param-summary,func.func(cse))' | filecheck %s
// RUN: edgeft-opt %s --pass-pipeline='canonicalize, edgeft-param-summary' | filecheck %s
// RUN: edgeft-opt < %s -p 'canonicalize,edgeft-param-summary' -o %t.mlir | filecheck %s --check-prefix=TABLE
// RUN: filecheck %s --input-file=%t.mlir --check-prefix=FOLDED
// RUN: edgeft-opt %s | filecheck %s --check-prefix=UNCHANGED

// Upstream and edgeft passes run in one pipeline, in order.
// CHECK:      fc.bias  fc  bias  4  4  16  no
// CHECK:      func.func @fold
// CHECK-NEXT: %[[C:.*]] = arith.constant 5 : i32
// CHECK-NEXT: return %[[C]] : i32
// TABLE:      total: 1 globals, 4 params, 16 bytes; trainable: 0 params, 0 bytes
// TABLE-NOT:  func.func
// FOLDED:     arith.constant 5 : i32
// UNCHANGED:  arith.addi
ml_program.global private mutable @"fc.bias"(dense<0.0> : tensor<4xf32>) : tensor<4xf32>
func.func @fold() -> i32 {
  %a = arith.constant 2 : i32
  %b = arith.constant 3 : i32
  %c = arith.addi %a, %b : i32
  return %c : i32
}
