// A function taking a scalar (not lowered to memrefs at its boundary).
module attributes {edgeft.arena = 0 : i64} {
  func.func @scale(%a: memref<f32>, %s: f32) {
    memref.store %s, %a[] : memref<f32>
    return
  }
}
