// An op without a C translation: the error names it and its PyTorch layer.
module attributes {edgeft.arena = 0 : i64} {
  func.func @remf(%a: memref<f32>) {
    %x = memref.load %a[] : memref<f32>
    %r = arith.remf %x, %x : f32 loc("fc1"("model.py":4:0))
    memref.store %r, %a[] : memref<f32>
    return
  }
}
