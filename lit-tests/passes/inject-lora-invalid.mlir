// RUN: not edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-inject-lora{targets=conv*}' 2>&1 | filecheck %s --check-prefix=NOMATCH
// RUN: not edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-inject-lora{targets=lora-3}' 2>&1 | filecheck %s --check-prefix=DEEP
// RUN: not edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-inject-lora{rank=0}' 2>&1 | filecheck %s --check-prefix=RANK
// RUN: not edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-inject-lora{seed=-5}' 2>&1 | filecheck %s --check-prefix=SEED
// RUN: not edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-inject-lora{seed=1180591620717411303424}' 2>&1 | filecheck %s --check-prefix=HUGE
// RUN: not edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-inject-lora{alpha=-1}' 2>&1 | filecheck %s --check-prefix=ALPHA
// RUN: not edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-inject-lora{conv-form=grouped}' 2>&1 | filecheck %s --check-prefix=FORM
// RUN: edgeft-opt %s --split-input-file --verify-diagnostics -p 'edgeft-inject-lora{targets=fc}'

// NOMATCH: error: edgeft-inject-lora: target 'conv*' matches no layer; layers with a weight: fc1, fc2, fc3
// DEEP:    error: edgeft-inject-lora: lora-3 asks for the last 3 layers before the head, the model has 2
// RANK:    edgeft-opt: error: pass 'edgeft-inject-lora': option 'rank' must be 1 .. 1024, got 0
// SEED:    edgeft-opt: error: pass 'edgeft-inject-lora': option 'seed' must be 0 .. 4294967295, got -5
// HUGE:    edgeft-opt: error: pass 'edgeft-inject-lora': option 'seed' must be 0 .. 4294967295, got 1180591620717411303424
// ALPHA:   edgeft-opt: error: pass 'edgeft-inject-lora': option 'alpha' must be 0 (alpha = r) or > 0, finite and nonzero in float32, got -1.0
// FORM:    edgeft-opt: error: pass 'edgeft-inject-lora': option 'conv-form' expects dense|kernel, got 'grouped'

// A weight that feeds something other than a linear or a convolution: the
// error is at the op that reads it.
ml_program.global private mutable @fc.weight(dense<1.0> : tensor<2x2xf32>) : tensor<2x2xf32>
func.func @forward(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %w = ml_program.global_load @fc.weight : tensor<2x2xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  // expected-error@+1 {{edgeft-inject-lora: cannot adapt layer 'fc': its weight feeds linalg.add, linalg.generic, not a linear or 2-D convolution}}
  %r = linalg.add ins(%x, %w : tensor<2x2xf32>, tensor<2x2xf32>) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %g = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%w : tensor<2x2xf32>) outs(%e : tensor<2x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<2x2xf32>
  return %r : tensor<2x2xf32>
}

// -----

// A depthwise weight reshaped for something other than a depthwise conv.
ml_program.global private mutable @fc.weight(dense<1.0> : tensor<2x1x3x3xf32>) : tensor<2x1x3x3xf32>
func.func @forward(%x: tensor<2x2x3x3xf32>) -> tensor<2x3x3xf32> {
  %w = ml_program.global_load @fc.weight : tensor<2x1x3x3xf32>
  // expected-error@+1 {{edgeft-inject-lora: cannot adapt layer 'fc': its weight feeds tensor.collapse_shape, not a linear or 2-D convolution}}
  %c = tensor.collapse_shape %w [[0, 1], [2], [3]] : tensor<2x1x3x3xf32> into tensor<2x3x3xf32>
  return %c : tensor<2x3x3xf32>
}
