// RUN: edgeft-opt %s -p edgeft-copies-to-kernels | filecheck %s
// RUN: edgeft-opt %s -p 'edgeft-copies-to-kernels,func.func(linalg-generalize-named-ops),edgeft-tile{l1=16384},edgeft-promote{l1=16384},edgeft-parallelize{cores=8}' | filecheck %s --check-prefix=L1

// A padded input's interior (a strided view) and a result written to its
// out-parameter: both copies become element-for-element generics on the same
// views. The copy into a global and the copy out of one stay memref.copy
// (edgeft-write-globals-in-place's business).
// CHECK-LABEL: func.func @copies
// CHECK-SAME:    (%[[X:.*]]: memref<1x4x16x16xf32>, %[[OUT:.*]]: memref<1x4x18x18xf32>)
// CHECK:         %[[PAD:.*]] = memref.alloc() : memref<1x4x18x18xf32>
// CHECK:         %[[IN:.*]] = memref.subview %[[PAD]][0, 0, 1, 1] [1, 4, 16, 16] [1, 1, 1, 1]
// CHECK:         linalg.generic {indexing_maps = [#[[ID:.*]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME:      ins(%[[X]] : memref<1x4x16x16xf32>) outs(%[[IN]] : memref<1x4x16x16xf32, strided<[1296, 324, 18, 1], offset: 19>>)
// CHECK-NEXT:    ^bb0(%[[E:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      linalg.yield %[[E]] : f32
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%[[PAD]] : memref<1x4x18x18xf32>) outs(%[[OUT]] : memref<1x4x18x18xf32>)
// CHECK:         %[[G:.*]] = memref.get_global @state
// CHECK:         memref.copy %[[G]], %{{.*}}
// CHECK:         memref.copy %{{.*}}, %[[G]]
// CHECK-NOT:     memref.copy
// CHECK:         return

// On the cluster the copies run as every kernel does: their tiles come into
// L1 by DMA, the cores copy them there, a DMA writes them back; no core reads
// L2 word by word.
// (The interior comes in whole, the cores copy it, a 2-D DMA writes it into
// the strided view; the padded buffer's copy to the out-parameter is tiled.)
// L1-LABEL: func.func @copies
// L1:         "pulp.dma_start_1d"(%{{.*}}, %{{.*}}) : (memref<1024xf32, #pulp.level<"L2">>, memref<1024xf32, #pulp.level<"L1">>)
// L1:         "pulp.parallel"
// L1:           linalg.generic {{.*}} ins(%{{.*}} : memref<{{.*}}#pulp.level<"L1">>) outs(%{{.*}} : memref<{{.*}}#pulp.level<"L1">>)
// L1:         "pulp.dma_start_2d"
// L1:         scf.for
// L1:           "pulp.parallel"
// L1:             linalg.generic {{.*}} ins(%{{.*}} : memref<{{.*}}#pulp.level<"L1">>) outs(%{{.*}} : memref<{{.*}}#pulp.level<"L1">>)
// L1-SAME:          edgeft.tile
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
