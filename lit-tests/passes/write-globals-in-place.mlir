// RUN: edgeft-opt %s --split-input-file -p edgeft-write-globals-in-place | filecheck %s

// The private copy of a global that is updated in part goes: the writes land
// in the global itself, and both copies and the alloc are gone.
// CHECK-LABEL: func.func @fill
// CHECK-SAME:    (%[[X:.*]]: memref<4xf32>)
// CHECK-NEXT:    %[[G:.*]] = memref.get_global @cache : memref<8xf32>
// CHECK-NOT:     memref.alloc
// CHECK-NEXT:    %[[ROW:.*]] = memref.subview %[[G]][4] [4] [1]
// CHECK-NEXT:    memref.copy %[[X]], %[[ROW]]
// CHECK-NEXT:    memref.get_global @cache
// CHECK-NEXT:    return
memref.global "private" @cache : memref<8xf32> = dense<0.0>
func.func @fill(%x: memref<4xf32>) {
  %g = memref.get_global @cache : memref<8xf32>
  %a = memref.alloc() : memref<8xf32>
  memref.copy %g, %a : memref<8xf32> to memref<8xf32>
  %row = memref.subview %a[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
  memref.copy %x, %row : memref<4xf32> to memref<4xf32, strided<[1], offset: 4>>
  %g2 = memref.get_global @cache : memref<8xf32>
  memref.copy %a, %g2 : memref<8xf32> to memref<8xf32>
  return
}

// -----

// The global is read between the two copies: the read must see the old
// values, so the private copy stays.
// CHECK-LABEL: func.func @read_between
// CHECK:         memref.alloc
// CHECK-COUNT-2: memref.copy %{{.*}}, %{{.*}} : memref<8xf32> to memref<8xf32>
memref.global "private" @cache : memref<8xf32> = dense<0.0>
func.func @read_between(%x: memref<4xf32>, %i: index) -> f32 {
  %g = memref.get_global @cache : memref<8xf32>
  %a = memref.alloc() : memref<8xf32>
  memref.copy %g, %a : memref<8xf32> to memref<8xf32>
  %row = memref.subview %a[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
  memref.copy %x, %row : memref<4xf32> to memref<4xf32, strided<[1], offset: 4>>
  %g3 = memref.get_global @cache : memref<8xf32>
  %old = memref.load %g3[%i] : memref<8xf32>
  %g2 = memref.get_global @cache : memref<8xf32>
  memref.copy %a, %g2 : memref<8xf32> to memref<8xf32>
  return %old : f32
}

// -----

// A copy into a buffer that is never written back is not a private copy of
// the global: nothing changes.
// CHECK-LABEL: func.func @no_write_back
// CHECK:         memref.alloc
// CHECK:         memref.copy
func.func @no_write_back(%out: memref<8xf32>) {
  %g = memref.get_global @cache : memref<8xf32>
  %a = memref.alloc() : memref<8xf32>
  memref.copy %g, %a : memref<8xf32> to memref<8xf32>
  memref.copy %a, %out : memref<8xf32> to memref<8xf32>
  return
}
memref.global "private" @cache : memref<8xf32> = dense<0.0>
