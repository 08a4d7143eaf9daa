// RUN: edgeft-opt %s --verify-diagnostics -p 'edgeft-tile'
// RUN: not edgeft-opt %s -p 'edgeft-tile{target=host}' 2>&1 | filecheck %s --check-prefix=HOST
// RUN: not edgeft-opt %s -p 'edgeft-tile{l1=12}' 2>&1 | filecheck %s --check-prefix=SMALL

// HOST:  edgeft-opt: error: pass 'edgeft-tile': target 'host' has no L1 to tile for
// SMALL: edgeft-opt: error: pass 'edgeft-tile': option 'l1' must be 0 (the target's) or 1024 .. 4294967295, got 12

// Named ops are tiled once generalized (linalg-generalize-named-ops).
module {
  func.func @step(%a: memref<4x4xf32>, %b: memref<4x4xf32>, %c: memref<4x4xf32>) {
    // expected-error@+1 {{edgeft-tile: cannot tile 'linalg.matmul': run linalg-generalize-named-ops first (only linalg.generic on statically shaped memrefs is tiled)}}
    linalg.matmul ins(%a, %b : memref<4x4xf32>, memref<4x4xf32>) outs(%c : memref<4x4xf32>)
    return
  }
}
