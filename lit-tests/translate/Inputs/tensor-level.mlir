// A module still on tensors (the lowering pipeline did not run), with a plan attribute.
module attributes {edgeft.arena = 0 : i64} {
  func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
    return %a : tensor<4xf32>
  }
}
