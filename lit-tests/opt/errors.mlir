// Each bad input gets one message and exit code 1, never a traceback.
// RUN: not edgeft-opt %s -p 'builtin.module(no-such-pass)' 2>&1 | filecheck %s --check-prefix=UNKNOWN
// RUN: not edgeft-opt %s -p 'canonicalize{bogus=1}' 2>&1 | filecheck %s --check-prefix=UPSTREAM-OPTION
// RUN: not edgeft-opt %s -p 'builtin.module(canonicalize' 2>&1 | filecheck %s --check-prefix=SYNTAX
// RUN: not edgeft-opt %s -p 'func.func(edgeft-param-summary)' 2>&1 | filecheck %s --check-prefix=NESTED
// RUN: not edgeft-opt %S/Inputs/malformed.mlir 2>&1 | filecheck %s --check-prefix=MALFORMED
// RUN: not edgeft-opt %S/Inputs/no-such-file.mlir 2>&1 | filecheck %s --check-prefix=MISSING
// RUN: not edgeft-opt %S/Inputs/unmet-expectation.mlir --verify-diagnostics 2>&1 | filecheck %s --check-prefix=UNMET

// UNKNOWN:          edgeft-opt: error: unknown pass 'no-such-pass'
// UNKNOWN-NOT:      Traceback
// UPSTREAM-OPTION:  edgeft-opt: error: bad pass 'canonicalize{bogus=1}'
// SYNTAX:           edgeft-opt: error: bad pass pipeline 'builtin.module(canonicalize': expected ')' at column 28
// NESTED:           edgeft-opt: error: edgeft passes run on the module; move them out of 'func.func(...)'
// MALFORMED:        malformed.mlir:4:19: error: use of undeclared SSA value name
// MALFORMED-NOT:    Traceback
// MISSING:          edgeft-opt: error: cannot read '{{.*}}no-such-file.mlir': No such file or directory
// UNMET:            unexpected error: 'pulp.dma_start_1d' op requires equal element counts, got 16 and 8
// UNMET:            unmet-expectation.mlir:7: expected error "this message is never produced" was not produced
func.func @f() {
  return
}
