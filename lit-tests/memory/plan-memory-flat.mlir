// RUN: edgeft-opt %s -p 'edgeft-plan-memory{target=host}' | filecheck %s

// The flat target has one arena: the forward cache's parts at its start
// (64-byte aligned), then each function's buffers packed by lifetime after
// them; functions run one at a time, so they share those bytes.
// CHECK-LABEL: module attributes {edgeft.arena = 2240 : i64}
// Parameters stay static arrays of their own; only the cache is in the arena.
// CHECK:       memref.global "private" @w : memref<16x16xf32> = dense<1.000000e+00> {edgeft.trainable}
// CHECK:       memref.global "private" @cache : memref<48xf32> = dense<0.000000e+00> {edgeft.cache = {quant = "none", samples = 4 : i64}, edgeft.level = "flat", edgeft.offset = 0 : i64}
// CHECK:       memref.global "private" constant @c : memref<4xf32> = dense<2.000000e+00>{{$}}
// The two 1 KiB buffers of @step are alive together; the 2 KiB one only
// after them, so it reuses their bytes: 192 + 2048 bytes in all.
// CHECK-LABEL: func.func @step
// CHECK:       memref.alloc() {edgeft.level = "flat", edgeft.offset = 192 : i64} : memref<256xf32>
// CHECK:       memref.alloc() {edgeft.level = "flat", edgeft.offset = 1216 : i64} : memref<256xf32>
// CHECK:       memref.alloc() {edgeft.level = "flat", edgeft.offset = 192 : i64} : memref<512xf32>
// A second function's buffers start after the cache again.
// CHECK-LABEL: func.func @other
// CHECK:       memref.alloc() {edgeft.level = "flat", edgeft.offset = 192 : i64} : memref<64xf32>
module {
  memref.global "private" @w : memref<16x16xf32> = dense<1.0> {edgeft.trainable}
  memref.global "private" @cache : memref<48xf32> = dense<0.0> {edgeft.cache = {quant = "none", samples = 4 : i64}}
  memref.global "private" constant @c : memref<4xf32> = dense<2.0>
  func.func @step(%out: memref<256xf32>) {
    %a = memref.alloc() : memref<256xf32>
    %b = memref.alloc() : memref<256xf32>
    memref.copy %a, %b : memref<256xf32> to memref<256xf32>
    %c = memref.alloc() : memref<512xf32>
    %v = memref.subview %c[0] [256] [1] : memref<512xf32> to memref<256xf32, strided<[1]>>
    memref.copy %v, %out : memref<256xf32, strided<[1]>> to memref<256xf32>
    return
  }
  func.func @other(%out: memref<64xf32>) {
    %a = memref.alloc() : memref<64xf32>
    memref.copy %a, %out : memref<64xf32> to memref<64xf32>
    return
  }
}
