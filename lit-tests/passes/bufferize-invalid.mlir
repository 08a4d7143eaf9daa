// RUN: edgeft-opt %s --split-input-file --verify-diagnostics -p edgeft-bufferize

// An op upstream cannot bufferize is reported where upstream reported it.
func.func @step(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{edgeft-bufferize: op was not bufferized}}
  %c = ml_program.global_load_const @c : tensor<4xf32>
  return %c : tensor<4xf32>
}
ml_program.global private @c(dense<2.0> : tensor<4xf32>) : tensor<4xf32>

// -----

// A scalar global is not bufferized (upstream's bufferization would crash on it).
// expected-error@+1 {{edgeft-bufferize: global 'step' has type i32; only tensor globals are bufferized}}
ml_program.global private mutable @step(2 : i32) : i32
