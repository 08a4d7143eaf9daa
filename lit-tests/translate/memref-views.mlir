// RUN: edgeft-opt %s --split-input-file -p expand-strided-metadata | edgeft-translate --to-c --split-input-file | filecheck %s

// A reinterpret_cast of a base buffer addresses it at its static offset and strides.
// CHECK-LABEL: static void edgeft_reinterpret_fn(float *restrict arg0, float *restrict arg1)
// CHECK:         const float [[X:v[0-9]+]] = arg0[10 + 1 * 8 + 1];
// CHECK-NEXT:    arg1[0] = [[X]];
module attributes {edgeft.arena = 0 : i64} {
  func.func @reinterpret(%a: memref<4x8xf32>, %out: memref<f32>) {
    %base, %off, %s0, %s1, %st0, %st1 = memref.extract_strided_metadata %a : memref<4x8xf32> -> memref<f32>, index, index, index, index, index
    %v = memref.reinterpret_cast %base to offset: [10], sizes: [2, 3], strides: [8, 1] : memref<f32> to memref<2x3xf32, strided<[8, 1], offset: 10>>
    %i = arith.constant 1 : index
    %x = memref.load %v[%i, %i] : memref<2x3xf32, strided<[8, 1], offset: 10>>
    memref.store %x, %out[] : memref<f32>
    return
  }
}

// -----

// A strided subview, expanded to extract_strided_metadata + reinterpret_cast,
// reads its source at offset 1 * 8 + 1 with strides 8 and 2.
// CHECK-LABEL: static void edgeft_subview_fn(float *restrict arg0, float *restrict arg1)
// CHECK:         const float [[X:v[0-9]+]] = arg0[9 + 1 * 8 + 1 * 2];
module attributes {edgeft.arena = 0 : i64} {
  func.func @subview(%a: memref<4x8xf32>, %out: memref<f32>) {
    %v = memref.subview %a[1, 1] [2, 4] [1, 2] : memref<4x8xf32> to memref<2x4xf32, strided<[8, 2], offset: 9>>
    %i = arith.constant 1 : index
    %x = memref.load %v[%i, %i] : memref<2x4xf32, strided<[8, 2], offset: 9>>
    memref.store %x, %out[] : memref<f32>
    return
  }
}

// -----

// memref.cast and memory_space_cast are aliases of their source.
// CHECK-LABEL: static void edgeft_casts_fn(float *restrict arg0, float *restrict arg1)
// CHECK:         const float [[X:v[0-9]+]] = arg0[2];
// CHECK-NEXT:    arg0[3] = [[X]];
module attributes {edgeft.arena = 0 : i64} {
  func.func @casts(%a: memref<4xf32>, %unused: memref<f32>) {
    %c = memref.cast %a : memref<4xf32> to memref<?xf32>
    %m = memref.memory_space_cast %a : memref<4xf32> to memref<4xf32, #pulp.level<"L2">>
    %i = arith.constant 2 : index
    %j = arith.constant 3 : index
    %x = memref.load %c[%i] : memref<?xf32>
    memref.store %x, %m[%j] : memref<4xf32, #pulp.level<"L2">>
    return
  }
}

// -----

// Load and store index a planned buffer in the arena at its named offset.
// CHECK:         #define EDGEFT_OFF_LOAD_STORE_0 64
// CHECK-LABEL: static void edgeft_load_store_fn(float *restrict arg0)
// CHECK:         ((float *)(edgeft_arena + EDGEFT_OFF_LOAD_STORE_0))[1 * 4 + 2] = 1.5f;
// CHECK-NEXT:    const float [[X:v[0-9]+]] = ((float *)(edgeft_arena + EDGEFT_OFF_LOAD_STORE_0))[1 * 4 + 2];
// CHECK-NEXT:    arg0[0] = [[X]];
module attributes {edgeft.arena = 128 : i64} {
  func.func @load_store(%out: memref<f32>) {
    %b = memref.alloc() {edgeft.level = "flat", edgeft.offset = 64 : i64} : memref<2x4xf32>
    %one = arith.constant 1 : index
    %two = arith.constant 2 : index
    %v = arith.constant 1.5 : f32
    memref.store %v, %b[%one, %two] : memref<2x4xf32>
    %x = memref.load %b[%one, %two] : memref<2x4xf32>
    memref.store %x, %out[] : memref<f32>
    return
  }
}

// -----

// A copy between contiguous memrefs is one memcpy of all their elements.
// CHECK-LABEL: static void edgeft_copy_contiguous_fn(float *restrict arg0, float *restrict arg1)
// CHECK:         memcpy(&((float *)(edgeft_arena + EDGEFT_OFF_COPY_CONTIGUOUS_0))[0 * 8 + 0], &arg0[0 * 8 + 0], 32 * sizeof(float));
// CHECK-NEXT:    memcpy(&arg1[0 * 8 + 0], &((float *)(edgeft_arena + EDGEFT_OFF_COPY_CONTIGUOUS_0))[0 * 8 + 0], 32 * sizeof(float));
module attributes {edgeft.arena = 128 : i64} {
  func.func @copy_contiguous(%a: memref<4x8xf32>, %out: memref<4x8xf32>) {
    %b = memref.alloc() {edgeft.level = "flat", edgeft.offset = 0 : i64} : memref<4x8xf32>
    memref.copy %a, %b : memref<4x8xf32> to memref<4x8xf32>
    memref.copy %b, %out : memref<4x8xf32> to memref<4x8xf32>
    return
  }
}

// -----

// A copy from a strided view is a loop nest over its elements.
// CHECK-LABEL: static void edgeft_copy_strided_fn(float *restrict arg0, float *restrict arg1)
// CHECK:         for (long [[I:i[0-9]+]] = 0; [[I]] < 4; ++[[I]])
// CHECK-NEXT:        for (long [[J:i[0-9]+]] = 0; [[J]] < 2; ++[[J]])
// CHECK-NEXT:            arg1[[[I]] * 2 + [[J]]] = arg0[3 + [[I]] * 8 + [[J]]];
module attributes {edgeft.arena = 0 : i64} {
  func.func @copy_strided(%a: memref<4x8xf32>, %out: memref<4x2xf32>) {
    %v = memref.subview %a[0, 3] [4, 2] [1, 1] : memref<4x8xf32> to memref<4x2xf32, strided<[8, 1], offset: 3>>
    memref.copy %v, %out : memref<4x2xf32, strided<[8, 1], offset: 3>> to memref<4x2xf32>
    return
  }
}
