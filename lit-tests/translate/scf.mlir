// RUN: edgeft-translate %s --to-c --split-input-file | filecheck %s

// A top-level loop nest is outlined into a kernel named after its function
// and PyTorch layer, commented with the layer and source line; the function
// calls it. scf.if with an else region is an if/else.
// CHECK-LABEL: /* fc1 (model.py:12) */
// CHECK-NEXT:  static void k0_loop_fc1(float *restrict arg0)
// CHECK-NEXT:  {
// CHECK-NEXT:      for (long [[I:i[0-9]+]] = 0; [[I]] < 8; [[I]] += 1) {
// CHECK-NEXT:          const float [[X:v[0-9]+]] = arg0[[[I]]];
// CHECK-NEXT:          const bool [[P:v[0-9]+]] = [[X]] < 0.0f;
// CHECK-NEXT:          if ([[P]]) {
// CHECK-NEXT:              arg0[[[I]]] = 0.0f;
// CHECK-NEXT:          } else {
// CHECK-NEXT:              const float [[D:v[0-9]+]] = [[X]] + [[X]];
// CHECK-NEXT:              arg0[[[I]]] = [[D]];
// CHECK-NEXT:          }
// CHECK-NEXT:      }
// CHECK-NEXT:  }
// CHECK-LABEL: static void edgeft_loop_fn(float *restrict arg0)
// CHECK-NEXT:  {
// CHECK-NEXT:      k0_loop_fc1(arg0);
// CHECK-NEXT:  }
module attributes {edgeft.arena = 0 : i64} {
  func.func @loop(%a: memref<8xf32>) {
    %c0 = arith.constant 0 : index
    %c8 = arith.constant 8 : index
    %c1 = arith.constant 1 : index
    %z = arith.constant 0.0 : f32
    scf.for %i = %c0 to %c8 step %c1 {
      %x = memref.load %a[%i] : memref<8xf32>
      %p = arith.cmpf olt, %x, %z : f32
      scf.if %p {
        memref.store %z, %a[%i] : memref<8xf32>
      } else {
        %d = arith.addf %x, %x : f32
        memref.store %d, %a[%i] : memref<8xf32>
      }
    } loc("fc1"("model.py":12:0))
    return
  }
}

// -----

// A kernel takes each arena buffer it touches as a pointer parameter named
// bufN, and a scalar bound defined outside the nest as a value parameter;
// two loop nests are two kernels, numbered in order.
// CHECK-LABEL: static void k0_nest_relu(
// CHECK-SAME:    float *restrict buf0, long [[N:v[0-9]+]])
// CHECK:           for (long [[I:i[0-9]+]] = 0; [[I]] < [[N]]; [[I]] += 1) {
// CHECK-NEXT:          for (long [[J:i[0-9]+]] = 0; [[J]] < 4; [[J]] += 1) {
// CHECK-NEXT:              buf0[[[I]] * 4 + [[J]]] = 0.0f;
// CHECK-LABEL: static void k1_nest_fc2(float *restrict buf0, float *restrict arg1)
// CHECK-LABEL: static void edgeft_nest_fn(long *restrict arg0, float *restrict arg1)
// CHECK:           const long [[M:v[0-9]+]] = arg0[0];
// CHECK-NEXT:      k0_nest_relu(((float *)(edgeft_arena + EDGEFT_OFF_NEST_0)), [[M]]);
// CHECK-NEXT:      k1_nest_fc2(((float *)(edgeft_arena + EDGEFT_OFF_NEST_0)), arg1);
module attributes {edgeft.arena = 64 : i64} {
  func.func @nest(%bound: memref<index>, %out: memref<4xf32>) {
    %c0 = arith.constant 0 : index
    %c4 = arith.constant 4 : index
    %c1 = arith.constant 1 : index
    %z = arith.constant 0.0 : f32
    %b = memref.alloc() {edgeft.level = "flat", edgeft.offset = 0 : i64} : memref<4x4xf32>
    %n = memref.load %bound[] : memref<index>
    scf.for %i = %c0 to %n step %c1 {
      scf.for %j = %c0 to %c4 step %c1 {
        memref.store %z, %b[%i, %j] : memref<4x4xf32>
      }
    } loc("relu"("model.py":20:0))
    scf.for %j = %c0 to %c4 step %c1 {
      %x = memref.load %b[%c0, %j] : memref<4x4xf32>
      memref.store %x, %out[%j] : memref<4xf32>
    } loc("fc2"("model.py":21:0))
    return
  }
}

// -----

// scf.if without else at the top level stays in the function.
// CHECK-LABEL: static void edgeft_guard_fn(float *restrict arg0)
// CHECK:           if ([[P:v[0-9]+]]) {
// CHECK-NEXT:          arg0[0] = 0.0f;
// CHECK-NEXT:      }
// CHECK-NOT:       else
module attributes {edgeft.arena = 0 : i64} {
  func.func @guard(%a: memref<f32>) {
    %x = memref.load %a[] : memref<f32>
    %z = arith.constant 0.0 : f32
    %p = arith.cmpf olt, %x, %z : f32
    scf.if %p {
      memref.store %z, %a[] : memref<f32>
    }
    return
  }
}
