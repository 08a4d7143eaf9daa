// RUN: edgeft-opt %s --verify-diagnostics -p 'edgeft-select-trainable{strategy=ft-last}'
// RUN: edgeft-opt %s --verify-diagnostics -p 'edgeft-select-trainable{strategy=lp}'
// RUN: edgeft-opt %s --verify-diagnostics -p 'edgeft-select-trainable{strategy=ft-1}'

// A module without parameter globals (only a buffer) has no layer to train.
// expected-error@+1 {{edgeft-select-trainable: the module has no parameter global, so strategy}}
module {
  ml_program.global private mutable @bn.running_mean(dense<0.0> : tensor<2xf32>) : tensor<2xf32> {edgeft.buffer}
}
