// RUN: edgeft-opt %s --split-input-file --verify-diagnostics -p 'edgeft-inject-skip-lora'
// RUN: not edgeft-opt %s -p 'edgeft-inject-skip-lora{rank=-1}' 2>&1 | filecheck %s
// RUN: not edgeft-opt %s -p 'edgeft-inject-skip-lora{seed=4294967296}' 2>&1 | filecheck %s --check-prefix=SEED

// CHECK: edgeft-opt: error: pass 'edgeft-inject-skip-lora': option 'rank' must be 1 .. 1024, got -1
// SEED:  edgeft-opt: error: pass 'edgeft-inject-skip-lora': option 'seed' must be 0 .. 4294967295, got 4294967296

// Without locations naming the layers there is no head to attach to.
ml_program.global private mutable @fc.weight(dense<1.0> : tensor<2x2xf32>) : tensor<2x2xf32>
// expected-error@+1 {{edgeft-inject-skip-lora: no op of the head layer 'fc' was found}}
func.func @forward(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  return %x : tensor<2x2xf32>
}

// -----

// A head that does not end in (batch, classes) logits, with no loss to read them.
ml_program.global private mutable @head.weight(dense<1.0> : tensor<3x2x1x1xf32>) : tensor<3x2x1x1xf32>
// expected-error@+1 {{edgeft-inject-skip-lora: the head layer 'head' ends in linalg.conv_2d_nchw_fchw of shape [2, 3, 4, 4], not (batch, classes) logits}}
func.func @forward(%x: tensor<2x2x4x4xf32>) -> tensor<2x3x4x4xf32> {
  %w = ml_program.global_load @head.weight : tensor<3x2x1x1xf32> loc("head")
  %e = tensor.empty() : tensor<2x3x4x4xf32> loc("head")
  %y = linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<2x2x4x4xf32>, tensor<3x2x1x1xf32>) outs(%e : tensor<2x3x4x4xf32>) -> tensor<2x3x4x4xf32> loc("head")
  return %y : tensor<2x3x4x4xf32>
}
