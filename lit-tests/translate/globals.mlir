// RUN: edgeft-translate %s --to-c --split-input-file | filecheck %s

// A mutable global is an aligned array that edgeft_init fills from its
// initial values (memcpy from weights.c) or, when all elements are equal, by
// a loop; every f32 mutable global is in the params table, trainable or not.
// CHECK-LABEL: float edgeft_g_fc_weight[4] __attribute__((aligned(64)));  /* fc.weight */
// CHECK-NEXT:  extern const float edgeft_init_fc_weight[4];
// CHECK-NEXT:  float edgeft_g_fc_bias[2] __attribute__((aligned(64)));  /* fc.bias */
// CHECK-NOT:   edgeft_init_fc_bias
// CHECK:       float edgeft_g_frozen[2]
// CHECK:       const float [[X:v[0-9]+]] = edgeft_g_fc_weight[1 * 2 + 1];
// CHECK-LABEL: void edgeft_init(void)
// CHECK-NEXT:  {
// CHECK-NEXT:      memcpy(edgeft_g_fc_weight, edgeft_init_fc_weight, sizeof edgeft_init_fc_weight);
// CHECK-NEXT:      for (long i = 0; i < 2; ++i)
// CHECK-NEXT:          edgeft_g_fc_bias[i] = 0.0f;
// CHECK-NEXT:      memcpy(edgeft_g_frozen, edgeft_init_frozen, sizeof edgeft_init_frozen);
// CHECK-NEXT:  }
// CHECK-LABEL: const edgeft_tensor_t edgeft_params[] = {
// CHECK-NEXT:      {"fc.weight", edgeft_g_fc_weight, 4, 1},
// CHECK-NEXT:      {"fc.bias", edgeft_g_fc_bias, 2, 1},
// CHECK-NEXT:      {"frozen", edgeft_g_frozen, 2, 0},
// CHECK-NEXT:  };
// CHECK-NEXT:  const int edgeft_param_count = 3;
module attributes {edgeft.arena = 0 : i64} {
  memref.global "private" @"fc.weight" : memref<2x2xf32> = dense<[[1.0, 2.0], [3.0, 4.0]]> {edgeft.trainable}
  memref.global "private" @"fc.bias" : memref<2xf32> = dense<0.0> {edgeft.trainable}
  memref.global "private" @frozen : memref<2xf32> = dense<[1.0, 2.0]>
  func.func @read(%out: memref<f32>) {
    %w = memref.get_global @"fc.weight" : memref<2x2xf32>
    %c1 = arith.constant 1 : index
    %x = memref.load %w[%c1, %c1] : memref<2x2xf32>
    memref.store %x, %out[] : memref<f32>
    return
  }
}

// -----

// A constant global that code reads is a static const array with its values;
// one that nothing reads is left out; neither is a parameter.
// CHECK-LABEL: static const int32_t edgeft_g_table[3] = {
// CHECK-NEXT:      7, 8, 9,
// CHECK-NEXT:  };
// CHECK-NOT:   edgeft_g_unused
// CHECK:       const int32_t [[I:v[0-9]+]] = edgeft_g_table[1];
// CHECK-LABEL: const edgeft_tensor_t edgeft_params[] = {
// CHECK-NEXT:  };
module attributes {edgeft.arena = 0 : i64} {
  memref.global "private" constant @table : memref<3xi32> = dense<[7, 8, 9]>
  memref.global "private" constant @unused : memref<3xi32> = dense<[1, 2, 3]>
  func.func @read(%out: memref<i32>) {
    %t = memref.get_global @table : memref<3xi32>
    %c1 = arith.constant 1 : index
    %i = memref.load %t[%c1] : memref<3xi32>
    memref.store %i, %out[] : memref<i32>
    return
  }
}

// -----

// A global placed in the flat arena is a named slice of it, not an array of
// its own; a kernel takes it as a parameter named after the global.
// CHECK-LABEL: #define EDGEFT_OFF_STATE 64  /* state: edgeft_arena, 16 B */
// CHECK-NEXT:  #define edgeft_g_state ((float *)(edgeft_arena + EDGEFT_OFF_STATE))
// CHECK-NOT:   float edgeft_g_state[
// CHECK:       extern const float edgeft_init_state[4];
// CHECK:       static void k0_read_fc(float *restrict state)
// CHECK:           k0_read_fc(edgeft_g_state);
// CHECK-LABEL: void edgeft_init(void)
// CHECK-NEXT:  {
// CHECK-NEXT:      memcpy(edgeft_g_state, edgeft_init_state, sizeof edgeft_init_state);
module attributes {edgeft.arena = 128 : i64} {
  memref.global "private" @state : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]> {edgeft.level = "flat", edgeft.offset = 64 : i64}
  func.func @read() {
    %s = memref.get_global @state : memref<4xf32>
    %c0 = arith.constant 0 : index
    %c4 = arith.constant 4 : index
    %c1 = arith.constant 1 : index
    %z = arith.constant 0.0 : f32
    scf.for %i = %c0 to %c4 step %c1 {
      memref.store %z, %s[%i] : memref<4xf32>
    } loc("fc"("model.py":3:0))
    return
  }
}

// -----

// With a per-level plan each level is an arena of the planned size and a
// global placed in L2 is a slice of the L2 arena.
// CHECK-LABEL: static uint8_t edgeft_L2[128] EDGEFT_PLACE(L2) __attribute__((aligned(64)));  /* L2: 128 B */
// CHECK-NEXT:  static uint8_t edgeft_L3[64] EDGEFT_PLACE(L3) __attribute__((aligned(64)));  /* L3: 64 B */
// CHECK-NEXT:  const long edgeft_arena_bytes = 192;
// CHECK:       #define EDGEFT_OFF_W 32  /* w: edgeft_L2, 64 B */
// CHECK-NEXT:  #define edgeft_g_w ((float *)(edgeft_L2 + EDGEFT_OFF_W))
module attributes {edgeft.memory = {L2 = 128 : i64, L2_lower_bound = 128 : i64, L3 = 64 : i64, L3_lower_bound = 64 : i64}} {
  memref.global "private" @w : memref<16xf32> = dense<1.0> {edgeft.level = "L2", edgeft.offset = 32 : i64, edgeft.trainable}
  func.func @read(%out: memref<f32>) {
    %w = memref.get_global @w : memref<16xf32>
    %c1 = arith.constant 1 : index
    %x = memref.load %w[%c1] : memref<16xf32>
    memref.store %x, %out[] : memref<f32>
    return
  }
}

// -----

// The cores cannot address L3: a copy from a global placed there is the
// runtime's, and the global gets its initial value through the runtime too
// (a copy, or a fill for a splat).
// CHECK-LABEL: static void edgeft_move_fn(float *restrict arg0)
// CHECK:       edgeft_rt_copy(&arg0[0], &edgeft_g_a[0], 4 * sizeof(float));
// CHECK-LABEL: void edgeft_init(void)
// CHECK-NEXT:  {
// CHECK-NEXT:  edgeft_rt_copy(edgeft_g_a, edgeft_init_a, sizeof edgeft_init_a);
// CHECK-NEXT:  {
// CHECK-NEXT:      const float value = 0.0f;
// CHECK-NEXT:      edgeft_rt_fill(edgeft_g_z, &value, sizeof value, 4);
// CHECK-NEXT:  }
module attributes {edgeft.memory = {L2 = 64 : i64, L2_lower_bound = 64 : i64, L3 = 128 : i64, L3_lower_bound = 128 : i64}} {
  memref.global "private" @a : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]> {edgeft.level = "L3", edgeft.offset = 0 : i64}
  memref.global "private" @z : memref<4xf32> = dense<0.0> {edgeft.level = "L3", edgeft.offset = 64 : i64}
  func.func @move(%out: memref<4xf32>) {
    %a = memref.get_global @a : memref<4xf32>
    memref.copy %a, %out : memref<4xf32> to memref<4xf32>
    return
  }
}
