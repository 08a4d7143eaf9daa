// RUN: edgeft-opt %s --split-input-file --verify-diagnostics -p 'edgeft-promote{l1=4096}'
// RUN: not edgeft-opt %s -p 'edgeft-promote{target=host}' 2>&1 | filecheck %s --check-prefix=HOST

// HOST: edgeft-opt: error: pass 'edgeft-promote': target 'host' has no L1 to promote into

// An op too large for L1 has to be tiled first.
#id = affine_map<(d0) -> (d0)>
module {
  func.func @big(%a: memref<1024xf32>, %b: memref<1024xf32>) {
    // expected-error@+1 {{edgeft-promote: this op's operands take 8,192 bytes, 16,384 double-buffered, more than the 4,096-byte L1 budget: run edgeft-tile first}}
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%a : memref<1024xf32>) outs(%b : memref<1024xf32>) {
    ^bb0(%x: f32, %y: f32):
      linalg.yield %x : f32
    }
    return
  }
}

// -----

// Operands already in a pulp level are not promoted again.
#id = affine_map<(d0) -> (d0)>
module {
  func.func @placed(%a: memref<16xf32, #pulp.level<"L1">>) {
    // expected-error@+1 {{edgeft-promote: operand already in #pulp.level<"L1">}}
    linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%a : memref<16xf32, #pulp.level<"L1">>) {
    ^bb0(%y: f32):
      linalg.yield %y : f32
    }
    return
  }
}

// -----

// Tensor IR has no buffers to move: it must be bufferized (and tiled) first.
#id = affine_map<(d0) -> (d0)>
module {
  func.func @tensors(%a: tensor<16xf32>, %b: tensor<16xf32>) -> tensor<16xf32> {
    // expected-error@+1 {{edgeft-promote: this op works on tensors; promotion moves tiles of buffers: run edgeft-bufferize and edgeft-tile first}}
    %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%a : tensor<16xf32>) outs(%b : tensor<16xf32>) {
    ^bb0(%x: f32, %y: f32):
      linalg.yield %x : f32
    } -> tensor<16xf32>
    return %r : tensor<16xf32>
  }
}
