// RUN: edgeft-opt %s --split-input-file --verify-diagnostics -p 'edgeft-forward-cache'
// RUN: not edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-all},edgeft-autodiff,edgeft-sgd,edgeft-forward-cache' 2>&1 | filecheck %s --check-prefix=ALL
// RUN: not edgeft-opt %s -p 'edgeft-forward-cache{quant=nf8}' 2>&1 | filecheck %s --check-prefix=QUANT
// RUN: not edgeft-opt %s -p 'edgeft-forward-cache{block=63}' 2>&1 | filecheck %s --check-prefix=BLOCK
// RUN: not edgeft-opt %s -p 'edgeft-forward-cache{samples=0}' 2>&1 | filecheck %s --check-prefix=SAMPLES

// QUANT:   edgeft-opt: error: pass 'edgeft-forward-cache': option 'quant' expects none|nf4, got 'nf8'
// BLOCK:   edgeft-opt: error: pass 'edgeft-forward-cache': block must be an even number of at least 2, got 63
// SAMPLES: edgeft-opt: error: pass 'edgeft-forward-cache': option 'samples' must be 1 .. 2147483647, got 0

// ft-all trains fc1, which reads x: nothing runs in front of the trainable part.
// ALL: error: edgeft-forward-cache: nothing frozen in front of the trainable part: every layer still runs in the cached step (layer 'fc1' trains)

// The cache splits the training step that edgeft-autodiff and edgeft-sgd build.
// expected-error@+1 {{edgeft-forward-cache: no function @train_step (run edgeft-autodiff and edgeft-sgd first)}}
module {
  func.func @forward() {
    return
  }
}

// -----

// A step whose trainable part never reads the input has nothing to cache.
module {
  ml_program.global private mutable @w(dense<1.0> : tensor<2xf32>) : tensor<2xf32>
  // expected-error@+1 {{edgeft-forward-cache: the trainable part reads nothing from the input: nothing to cache}}
  func.func @train_step(%x: tensor<2x2xf32>, %y: tensor<2xi64>) -> tensor<2xf32> {
    %w = ml_program.global_load @w : tensor<2xf32>
    ml_program.global_store @w = %w : tensor<2xf32>
    return %w : tensor<2xf32>
  }
}

// -----

// Running it twice would clash with the functions the first run made.
module {
  // expected-error@+1 {{edgeft-forward-cache: the module already has @cache_fill}}
  func.func @train_step(%x: tensor<2x2xf32>, %y: tensor<2xi64>) {
    return
  }
  func.func @cache_fill() {
    return
  }
}
