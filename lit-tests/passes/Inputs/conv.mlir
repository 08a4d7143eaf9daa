// One 3x3 convolution with padding 1 and a bias, then a linear head: the
// shape torch-mlir gives conv1 -> flatten -> fc.
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
#all = affine_map<(d0, d1) -> ()>
ml_program.global private mutable @conv1.weight(dense<0.1> : tensor<2x1x3x3xf32>) : tensor<2x1x3x3xf32> loc("conv1")
ml_program.global private mutable @conv1.bias(dense<0.2> : tensor<2xf32>) : tensor<2xf32> loc("conv1")
ml_program.global private mutable @fc.weight(dense<0.05> : tensor<3x32xf32>) : tensor<3x32xf32> loc("fc")
ml_program.global private mutable @fc.bias(dense<0.0> : tensor<3xf32>) : tensor<3xf32> loc("fc")
func.func @forward(%x: tensor<2x1x4x4xf32> loc("x"), %y: tensor<2x3xf32> loc("y")) -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %w = ml_program.global_load @conv1.weight : tensor<2x1x3x3xf32> loc("conv1")
  %b = ml_program.global_load @conv1.bias : tensor<2xf32> loc("conv1")
  %fw = ml_program.global_load @fc.weight : tensor<3x32xf32> loc("fc")
  %fb = ml_program.global_load @fc.bias : tensor<3xf32> loc("fc")
  %padded = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<2x1x4x4xf32> to tensor<2x1x6x6xf32> loc("conv1")
  %ce = tensor.empty() : tensor<2x2x4x4xf32> loc("conv1")
  %cb = linalg.broadcast ins(%b : tensor<2xf32>) outs(%ce : tensor<2x2x4x4xf32>) dimensions = [0, 2, 3] loc("conv1")
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%padded, %w : tensor<2x1x6x6xf32>, tensor<2x1x3x3xf32>) outs(%cb : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32> loc("conv1")
  %flat = tensor.collapse_shape %c [[0], [1, 2, 3]] : tensor<2x2x4x4xf32> into tensor<2x32xf32> loc("Net")
  %te = tensor.empty() : tensor<32x3xf32> loc("fc")
  %fwt = linalg.transpose ins(%fw : tensor<3x32xf32>) outs(%te : tensor<32x3xf32>) permutation = [1, 0] loc("fc")
  %oe = tensor.empty() : tensor<2x3xf32> loc("fc")
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<2x3xf32>) -> tensor<2x3xf32> loc("fc")
  %om = linalg.matmul ins(%flat, %fwt : tensor<2x32xf32>, tensor<32x3xf32>) outs(%oz : tensor<2x3xf32>) -> tensor<2x3xf32> loc("fc")
  %out = linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]} ins(%om, %fb : tensor<2x3xf32>, tensor<3xf32>) outs(%oe : tensor<2x3xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<2x3xf32> loc("fc")
  %le = tensor.empty() : tensor<f32> loc("loss")
  %lz = linalg.fill ins(%zero : f32) outs(%le : tensor<f32>) -> tensor<f32> loc("loss")
  %loss = linalg.generic {indexing_maps = [#id2, #id2, #all], iterator_types = ["reduction", "reduction"]} ins(%out, %y : tensor<2x3xf32>, tensor<2x3xf32>) outs(%lz : tensor<f32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %d = arith.subf %p, %q : f32
    %d2 = arith.mulf %d, %d : f32
    %s = arith.addf %d2, %acc : f32
    linalg.yield %s : f32
  } -> tensor<f32> loc("loss")
  return %loss : tensor<f32>
}
