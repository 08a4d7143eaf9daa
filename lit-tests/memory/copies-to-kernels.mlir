// RUN: edgeft-opt %s -p edgeft-copies-to-kernels | filecheck %s
// RUN: edgeft-opt %s -p 'edgeft-copies-to-kernels,func.func(linalg-generalize-named-ops),edgeft-tile{l1=16384},edgeft-promote{l1=16384},edgeft-parallelize{cores=8}' | filecheck %s --check-prefix=L1

// A padded input's interior (a strided view) and a result written to its
// out-parameter: both copies become element-for-element generics on the same
// views, marked as copies. The copy into a global and the copy out of one stay
// memref.copy (edgeft-write-globals-in-place's business).
// CHECK-LABEL: func.func @copies
// CHECK-SAME:    (%[[X:.*]]: memref<1x4x16x16xf32>, %[[OUT:.*]]: memref<1x4x18x18xf32>)
// CHECK:         %[[PAD:.*]] = memref.alloc() : memref<1x4x18x18xf32>
// CHECK:         %[[IN:.*]] = memref.subview %[[PAD]][0, 0, 1, 1] [1, 4, 16, 16] [1, 1, 1, 1]
// CHECK:         linalg.generic {indexing_maps = [#[[ID:.*]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME:      ins(%[[X]] : memref<1x4x16x16xf32>) outs(%[[IN]] : memref<1x4x16x16xf32, strided<[1296, 324, 18, 1], offset: 19>>)
// CHECK-SAME:      attrs = {edgeft.copy}
// CHECK-NEXT:    ^bb0(%[[E:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      linalg.yield %[[E]] : f32
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%[[PAD]] : memref<1x4x18x18xf32>) outs(%[[OUT]] : memref<1x4x18x18xf32>) attrs = {edgeft.copy}
// CHECK:         %[[G:.*]] = memref.get_global @state
// CHECK:         memref.copy %[[G]], %{{.*}}
// CHECK:         memref.copy %{{.*}}, %[[G]]
// CHECK-NOT:     memref.copy
// CHECK:         return

// On the cluster the copies are the DMA's alone: each tile comes into an L1
// buffer by DMA and goes out of that same buffer by DMA; no core copies and
// no core reads L2 word by word. Only the fill runs on the cores.
// (The interior comes in whole and goes out by 2-D transfers into the strided
// view; the padded buffer's copy to the out-parameter is tiled, its tile
// loop double-buffered and holding transfers only.)
// L1-LABEL: func.func @copies
// L1:         "pulp.parallel"
// L1:         %[[WHOLE:.*]] = memref.alloc() : memref<1x4x16x16xf32, #pulp.level<"L1">>
// L1:         "pulp.dma_start_1d"(%{{.*}}, %{{.*}}) : (memref<1024xf32, #pulp.level<"L2">>, memref<1024xf32, #pulp.level<"L1">>)
// L1-NOT:     "pulp.parallel"
// L1:         memref.subview %[[WHOLE]]
// L1:         "pulp.dma_start_2d"(%{{.*}}, %{{.*}}) : (memref<16x16xf32, strided<[16, 1], offset: ?>, #pulp.level<"L1">>, memref<16x16xf32, strided<[18, 1], offset: ?>, #pulp.level<"L2">>)
// L1:         %[[TILES:.*]] = memref.alloc() : memref<2x1x2x18x18xf32, #pulp.level<"L1">>
// L1:         scf.for
// L1-NOT:       "pulp.parallel"
// L1:           memref.subview %[[TILES]]
// L1:           "pulp.dma_start_1d"(%{{.*}}, %{{.*}}) : ({{.*}}#pulp.level<"L2">>, {{.*}}#pulp.level<"L1">>)
// L1:           memref.subview %[[TILES]]
// L1:           "pulp.dma_start_1d"(%{{.*}}, %{{.*}}) : ({{.*}}#pulp.level<"L1">>, {{.*}}#pulp.level<"L2">>)
// L1:         }
// L1-NOT:     "pulp.parallel"
// L1-NOT:     linalg.generic
// L1:         return
memref.global "private" @state : memref<8xf32> = dense<0.0>
func.func @copies(%x: memref<1x4x16x16xf32>, %out: memref<1x4x18x18xf32>) {
  %pad = memref.alloc() : memref<1x4x18x18xf32>
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%pad : memref<1x4x18x18xf32>)
  %in = memref.subview %pad[0, 0, 1, 1] [1, 4, 16, 16] [1, 1, 1, 1]
      : memref<1x4x18x18xf32> to memref<1x4x16x16xf32, strided<[1296, 324, 18, 1], offset: 19>>
  memref.copy %x, %in : memref<1x4x16x16xf32> to memref<1x4x16x16xf32, strided<[1296, 324, 18, 1], offset: 19>>
  memref.copy %pad, %out : memref<1x4x18x18xf32> to memref<1x4x18x18xf32>
  %g = memref.get_global @state : memref<8xf32>
  %s = memref.alloc() : memref<8xf32>
  memref.copy %g, %s : memref<8xf32> to memref<8xf32>
  memref.copy %s, %g : memref<8xf32> to memref<8xf32>
  return
}
