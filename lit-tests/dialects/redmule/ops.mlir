// RUN: edgeft-opt %s | edgeft-opt | filecheck %s

// CHECK-LABEL: func.func @matmul_fp32
func.func @matmul_fp32(%x: memref<12x32xf32, #pulp.level<"L1">>, %w: memref<32x16xf32, #pulp.level<"L1">>, %z: memref<12x16xf32, #pulp.level<"L1">>) {
  // CHECK: "redmule.gemm"(%{{.*}}, %{{.*}}, %{{.*}}) {format = "fp32", k = 16 : i32, m = 12 : i32, n = 32 : i32, op = "matmul"}
  "redmule.gemm"(%x, %w, %z) {m = 12 : i32, n = 32 : i32, k = 16 : i32, op = "matmul", format = "fp32"} : (memref<12x32xf32, #pulp.level<"L1">>, memref<32x16xf32, #pulp.level<"L1">>, memref<12x16xf32, #pulp.level<"L1">>) -> ()
  return
}

// CHECK-LABEL: func.func @gemm_fp16
func.func @gemm_fp16(%x: memref<4x8xf16, #pulp.level<"L1">>, %w: memref<8x24xf16, #pulp.level<"L1">>, %y: memref<4x24xf16, #pulp.level<"L1">>, %z: memref<4x24xf16, #pulp.level<"L1">>) {
  // CHECK: "redmule.gemm"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) {format = "fp16", k = 24 : i32, m = 4 : i32, n = 8 : i32, op = "gemm"}
  "redmule.gemm"(%x, %w, %y, %z) {m = 4 : i32, n = 8 : i32, k = 24 : i32, op = "gemm", format = "fp16"} : (memref<4x8xf16, #pulp.level<"L1">>, memref<8x24xf16, #pulp.level<"L1">>, memref<4x24xf16, #pulp.level<"L1">>, memref<4x24xf16, #pulp.level<"L1">>) -> ()
  return
}
