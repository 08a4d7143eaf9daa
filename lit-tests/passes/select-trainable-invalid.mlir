// RUN: edgeft-opt %s --split-input-file --verify-diagnostics -p 'edgeft-select-trainable{strategy=ft-bias}'
// RUN: not edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-3}' 2>&1 | filecheck %s --check-prefix=DEEP
// RUN: not edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-most}' 2>&1 | filecheck %s --check-prefix=UNKNOWN
// RUN: not edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-k}' 2>&1 | filecheck %s --check-prefix=NOK

// DEEP:    error: edgeft-select-trainable: ft-3 asks for the last 3 layers before the head, the model has 2
// UNKNOWN: edgeft-opt: error: pass 'edgeft-select-trainable': unknown strategy 'ft-most' (known: ft-all, ft-last, ft-bias, lp, ft-k with k=N, or ft-N)
// NOK:     edgeft-opt: error: pass 'edgeft-select-trainable': strategy ft-k needs k=N with N >= 1

// A model without biases: ft-bias selects nothing.
// expected-error@+1 {{edgeft-select-trainable: strategy 'ft-bias' selects no parameter of this model}}
module {
  ml_program.global private mutable @fc.weight(dense<1.0> : tensor<2x2xf32>) : tensor<2x2xf32>
}
