// RUN: not edgeft-opt %s -p 'edgeft-parallelize{cores=0}' 2>&1 | filecheck %s

// CHECK: edgeft-opt: error: pass 'edgeft-parallelize': cores must be at least 1, got 0
module {
}
