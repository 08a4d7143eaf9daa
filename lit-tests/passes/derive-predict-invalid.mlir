// RUN: edgeft-opt %s --split-input-file --verify-diagnostics -p edgeft-derive-predict

// A module without @forward has nothing to derive from.
// expected-error@+1 {{edgeft-derive-predict: the module has no @forward}}
module {
  func.func @step(%x: tensor<2xf32>) -> tensor<2xf32> {
    return %x : tensor<2xf32>
  }
}

// -----

// No op located at 'loss' reads a (batch, classes) tensor: no logits to return.
module {
  // expected-error@+1 {{edgeft-derive-predict: cannot find the logits in @forward}}
  func.func @forward(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> tensor<2x3xf32> {
    %s = arith.mulf %x, %y : tensor<2x3xf32> loc("fc")
    return %s : tensor<2x3xf32>
  }
}

// -----

// @forward must take (x, y).
module {
  // expected-error@+1 {{edgeft-derive-predict: @forward takes 1 arguments; (x, y) expected}}
  func.func @forward(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
    return %x : tensor<2x3xf32>
  }
}

// -----

// A module that has @predict already is refused rather than given a second one.
// expected-error@+1 {{edgeft-derive-predict: the module has a @predict already}}
module {
  func.func @forward(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> tensor<2x3xf32> {
    return %x : tensor<2x3xf32>
  }
  func.func @predict(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
    return %x : tensor<2x3xf32>
  }
}
