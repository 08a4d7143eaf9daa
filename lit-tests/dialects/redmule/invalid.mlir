// RUN: edgeft-opt %s --split-input-file --verify-diagnostics

// A job needs at least X, W and Z.
func.func @too_few_operands(%x: memref<4x8xf32, #pulp.level<"L1">>, %w: memref<8x4xf32, #pulp.level<"L1">>) {
  // expected-error@+1 {{op expects at least 3 operands, but got 2}}
  "redmule.gemm"(%x, %w) {m = 4 : i32, n = 8 : i32, k = 4 : i32, op = "matmul", format = "fp32"} : (memref<4x8xf32, #pulp.level<"L1">>, memref<8x4xf32, #pulp.level<"L1">>) -> ()
  return
}

// -----

// The sizes go to the job registers, so they must be there.
func.func @missing_k(%x: memref<4x8xf32, #pulp.level<"L1">>, %w: memref<8x4xf32, #pulp.level<"L1">>, %z: memref<4x4xf32, #pulp.level<"L1">>) {
  // expected-error@+1 {{attribute "k" is expected but not provided}}
  "redmule.gemm"(%x, %w, %z) {m = 4 : i32, n = 8 : i32, op = "matmul", format = "fp32"} : (memref<4x8xf32, #pulp.level<"L1">>, memref<8x4xf32, #pulp.level<"L1">>, memref<4x4xf32, #pulp.level<"L1">>) -> ()
  return
}

// -----

// The operation is matmul or gemm.
func.func @unknown_op(%x: memref<4x8xf32, #pulp.level<"L1">>, %w: memref<8x4xf32, #pulp.level<"L1">>, %z: memref<4x4xf32, #pulp.level<"L1">>) {
  // expected-error@+1 {{'"conv"' does not satisfy the constraint}}
  "redmule.gemm"(%x, %w, %z) {m = 4 : i32, n = 8 : i32, k = 4 : i32, op = "conv", format = "fp32"} : (memref<4x8xf32, #pulp.level<"L1">>, memref<8x4xf32, #pulp.level<"L1">>, memref<4x4xf32, #pulp.level<"L1">>) -> ()
  return
}

// -----

// The format is fp32 or fp16.
func.func @unknown_format(%x: memref<4x8xf32, #pulp.level<"L1">>, %w: memref<8x4xf32, #pulp.level<"L1">>, %z: memref<4x4xf32, #pulp.level<"L1">>) {
  // expected-error@+1 {{'"bf16"' does not satisfy the constraint}}
  "redmule.gemm"(%x, %w, %z) {m = 4 : i32, n = 8 : i32, k = 4 : i32, op = "matmul", format = "bf16"} : (memref<4x8xf32, #pulp.level<"L1">>, memref<8x4xf32, #pulp.level<"L1">>, memref<4x4xf32, #pulp.level<"L1">>) -> ()
  return
}

// -----

// A gemm accumulates onto Y.
func.func @gemm_without_y(%x: memref<4x8xf32, #pulp.level<"L1">>, %w: memref<8x4xf32, #pulp.level<"L1">>, %z: memref<4x4xf32, #pulp.level<"L1">>) {
  // expected-error@+1 {{'redmule.gemm' op with op "gemm" requires the accumulator operand Y}}
  "redmule.gemm"(%x, %w, %z) {m = 4 : i32, n = 8 : i32, k = 4 : i32, op = "gemm", format = "fp32"} : (memref<4x8xf32, #pulp.level<"L1">>, memref<8x4xf32, #pulp.level<"L1">>, memref<4x4xf32, #pulp.level<"L1">>) -> ()
  return
}

// -----

// The sizes and the operand shapes agree: Z = X(MxN) W(NxK).
func.func @shape_mismatch(%x: memref<4x8xf32, #pulp.level<"L1">>, %w: memref<8x4xf32, #pulp.level<"L1">>, %z: memref<4x4xf32, #pulp.level<"L1">>) {
  // expected-error@+1 {{'redmule.gemm' op requires W of shape 8x5, got 8x4}}
  "redmule.gemm"(%x, %w, %z) {m = 4 : i32, n = 8 : i32, k = 5 : i32, op = "matmul", format = "fp32"} : (memref<4x8xf32, #pulp.level<"L1">>, memref<8x4xf32, #pulp.level<"L1">>, memref<4x4xf32, #pulp.level<"L1">>) -> ()
  return
}

// -----

// The operand element type follows the format.
func.func @format_mismatch(%x: memref<4x8xf32, #pulp.level<"L1">>, %w: memref<8x4xf32, #pulp.level<"L1">>, %z: memref<4x4xf32, #pulp.level<"L1">>) {
  // expected-error@+1 {{'redmule.gemm' op with format "fp16" requires f16 operands, X is f32}}
  "redmule.gemm"(%x, %w, %z) {m = 4 : i32, n = 8 : i32, k = 4 : i32, op = "matmul", format = "fp16"} : (memref<4x8xf32, #pulp.level<"L1">>, memref<8x4xf32, #pulp.level<"L1">>, memref<4x4xf32, #pulp.level<"L1">>) -> ()
  return
}

// -----

// The accelerator reads and writes the cluster's L1 only.
func.func @not_in_l1(%x: memref<4x8xf32, #pulp.level<"L2">>, %w: memref<8x4xf32, #pulp.level<"L1">>, %z: memref<4x4xf32, #pulp.level<"L1">>) {
  // expected-error@+1 {{'redmule.gemm' op requires operands in L1, X is in L2}}
  "redmule.gemm"(%x, %w, %z) {m = 4 : i32, n = 8 : i32, k = 4 : i32, op = "matmul", format = "fp32"} : (memref<4x8xf32, #pulp.level<"L2">>, memref<8x4xf32, #pulp.level<"L1">>, memref<4x4xf32, #pulp.level<"L1">>) -> ()
  return
}
