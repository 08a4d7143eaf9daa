// RUN: not edgeft-opt %s -p 'edgeft-parallelize{cores=0}' 2>&1 | filecheck %s
// RUN: not edgeft-opt %s -p 'edgeft-parallelize{cores=1000}' 2>&1 | filecheck %s --check-prefix=MANY

// CHECK: edgeft-opt: error: pass 'edgeft-parallelize': option 'cores' must be 1 .. 8, got 0
// MANY:  edgeft-opt: error: pass 'edgeft-parallelize': option 'cores' must be 1 .. 8, got 1000
module {
}
