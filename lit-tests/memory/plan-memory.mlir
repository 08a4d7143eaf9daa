// RUN: edgeft-opt %s -p 'edgeft-plan-memory' | filecheck %s
// RUN: edgeft-opt %s -p 'edgeft-plan-memory{l2=2048}' | filecheck %s --check-prefix=SMALL

// Globals live throughout; the cache goes to L3, the rest to L2 first.
// Packed largest first: L2 holds exactly its lower bound (the 2 KiB buffer
// and @w, or the two 1 KiB buffers and @w, are alive at once).
// Without l2, L2 gets what the program's image leaves of the shared L2
// (plan-memory-footprint.mlir); with l2 given, no edgeft.l2_budget.
// CHECK-LABEL: module attributes {edgeft.l2_budget = {bytes = {{[0-9]+}} : i64, {{.*}}}, edgeft.memory = {L2 = 3072 : i64, L2_lower_bound = 3072 : i64, L3 = 1024 : i64, L3_lower_bound = 1024 : i64}}
// CHECK:       memref.global "private" @w : memref<16x16xf32> = dense<1.000000e+00> {edgeft.level = "L2", edgeft.offset = 2048 : i64, edgeft.trainable}
// CHECK:       memref.global "private" @cache : memref<256xf32> = dense<0.000000e+00> {edgeft.cache = {quant = "none", samples = 4 : i64}, edgeft.level = "L3", edgeft.offset = 0 : i64}
// Read-only constants stay in the program image.
// CHECK:       memref.global "private" constant @c : memref<4xf32> = dense<2.000000e+00>{{$}}
// The two 1 KiB buffers of @step are alive together; the 2 KiB one (through
// its subview) only after them, so it reuses their bytes.
// CHECK-LABEL: func.func @step
// CHECK:       memref.alloc() {edgeft.level = "L2", edgeft.offset = 0 : i64} : memref<256xf32>
// CHECK:       memref.alloc() {edgeft.level = "L2", edgeft.offset = 1024 : i64} : memref<256xf32>
// CHECK:       memref.alloc() {edgeft.level = "L2", edgeft.offset = 0 : i64} : memref<512xf32>
// A second function's buffers reuse the first's bytes.
// CHECK-LABEL: func.func @other
// CHECK:       memref.alloc() {edgeft.level = "L2", edgeft.offset = 0 : i64} : memref<64xf32>

// With a 2 KiB L2, @w stays (persistent state first) and the largest scratch
// buffers alive at L2's peaks spill to L3 until L2 fits.
// SMALL-LABEL: module attributes {edgeft.memory = {L2 = 2048 : i64, L2_lower_bound = 2048 : i64, L3 = 3072 : i64
// SMALL:       @w {{.*}} {edgeft.level = "L2"
// SMALL-LABEL: func.func @step
// SMALL:       memref.alloc() {edgeft.level = "L3", {{.*}} : memref<256xf32>
// SMALL:       memref.alloc() {edgeft.level = "L2", {{.*}} : memref<256xf32>
// SMALL:       memref.alloc() {edgeft.level = "L3", {{.*}} : memref<512xf32>
module {
  memref.global "private" @w : memref<16x16xf32> = dense<1.0> {edgeft.trainable}
  memref.global "private" @cache : memref<256xf32> = dense<0.0> {edgeft.cache = {quant = "none", samples = 4 : i64}}
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
