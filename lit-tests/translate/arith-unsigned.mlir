// RUN: edgeft-translate %s --to-c --split-input-file | filecheck %s
// Bug (emitter.py): arith.cmpi's unsigned predicates on index compare as
// signed `long` (ctype "long" has no "int" to replace), and arith.maxui /
// arith.minui compare as signed.

// An unsigned comparison of index values compares them as unsigned long.
// CHECK-LABEL: static void edgeft_index_ult_fn(
// CHECK:         const bool [[P:v[0-9]+]] = (unsigned long)[[I:v[0-9]+]] < (unsigned long)10;
module attributes {edgeft.arena = 0 : i64} {
  func.func @index_ult(%a: memref<index>, %out: memref<i1>) {
    %i = memref.load %a[] : memref<index>
    %ten = arith.constant 10 : index
    %p = arith.cmpi ult, %i, %ten : index
    memref.store %p, %out[] : memref<i1>
    return
  }
}

// -----

// arith.maxui picks the larger value read as unsigned.
// CHECK-LABEL: static void edgeft_maxui_fn(
// CHECK:         const int32_t [[M:v[0-9]+]] = ((uint32_t)[[X:v[0-9]+]] > (uint32_t)7) ? [[X]] : 7;
module attributes {edgeft.arena = 0 : i64} {
  func.func @maxui(%a: memref<i32>, %out: memref<i32>) {
    %x = memref.load %a[] : memref<i32>
    %c = arith.constant 7 : i32
    %m = arith.maxui %x, %c : i32
    memref.store %m, %out[] : memref<i32>
    return
  }
}
