// An element type without a C type.
module attributes {edgeft.arena = 0 : i64} {
  func.func @half(%a: memref<f16>) {
    return
  }
}
