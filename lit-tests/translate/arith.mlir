// RUN: edgeft-translate %s --to-c --split-input-file | filecheck %s

// Float arithmetic reads its operands from named values, one statement each;
// float min/max are the runtime's edgeft_maxnumf (NaN-ignoring),
// edgeft_maximumf (NaN-propagating) and their minimum twins (edgeft_minmax.h).
// CHECK-LABEL: static void edgeft_float_ops_fn(float *restrict arg0, float *restrict arg1)
// CHECK:         const float [[X:v[0-9]+]] = arg0[0];
// CHECK-NEXT:    const float [[S:v[0-9]+]] = [[X]] + 0.100000001f;
// CHECK-NEXT:    const float [[M:v[0-9]+]] = [[S]] * [[X]];
// CHECK-NEXT:    const float [[D:v[0-9]+]] = [[M]] / [[S]];
// CHECK-NEXT:    const float [[N:v[0-9]+]] = -[[D]];
// CHECK-NEXT:    const float [[R:v[0-9]+]] = edgeft_maxnumf([[N]], [[X]]);
// CHECK-NEXT:    const float [[P:v[0-9]+]] = edgeft_maximumf([[R]], [[X]]);
// CHECK-NEXT:    const float [[Q:v[0-9]+]] = edgeft_minnumf([[P]], [[X]]);
// CHECK-NEXT:    const float [[T:v[0-9]+]] = edgeft_minimumf([[Q]], [[X]]);
// CHECK-NEXT:    arg1[0] = [[T]];
module attributes {edgeft.arena = 0 : i64} {
  func.func @float_ops(%a: memref<f32>, %out: memref<f32>) {
    %x = memref.load %a[] : memref<f32>
    %c = arith.constant 0.1 : f32
    %s = arith.addf %x, %c : f32
    %m = arith.mulf %s, %x : f32
    %d = arith.divf %m, %s : f32
    %n = arith.negf %d : f32
    %r = arith.maxnumf %n, %x : f32
    %p = arith.maximumf %r, %x : f32
    %q = arith.minnumf %p, %x : f32
    %t = arith.minimumf %q, %x : f32
    memref.store %t, %out[] : memref<f32>
    return
  }
}

// -----

// Unsigned integer ops and zero extension read their operands as unsigned.
// CHECK-LABEL: static void edgeft_unsigned_ops_fn(int32_t *restrict arg0, int64_t *restrict arg1)
// CHECK:         const int32_t [[Q:v[0-9]+]] = (int32_t)((uint32_t)[[X:v[0-9]+]] / (uint32_t)3);
// CHECK-NEXT:    const int32_t [[R:v[0-9]+]] = [[Q]] % 3;
// CHECK-NEXT:    const int32_t [[S:v[0-9]+]] = (int32_t)((uint32_t)[[R]] >> (uint32_t)3);
// CHECK-NEXT:    const int64_t [[E:v[0-9]+]] = (int64_t)(uint32_t)[[S]];
// CHECK-NEXT:    arg1[0] = [[E]];
module attributes {edgeft.arena = 0 : i64} {
  func.func @unsigned_ops(%a: memref<i32>, %out: memref<i64>) {
    %x = memref.load %a[] : memref<i32>
    %c = arith.constant 3 : i32
    %q = arith.divui %x, %c : i32
    %r = arith.remsi %q, %c : i32
    %s = arith.shrui %r, %c : i32
    %e = arith.extui %s : i32 to i64
    memref.store %e, %out[] : memref<i64>
    return
  }
}

// -----

// Comparisons and select; an unsigned predicate compares unsigned values.
// CHECK-LABEL: static void edgeft_compare_fn(
// CHECK:         const bool [[P:v[0-9]+]] = !([[X:v[0-9]+]] <= 0.0f);
// CHECK-NEXT:    const bool [[Q:v[0-9]+]] = (uint32_t)[[I:v[0-9]+]] < (uint32_t)10;
// CHECK-NEXT:    const bool [[B:v[0-9]+]] = [[P]] & [[Q]];
// CHECK-NEXT:    const float [[R:v[0-9]+]] = [[B]] ? [[X]] : 0.0f;
module attributes {edgeft.arena = 0 : i64} {
  func.func @compare(%a: memref<f32>, %b: memref<i32>, %out: memref<f32>) {
    %x = memref.load %a[] : memref<f32>
    %i = memref.load %b[] : memref<i32>
    %zero = arith.constant 0.0 : f32
    %ten = arith.constant 10 : i32
    %p = arith.cmpf ugt, %x, %zero : f32
    %q = arith.cmpi ult, %i, %ten : i32
    %both = arith.andi %p, %q : i1
    %r = arith.select %both, %x, %zero : f32
    memref.store %r, %out[] : memref<f32>
    return
  }
}

// -----

// Casts between integer, index and float types are C casts.
// CHECK-LABEL: static void edgeft_casts_fn(int64_t *restrict arg0, double *restrict arg1)
// CHECK:         const long [[I:v[0-9]+]] = (long)[[X:v[0-9]+]];
// CHECK-NEXT:    const int32_t [[T:v[0-9]+]] = (int32_t)[[I]];
// CHECK-NEXT:    const float [[F:v[0-9]+]] = (float)[[T]];
// CHECK-NEXT:    const double [[D:v[0-9]+]] = (double)[[F]];
module attributes {edgeft.arena = 0 : i64} {
  func.func @casts(%a: memref<i64>, %out: memref<f64>) {
    %x = memref.load %a[] : memref<i64>
    %i = arith.index_cast %x : i64 to index
    %t = arith.index_cast %i : index to i32
    %f = arith.sitofp %t : i32 to f32
    %d = arith.extf %f : f32 to f64
    memref.store %d, %out[] : memref<f64>
    return
  }
}

// -----

// Constants are inlined as exact literals: 9 significant digits for f32, 17
// CHECK-LABEL: static void edgeft_constants_fn(
// CHECK-NEXT:  {
// CHECK-NEXT:    arg0[0] = 0.100000001f;
// CHECK-NEXT:    arg1[0] = 0.10000000000000001;
// CHECK-NEXT:    arg2[0] = INT64_C(4294967296);
// CHECK-NEXT:    arg3[0] = INFINITY;
// for f64, INT64_C beyond 32 bits, INFINITY for infinities.
module attributes {edgeft.arena = 0 : i64} {
  func.func @constants(%f: memref<f32>, %d: memref<f64>, %i: memref<i64>, %g: memref<f32>) {
    %c1 = arith.constant 0.1 : f32
    %c2 = arith.constant 0.1 : f64
    %c3 = arith.constant 4294967296 : i64
    %c4 = arith.constant 0x7F800000 : f32
    memref.store %c1, %f[] : memref<f32>
    memref.store %c2, %d[] : memref<f64>
    memref.store %c3, %i[] : memref<i64>
    memref.store %c4, %g[] : memref<f32>
    return
  }
}

// -----

// Boolean constants (softmax inside attention has `true`) become C's true and false.
// CHECK-LABEL: static void edgeft_bools_fn(
// CHECK:         const bool [[A:v[0-9]+]] = [[P:v[0-9]+]] & true;
// CHECK-NEXT:    const bool [[B:v[0-9]+]] = [[A]] | false;
// CHECK:         [[B]] ? 1.0f : 0.0f
module attributes {edgeft.arena = 0 : i64} {
  func.func @bools(%a: memref<f32>, %out: memref<f32>) {
    %x = memref.load %a[] : memref<f32>
    %zero = arith.constant 0.0 : f32
    %one = arith.constant 1.0 : f32
    %t = arith.constant true
    %f = arith.constant false
    %p = arith.cmpf ogt, %x, %zero : f32
    %q = arith.andi %p, %t : i1
    %r = arith.ori %q, %f : i1
    %s = arith.select %r, %one, %zero : f32
    memref.store %s, %out[] : memref<f32>
    return
  }
}
