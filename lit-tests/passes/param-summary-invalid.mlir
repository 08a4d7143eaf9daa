// RUN: edgeft-opt %s --split-input-file --verify-diagnostics -p 'edgeft-param-summary' -o /dev/null
// RUN: not edgeft-opt %s -p 'edgeft-param-summary{format=xml}' 2>&1 | filecheck %s --check-prefix=FORMAT
// RUN: not edgeft-opt %s -p 'edgeft-param-summary{colour=red}' 2>&1 | filecheck %s --check-prefix=OPTION
// RUN: not edgeft-opt %S/param-summary.mlir -p 'edgeft-param-summary{output=%t/missing/x.txt}' 2>&1 | filecheck %s --check-prefix=WRITE

// FORMAT: edgeft-opt: error: pass 'edgeft-param-summary': option 'format' expects table|json, got 'xml'
// OPTION: edgeft-opt: error: pass 'edgeft-param-summary' has no option 'colour' (options: output, format)
// WRITE: error: edgeft-param-summary cannot write '{{.*}}/missing/x.txt': No such file or directory

// A parameter of unknown size cannot be planned.
// expected-error@+1 {{parameter global 'w' has type tensor<?x4xf32>; a statically shaped tensor is needed to size it}}
ml_program.global private mutable @w(#ml_program.extern : tensor<?x4xf32>) : tensor<?x4xf32>

// -----

// Neither can a parameter that is not a tensor.
// expected-error@+1 {{parameter global 'step' has type i32; a statically shaped tensor is needed to size it}}
ml_program.global private mutable @step(0 : i32) : i32
