// RUN: edgeft-opt %s --verify-diagnostics -p 'edgeft-inject-skip-lora'
// RUN: not edgeft-opt %s -p 'edgeft-inject-skip-lora{rank=-1}' 2>&1 | filecheck %s

// CHECK: edgeft-opt: error: pass 'edgeft-inject-skip-lora': rank must be at least 1, got -1

// Without locations naming the layers there is no head to attach to.
ml_program.global private mutable @fc.weight(dense<1.0> : tensor<2x2xf32>) : tensor<2x2xf32>
// expected-error@+1 {{edgeft-inject-skip-lora: no op of the head layer 'fc' was found}}
func.func @forward(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  return %x : tensor<2x2xf32>
}
