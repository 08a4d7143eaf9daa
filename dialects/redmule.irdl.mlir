// The `redmule` dialect: jobs for the RedMulE GEMM accelerator.
//
// One op is one accelerator job: Z = X * W (op "matmul") or Z = X * W + Y
// (op "gemm"), with X of M x N, W of N x K and Y, Z of M x K, all in L1. The
// sizes are attributes because they are written to the job registers
// (MCFG0 = K << 16 | M, MCFG1 = N); `format` selects the operand format
// (ARITH bits 9:7). The C emitter turns a job into a descriptor struct and a
// trigger/wait pair of runtime calls.
//
// IRDL checks operand counts and attribute presence and values;
// python/edgeft/ir/dialects.py checks shapes, element types and memory levels.
irdl.dialect @redmule {
  irdl.operation @gemm {
    %x = irdl.base "!builtin.memref"
    %w = irdl.base "!builtin.memref"
    %y = irdl.base "!builtin.memref"
    %z = irdl.base "!builtin.memref"
    irdl.operands(x: %x, w: %w, y: optional %y, z: %z)
    %m = irdl.base "#builtin.integer"
    %n = irdl.base "#builtin.integer"
    %k = irdl.base "#builtin.integer"
    %matmul = irdl.is "matmul"
    %gemm = irdl.is "gemm"
    %op = irdl.any_of(%matmul, %gemm)
    %fp32 = irdl.is "fp32"
    %fp16 = irdl.is "fp16"
    %format = irdl.any_of(%fp32, %fp16)
    irdl.attributes { "m" = %m, "n" = %n, "k" = %k, "op" = %op, "format" = %format }
  }
}
