// A block whose forward applies ReLU between its two layers (located at the
// block, `blk`, as torch-mlir locates a functional op of a module's forward),
// then a module `mix` that applies its child's weight `mix.proj.weight`
// functionally (as nn.MultiheadAttention applies `out_proj`), then the head:
// 4 -> 3 -> 6 -> 5 -> 2, no biases, an MSE loss over 10 values.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#all = affine_map<(d0, d1) -> ()>
ml_program.global private mutable @blk.fc1.weight(dense<0.1> : tensor<3x4xf32>) : tensor<3x4xf32> loc("blk.fc1")
ml_program.global private mutable @blk.fc2.weight(dense<0.2> : tensor<6x3xf32>) : tensor<6x3xf32> loc("blk.fc2")
ml_program.global private mutable @mix.proj.weight(dense<0.3> : tensor<5x6xf32>) : tensor<5x6xf32> loc("mix.proj")
ml_program.global private mutable @head.weight(dense<0.4> : tensor<2x5xf32>) : tensor<2x5xf32> loc("head")
func.func @forward(%x: tensor<5x4xf32> loc("x"), %y: tensor<5x2xf32> loc("y")) -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %w1 = ml_program.global_load @blk.fc1.weight : tensor<3x4xf32> loc("blk.fc1")
  %w2 = ml_program.global_load @blk.fc2.weight : tensor<6x3xf32> loc("blk.fc2")
  %wp = ml_program.global_load @mix.proj.weight : tensor<5x6xf32> loc("mix.proj")
  %wh = ml_program.global_load @head.weight : tensor<2x5xf32> loc("head")
  %t1e = tensor.empty() : tensor<4x3xf32> loc("blk.fc1")
  %w1t = linalg.transpose ins(%w1 : tensor<3x4xf32>) outs(%t1e : tensor<4x3xf32>) permutation = [1, 0] loc("blk.fc1")
  %h1e = tensor.empty() : tensor<5x3xf32> loc("blk.fc1")
  %h1z = linalg.fill ins(%zero : f32) outs(%h1e : tensor<5x3xf32>) -> tensor<5x3xf32> loc("blk.fc1")
  %h1 = linalg.matmul ins(%x, %w1t : tensor<5x4xf32>, tensor<4x3xf32>) outs(%h1z : tensor<5x3xf32>) -> tensor<5x3xf32> loc("blk.fc1")
  %r1 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%h1 : tensor<5x3xf32>) outs(%h1e : tensor<5x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  } -> tensor<5x3xf32> loc("blk")
  %t2e = tensor.empty() : tensor<3x6xf32> loc("blk.fc2")
  %w2t = linalg.transpose ins(%w2 : tensor<6x3xf32>) outs(%t2e : tensor<3x6xf32>) permutation = [1, 0] loc("blk.fc2")
  %h2e = tensor.empty() : tensor<5x6xf32> loc("blk.fc2")
  %h2z = linalg.fill ins(%zero : f32) outs(%h2e : tensor<5x6xf32>) -> tensor<5x6xf32> loc("blk.fc2")
  %h2 = linalg.matmul ins(%r1, %w2t : tensor<5x3xf32>, tensor<3x6xf32>) outs(%h2z : tensor<5x6xf32>) -> tensor<5x6xf32> loc("blk.fc2")
  %r2 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%h2 : tensor<5x6xf32>) outs(%h2e : tensor<5x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  } -> tensor<5x6xf32> loc("blk")
  %tpe = tensor.empty() : tensor<6x5xf32> loc("mix")
  %wpt = linalg.transpose ins(%wp : tensor<5x6xf32>) outs(%tpe : tensor<6x5xf32>) permutation = [1, 0] loc("mix")
  %pe = tensor.empty() : tensor<5x5xf32> loc("mix")
  %pz = linalg.fill ins(%zero : f32) outs(%pe : tensor<5x5xf32>) -> tensor<5x5xf32> loc("mix")
  %p = linalg.matmul ins(%r2, %wpt : tensor<5x6xf32>, tensor<6x5xf32>) outs(%pz : tensor<5x5xf32>) -> tensor<5x5xf32> loc("mix")
  %the = tensor.empty() : tensor<5x2xf32> loc("head")
  %wht = linalg.transpose ins(%wh : tensor<2x5xf32>) outs(%the : tensor<5x2xf32>) permutation = [1, 0] loc("head")
  %oe = tensor.empty() : tensor<5x2xf32> loc("head")
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<5x2xf32>) -> tensor<5x2xf32> loc("head")
  %out = linalg.matmul ins(%p, %wht : tensor<5x5xf32>, tensor<5x2xf32>) outs(%oz : tensor<5x2xf32>) -> tensor<5x2xf32> loc("head")
  %le = tensor.empty() : tensor<f32> loc("loss")
  %lz = linalg.fill ins(%zero : f32) outs(%le : tensor<f32>) -> tensor<f32> loc("loss")
  %sq = linalg.generic {indexing_maps = [#id2, #id2, #all], iterator_types = ["reduction", "reduction"]} ins(%out, %y : tensor<5x2xf32>, tensor<5x2xf32>) outs(%lz : tensor<f32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %d = arith.subf %a, %b : f32
    %d2 = arith.mulf %d, %d : f32
    %s = arith.addf %d2, %acc : f32
    linalg.yield %s : f32
  } -> tensor<f32> loc("loss")
  return %sq : tensor<f32>
}
