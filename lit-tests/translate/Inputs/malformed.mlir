// Not valid MLIR: %undefined is never defined.
module attributes {edgeft.arena = 0 : i64} {
  func.func @f(%a: memref<f32>) {
    memref.store %undefined, %a[] : memref<f32>
    return
  }
}
