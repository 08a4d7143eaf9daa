// A Linear (3 -> 5) applied over the token axis of a (2, 4, 3) input: the
// import broadcasts W^T over the batch (a copying linalg.generic) and uses a
// batch_matmul.
#w = affine_map<(d0, d1, d2) -> (d1, d2)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
ml_program.global private mutable @mix.weight(dense<0.1> : tensor<5x3xf32>) : tensor<5x3xf32> loc("mix")
func.func @forward(%x: tensor<2x4x3xf32> loc("x")) -> tensor<2x4x5xf32> {
  %zero = arith.constant 0.0 : f32
  %w = ml_program.global_load @mix.weight : tensor<5x3xf32> loc("mix")
  %te = tensor.empty() : tensor<3x5xf32> loc("mix")
  %wt = linalg.transpose ins(%w : tensor<5x3xf32>) outs(%te : tensor<3x5xf32>) permutation = [1, 0] loc("mix")
  %be = tensor.empty() : tensor<2x3x5xf32> loc("mix")
  %wb = linalg.generic {indexing_maps = [#w, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%wt : tensor<3x5xf32>) outs(%be : tensor<2x3x5xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  } -> tensor<2x3x5xf32> loc("mix")
  %oe = tensor.empty() : tensor<2x4x5xf32> loc("mix")
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<2x4x5xf32>) -> tensor<2x4x5xf32> loc("mix")
  %y = linalg.batch_matmul ins(%x, %wb : tensor<2x4x3xf32>, tensor<2x3x5xf32>) outs(%oz : tensor<2x4x5xf32>) -> tensor<2x4x5xf32> loc("mix")
  return %y : tensor<2x4x5xf32>
}
