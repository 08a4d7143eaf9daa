// A three-layer perceptron (4 -> 3 -> 3 -> 2) with an MSE loss, written as
// torch-mlir would import it: locations name the PyTorch layers.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
#all = affine_map<(d0, d1) -> ()>
ml_program.global private mutable @fc1.weight(dense<[[0.1, -0.2, 0.3, 0.4], [0.5, 0.6, -0.7, 0.8], [0.9, 1.0, 1.1, -1.2]]> : tensor<3x4xf32>) : tensor<3x4xf32> loc("fc1")
ml_program.global private mutable @fc1.bias(dense<[0.1, 0.2, 0.3]> : tensor<3xf32>) : tensor<3xf32> loc("fc1")
ml_program.global private mutable @fc2.weight(dense<[[0.2, -0.1, 0.3], [0.4, 0.5, -0.6], [-0.7, 0.8, 0.9]]> : tensor<3x3xf32>) : tensor<3x3xf32> loc("fc2")
ml_program.global private mutable @fc2.bias(dense<[0.0, -0.1, 0.1]> : tensor<3xf32>) : tensor<3xf32> loc("fc2")
ml_program.global private mutable @fc3.weight(dense<[[0.3, 0.2, -0.1], [0.1, -0.4, 0.5]]> : tensor<2x3xf32>) : tensor<2x3xf32> loc("fc3")
ml_program.global private mutable @fc3.bias(dense<[0.05, -0.05]> : tensor<2xf32>) : tensor<2xf32> loc("fc3")
func.func @forward(%x: tensor<5x4xf32> loc("x"), %y: tensor<5x2xf32> loc("y")) -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %w1 = ml_program.global_load @fc1.weight : tensor<3x4xf32> loc("fc1")
  %b1 = ml_program.global_load @fc1.bias : tensor<3xf32> loc("fc1")
  %w2 = ml_program.global_load @fc2.weight : tensor<3x3xf32> loc("fc2")
  %b2 = ml_program.global_load @fc2.bias : tensor<3xf32> loc("fc2")
  %w3 = ml_program.global_load @fc3.weight : tensor<2x3xf32> loc("fc3")
  %b3 = ml_program.global_load @fc3.bias : tensor<2xf32> loc("fc3")
  // fc1 + ReLU
  %t1e = tensor.empty() : tensor<4x3xf32> loc("fc1")
  %w1t = linalg.transpose ins(%w1 : tensor<3x4xf32>) outs(%t1e : tensor<4x3xf32>) permutation = [1, 0] loc("fc1")
  %h1e = tensor.empty() : tensor<5x3xf32> loc("fc1")
  %h1z = linalg.fill ins(%zero : f32) outs(%h1e : tensor<5x3xf32>) -> tensor<5x3xf32> loc("fc1")
  %h1m = linalg.matmul ins(%x, %w1t : tensor<5x4xf32>, tensor<4x3xf32>) outs(%h1z : tensor<5x3xf32>) -> tensor<5x3xf32> loc("fc1")
  %h1 = linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]} ins(%h1m, %b1 : tensor<5x3xf32>, tensor<3xf32>) outs(%h1e : tensor<5x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<5x3xf32> loc("fc1")
  %r1 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%h1 : tensor<5x3xf32>) outs(%h1e : tensor<5x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c = arith.cmpf ugt, %a, %zero : f32
    %s = arith.select %c, %a, %zero : f32
    linalg.yield %s : f32
  } -> tensor<5x3xf32> loc("MLP")
  // fc2 + ReLU
  %t2e = tensor.empty() : tensor<3x3xf32> loc("fc2")
  %w2t = linalg.transpose ins(%w2 : tensor<3x3xf32>) outs(%t2e : tensor<3x3xf32>) permutation = [1, 0] loc("fc2")
  %h2m = linalg.matmul ins(%r1, %w2t : tensor<5x3xf32>, tensor<3x3xf32>) outs(%h1z : tensor<5x3xf32>) -> tensor<5x3xf32> loc("fc2")
  %h2 = linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]} ins(%h2m, %b2 : tensor<5x3xf32>, tensor<3xf32>) outs(%h1e : tensor<5x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<5x3xf32> loc("fc2")
  %r2 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%h2 : tensor<5x3xf32>) outs(%h1e : tensor<5x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c = arith.cmpf ugt, %a, %zero : f32
    %s = arith.select %c, %a, %zero : f32
    linalg.yield %s : f32
  } -> tensor<5x3xf32> loc("MLP")
  // fc3: the head
  %t3e = tensor.empty() : tensor<3x2xf32> loc("fc3")
  %w3t = linalg.transpose ins(%w3 : tensor<2x3xf32>) outs(%t3e : tensor<3x2xf32>) permutation = [1, 0] loc("fc3")
  %oe = tensor.empty() : tensor<5x2xf32> loc("fc3")
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<5x2xf32>) -> tensor<5x2xf32> loc("fc3")
  %om = linalg.matmul ins(%r2, %w3t : tensor<5x3xf32>, tensor<3x2xf32>) outs(%oz : tensor<5x2xf32>) -> tensor<5x2xf32> loc("fc3")
  %out = linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]} ins(%om, %b3 : tensor<5x2xf32>, tensor<2xf32>) outs(%oe : tensor<5x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<5x2xf32> loc("fc3")
  // mean squared error
  %le = tensor.empty() : tensor<f32> loc("loss")
  %lz = linalg.fill ins(%zero : f32) outs(%le : tensor<f32>) -> tensor<f32> loc("loss")
  %sq = linalg.generic {indexing_maps = [#id2, #id2, #all], iterator_types = ["reduction", "reduction"]} ins(%out, %y : tensor<5x2xf32>, tensor<5x2xf32>) outs(%lz : tensor<f32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %d = arith.subf %a, %b : f32
    %d2 = arith.mulf %d, %d : f32
    %s = arith.addf %d2, %acc : f32
    linalg.yield %s : f32
  } -> tensor<f32> loc("loss")
  %ten = arith.constant 10.0 : f32
  %loss = linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>], iterator_types = []} ins(%sq : tensor<f32>) outs(%le : tensor<f32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.divf %a, %ten : f32
    linalg.yield %m : f32
  } -> tensor<f32> loc("loss")
  return %loss : tensor<f32>
}
