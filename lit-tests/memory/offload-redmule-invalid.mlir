// RUN: edgeft-opt %s --verify-diagnostics -p 'edgeft-offload-redmule{format=fp16}'
// RUN: not edgeft-opt %s -p 'edgeft-offload-redmule{format=bf16}' 2>&1 | filecheck %s --check-prefix=FORMAT

// RUN: not edgeft-opt %s -p 'edgeft-offload-redmule{l1=-1}' 2>&1 | filecheck %s --check-prefix=L1

// L1:     edgeft-opt: error: pass 'edgeft-offload-redmule': option 'l1' must be 0 (the target's) or 1024 .. 4294967295, got -1
// FORMAT: edgeft-opt: error: pass 'edgeft-offload-redmule': unknown RedMulE format 'bf16' (known: fp32, fp16)

// fp16 jobs need float16 operands; a float32 GEMM is an error, not silently kept on the cores.
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
module {
  func.func @matmul(%a: memref<16x32xf32, #pulp.level<"L1">>, %b: memref<32x24xf32, #pulp.level<"L1">>, %c: memref<16x24xf32, #pulp.level<"L1">>) {
    // expected-error@+1 {{edgeft-offload-redmule: RedMulE format fp16 needs float16 operands and this GEMM is float32}}
    linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : memref<16x32xf32, #pulp.level<"L1">>, memref<32x24xf32, #pulp.level<"L1">>) outs(%c : memref<16x24xf32, #pulp.level<"L1">>) attrs = {edgeft.promoted} {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %m = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
    return
  }
}
