// RUN: edgeft-opt %s -p 'edgeft-tile{l1=4096}' | filecheck %s

// A map with `d1 floordiv 32` (NF4 block scales) only takes tile sizes of d1
// that divide 32 or are multiples of it (upstream tiling's rule), here 64
// rather than 100, a divisor of 400 the cost alone might prefer.
// CHECK-LABEL: func.func @pack
// CHECK:         linalg.generic {{.*}} attrs = {edgeft.tile = array<i64: 1, 64>}
#first = affine_map<(d0, d1) -> (d0, d1 * 2)>
#second = affine_map<(d0, d1) -> (d0, d1 * 2 + 1)>
#block = affine_map<(d0, d1) -> (d0, d1 floordiv 32)>
#out = affine_map<(d0, d1) -> (d0, d1)>
module {
  func.func @pack(%x: memref<4x896xf32>, %s: memref<4x14xf32>, %c: memref<4x448xi8>) {
    linalg.generic {indexing_maps = [#first, #second, #block, #out], iterator_types = ["parallel", "parallel"]} ins(%x, %x, %s : memref<4x896xf32>, memref<4x896xf32>, memref<4x14xf32>) outs(%c : memref<4x448xi8>) {
    ^bb0(%a: f32, %b: f32, %scale: f32, %o: i8):
      %sum = arith.addf %a, %b : f32
      %d = arith.divf %sum, %scale : f32
      %i = arith.fptosi %d : f32 to i8
      linalg.yield %i : i8
    }
    return
  }
}
