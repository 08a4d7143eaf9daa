// RUN: edgeft-opt %s --split-input-file -p canonicalize | filecheck %s

// Each chunk is its own module; the output joins them with // -----.
// CHECK-LABEL: func.func @first
// CHECK:       // -----
// CHECK-LABEL: func.func @second
// CHECK-NOT:   // -----
func.func @first() {
  return
}

// -----

func.func @second() {
  return
}
