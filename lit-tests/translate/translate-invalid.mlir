// Each user error of the translation is one line and exit code 1, never a
// traceback. The cases are in Inputs/ (one module each: the first error ends
// the translation); this file is the module without a memory plan.
// RUN: not edgeft-translate %s --to-c 2>&1 | filecheck %s --check-prefix=NO-PLAN
// RUN: not edgeft-translate %S/Inputs/unsupported-op.mlir --to-c 2>&1 | filecheck %s --check-prefix=NO-HANDLER
// RUN: not edgeft-translate %S/Inputs/unplanned-buffer.mlir --to-c 2>&1 | filecheck %s --check-prefix=UNPLANNED
// RUN: not edgeft-translate %S/Inputs/malformed.mlir --to-c 2>&1 | filecheck %s --check-prefix=MALFORMED
// RUN: not edgeft-translate %S/Inputs/f16.mlir --to-c 2>&1 | filecheck %s --check-prefix=TYPE
// RUN: not edgeft-translate %S/Inputs/tensor-level.mlir --to-c 2>&1 | filecheck %s --check-prefix=RESULTS
// RUN: not edgeft-translate %S/Inputs/bad-api.mlir --to-c 2>&1 | filecheck %s --check-prefix=API
// RUN: not edgeft-translate %S/Inputs/no-such-file.mlir --to-c 2>&1 | filecheck %s --check-prefix=MISSING
// RUN: not edgeft-translate %S/Inputs/unsupported-op.mlir --to-c --split-input-file --build %t 2>&1 | filecheck %s --check-prefix=BUILD-SPLIT

// NO-PLAN:      edgeft-translate: error: the module has no memory plan: run edgeft-plan-memory first
// NO-PLAN-NOT:  Traceback
// NO-HANDLER:  edgeft-translate: error: the C emitter cannot translate 'arith.remf' (PyTorch layer 'fc1')
// NO-HANDLER-NOT: Traceback
// UNPLANNED:    edgeft-translate: error: a buffer of @step (PyTorch layer 'conv1') has no planned edgeft.level and edgeft.offset: run edgeft-plan-memory first
// UNPLANNED-NOT: Traceback
// MALFORMED:    edgeft-translate: error: cannot parse the input: {{.*}}malformed.mlir:4:18: error: use of undeclared SSA value name
// MALFORMED-NOT: Traceback
// TYPE:         edgeft-translate: error: the C emitter has no type for f16
// TYPE-NOT:     Traceback
// RESULTS:      edgeft-translate: error: @f returns values; run buffer-results-to-out-params
// RESULTS-NOT:  Traceback
// API:          edgeft-translate: error: @train_step(x, y, loss) and @predict(x, logits) must take memrefs with results as out-parameters
// API-NOT:      Traceback
// MISSING:      edgeft-translate: error: cannot read '{{.*}}no-such-file.mlir': No such file or directory
// BUILD-SPLIT:  edgeft-translate: error: --build writes one program: it does not take --split-input-file
func.func @unplanned(%a: memref<f32>) {
  return
}
