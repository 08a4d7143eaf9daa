// Bugs (emitter.py / cwriter.py): these inputs end in a Python traceback and
// "internal error" (exit 2) instead of one user error: a function argument
// that is not a memref (ir.MemRefType cast in FunctionEmitter.emit), an alloc
// with edgeft.offset but no edgeft.level (KeyError in read_plan), a plan
// attribute that is not an integer (IntegerAttr cast in Emitter.__init__).
// RUN: not edgeft-translate %S/Inputs/scalar-argument.mlir --to-c 2>&1 | filecheck %s --check-prefix=SCALAR
// RUN: not edgeft-translate %S/Inputs/offset-without-level.mlir --to-c 2>&1 | filecheck %s --check-prefix=LEVEL
// RUN: not edgeft-translate %S/Inputs/bad-plan.mlir --to-c 2>&1 | filecheck %s --check-prefix=PLAN

// SCALAR:      edgeft-translate: error: {{.*}}@scale
// SCALAR-NOT:  Traceback
// LEVEL:       edgeft-translate: error: {{.*}}@step (PyTorch layer 'conv1'){{.*}}edgeft.level
// LEVEL-NOT:   Traceback
// PLAN:        edgeft-translate: error: {{.*}}edgeft.arena
// PLAN-NOT:    Traceback
