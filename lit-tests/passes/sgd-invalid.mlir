// RUN: edgeft-opt %s --split-input-file --verify-diagnostics -p 'edgeft-sgd'
// RUN: not edgeft-opt %s -p 'edgeft-sgd{lr=-0.1}' 2>&1 | filecheck %s --check-prefix=LR
// RUN: not edgeft-opt %s -p 'edgeft-sgd{momentum=1.5}' 2>&1 | filecheck %s --check-prefix=MOMENTUM
// RUN: not edgeft-opt %s -p 'edgeft-sgd{lr=1e-50}' 2>&1 | filecheck %s --check-prefix=TINY
// RUN: not edgeft-opt %s -p 'edgeft-sgd{lr=nan}' 2>&1 | filecheck %s --check-prefix=NAN
// RUN: not edgeft-opt %s -p 'edgeft-sgd{momentum=0.99999999}' 2>&1 | filecheck %s --check-prefix=ROUNDS

// LR:       edgeft-opt: error: pass 'edgeft-sgd': option 'lr' must be > 0, finite and nonzero in float32, got -0.1
// MOMENTUM: edgeft-opt: error: pass 'edgeft-sgd': option 'momentum' must be in [0, 1), finite in float32, got 1.5
// TINY:     edgeft-opt: error: pass 'edgeft-sgd': option 'lr' must be > 0, finite and nonzero in float32, got 1e-50
// NAN:      edgeft-opt: error: pass 'edgeft-sgd': option 'lr' must be > 0, finite and nonzero in float32, got nan
// ROUNDS:   edgeft-opt: error: pass 'edgeft-sgd': option 'momentum' must be in [0, 1), finite in float32, got 0.99999999

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
