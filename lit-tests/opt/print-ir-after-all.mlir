// RUN: edgeft-opt %s -p 'canonicalize,edgeft-param-summary' --mlir-print-ir-after-all -o /dev/null 2>&1 | filecheck %s

// CHECK: IR Dump After Canonicalizer
// CHECK: func.func @f
// CHECK: IR Dump After ParamSummary
// CHECK: func.func @f
func.func @f() {
  return
}
