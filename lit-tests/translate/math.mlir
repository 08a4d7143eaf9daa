// RUN: edgeft-translate %s --to-c --split-input-file | filecheck %s

// math ops on f32 call the float variants of libm.
// CHECK-LABEL: static void edgeft_float_math_fn(
// CHECK:         const float [[E:v[0-9]+]] = expf([[X:v[0-9]+]]);
// CHECK-NEXT:    const float [[T:v[0-9]+]] = tanhf([[E]]);
// CHECK-NEXT:    const float [[P:v[0-9]+]] = powf([[T]], [[X]]);
// CHECK-NEXT:    const float [[A:v[0-9]+]] = fabsf([[P]]);
// CHECK-NEXT:    const float [[R:v[0-9]+]] = 1.0f / sqrtf([[A]]);
module attributes {edgeft.arena = 0 : i64} {
  func.func @float_math(%a: memref<f32>, %out: memref<f32>) {
    %x = memref.load %a[] : memref<f32>
    %e = math.exp %x : f32
    %t = math.tanh %e : f32
    %p = math.powf %t, %x : f32
    %abs = math.absf %p : f32
    %r = math.rsqrt %abs : f32
    memref.store %r, %out[] : memref<f32>
    return
  }
}

// -----

// On f64 they call the double functions.
// CHECK-LABEL: static void edgeft_double_math_fn(
// CHECK:         const double [[L:v[0-9]+]] = log([[X:v[0-9]+]]);
// CHECK-NEXT:    const double [[R:v[0-9]+]] = 1.0 / sqrt([[L]]);
module attributes {edgeft.arena = 0 : i64} {
  func.func @double_math(%a: memref<f64>, %out: memref<f64>) {
    %x = memref.load %a[] : memref<f64>
    %l = math.log %x : f64
    %r = math.rsqrt %l : f64
    memref.store %r, %out[] : memref<f64>
    return
  }
}

// -----

// math.fma keeps its three operands in order.
// CHECK-LABEL: static void edgeft_fused_fn(
// CHECK:         const float [[F:v[0-9]+]] = fmaf([[X:v[0-9]+]], 2.0f, 0.5f);
module attributes {edgeft.arena = 0 : i64} {
  func.func @fused(%a: memref<f32>, %out: memref<f32>) {
    %x = memref.load %a[] : memref<f32>
    %two = arith.constant 2.0 : f32
    %half = arith.constant 0.5 : f32
    %f = math.fma %x, %two, %half : f32
    memref.store %f, %out[] : memref<f32>
    return
  }
}

// -----

// math.fpowi raises to an integer power through powf, the exponent cast to float.
// CHECK-LABEL: static void edgeft_int_power_fn(
// CHECK:         const float [[P:v[0-9]+]] = powf([[X:v[0-9]+]], (float)3);
module attributes {edgeft.arena = 0 : i64} {
  func.func @int_power(%a: memref<f32>, %out: memref<f32>) {
    %x = memref.load %a[] : memref<f32>
    %three = arith.constant 3 : i32
    %p = math.fpowi %x, %three : f32, i32
    memref.store %p, %out[] : memref<f32>
    return
  }
}
