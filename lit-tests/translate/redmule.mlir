// RUN: edgeft-translate %s --to-c --split-input-file | filecheck %s

// A gemm job (Z = X W + Y, here Y = Z) fills the job descriptor with the
// operands' first elements and the register values mcfg0 = K << 16 | M,
// mcfg1 = N, then submits it and waits.
// CHECK-LABEL: static void edgeft_gemm_fn(
// CHECK-NEXT:  {
// CHECK-NEXT:      { /* RedMulE job: Z[4x16] = X[4x8] W[8x16] + Y */
// CHECK-NEXT:          const edgeft_redmule_job_t job = {
// CHECK-NEXT:              .x = &arg0[0 * 8 + 0], .w = &arg1[0 * 16 + 0], .y = &arg2[0 * 16 + 0], .z = &arg2[0 * 16 + 0],
// CHECK-NEXT:              .mcfg0 = (uint32_t)16 << 16 | 4u, .mcfg1 = 8u,
// CHECK-NEXT:              .arith = EDGEFT_REDMULE_ARITH(EDGEFT_REDMULE_GEMM, EDGEFT_REDMULE_FP32)};
// CHECK-NEXT:          edgeft_rt_redmule_submit(&job);
// CHECK-NEXT:          edgeft_rt_redmule_wait();
// CHECK-NEXT:      }
// CHECK-NEXT:  }
module attributes {edgeft.memory = {L1 = 512 : i64}} {
  func.func @gemm(%x: memref<4x8xf32, #pulp.level<"L1">>, %w: memref<8x16xf32, #pulp.level<"L1">>, %z: memref<4x16xf32, #pulp.level<"L1">>) {
    "redmule.gemm"(%x, %w, %z, %z) {m = 4 : i32, n = 8 : i32, k = 16 : i32, op = "gemm", format = "fp32"} : (memref<4x8xf32, #pulp.level<"L1">>, memref<8x16xf32, #pulp.level<"L1">>, memref<4x16xf32, #pulp.level<"L1">>, memref<4x16xf32, #pulp.level<"L1">>) -> ()
    return
  }
}

// -----

// A matmul job has no Y operand: .y is NULL and the operation is MATMUL.
// CHECK-LABEL: static void edgeft_matmul_fn(
// CHECK:           { /* RedMulE job: Z[12x16] = X[12x32] W[32x16] */
// CHECK-NEXT:          const edgeft_redmule_job_t job = {
// CHECK-NEXT:              .x = &arg0[0 * 32 + 0], .w = &arg1[0 * 16 + 0], .y = NULL, .z = &arg2[0 * 16 + 0],
// CHECK-NEXT:              .mcfg0 = (uint32_t)16 << 16 | 12u, .mcfg1 = 32u,
// CHECK-NEXT:              .arith = EDGEFT_REDMULE_ARITH(EDGEFT_REDMULE_MATMUL, EDGEFT_REDMULE_FP32)};
module attributes {edgeft.memory = {L1 = 512 : i64}} {
  func.func @matmul(%x: memref<12x32xf32, #pulp.level<"L1">>, %w: memref<32x16xf32, #pulp.level<"L1">>, %z: memref<12x16xf32, #pulp.level<"L1">>) {
    "redmule.gemm"(%x, %w, %z) {m = 12 : i32, n = 32 : i32, k = 16 : i32, op = "matmul", format = "fp32"} : (memref<12x32xf32, #pulp.level<"L1">>, memref<32x16xf32, #pulp.level<"L1">>, memref<12x16xf32, #pulp.level<"L1">>) -> ()
    return
  }
}
