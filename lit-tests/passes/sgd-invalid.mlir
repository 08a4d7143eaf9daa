// RUN: edgeft-opt %s --split-input-file --verify-diagnostics -p 'edgeft-sgd'
// RUN: not edgeft-opt %s -p 'edgeft-sgd{lr=-0.1}' 2>&1 | filecheck %s --check-prefix=LR
// RUN: not edgeft-opt %s -p 'edgeft-sgd{momentum=1.5}' 2>&1 | filecheck %s --check-prefix=MOMENTUM

// LR:       edgeft-opt: error: pass 'edgeft-sgd': lr must be positive, got -0.1
// MOMENTUM: edgeft-opt: error: pass 'edgeft-sgd': momentum must be in [0, 1), got 1.5

// SGD needs the training step that edgeft-autodiff builds.
// expected-error@+1 {{edgeft-sgd: no function @train_step (run edgeft-autodiff first)}}
module {
  func.func @forward() {
    return
  }
}

// -----

// A training step that stores no gradient has nothing to update.
// expected-error@+1 {{edgeft-sgd: @train_step stores no gradient}}
module {
  func.func @train_step() {
    return
  }
}
