// A depthwise 3x3 conv (2 channels, padding 1) then a grouped 3x3 conv
// (2 -> 4 channels, 2 groups): the shapes torch-mlir gives them, the depthwise
// weight collapsed to (C, kh, kw), the grouped one expanded to 5-D.
ml_program.global private mutable @dw.weight(dense<0.1> : tensor<2x1x3x3xf32>) : tensor<2x1x3x3xf32> loc("dw")
ml_program.global private mutable @gc.weight(dense<0.2> : tensor<4x1x3x3xf32>) : tensor<4x1x3x3xf32> loc("gc")
func.func @forward(%x: tensor<2x2x4x4xf32> loc("x")) -> tensor<2x4x2x2xf32> {
  %zero = arith.constant 0.0 : f32
  %w = ml_program.global_load @dw.weight : tensor<2x1x3x3xf32> loc("dw")
  %g = ml_program.global_load @gc.weight : tensor<4x1x3x3xf32> loc("gc")
  %padded = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<2x2x4x4xf32> to tensor<2x2x6x6xf32> loc("dw")
  %de = tensor.empty() : tensor<2x2x4x4xf32> loc("dw")
  %dz = linalg.fill ins(%zero : f32) outs(%de : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32> loc("dw")
  %wc = tensor.collapse_shape %w [[0, 1], [2], [3]] : tensor<2x1x3x3xf32> into tensor<2x3x3xf32> loc("dw")
  %d = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%padded, %wc : tensor<2x2x6x6xf32>, tensor<2x3x3xf32>) outs(%dz : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32> loc("dw")
  %xe = tensor.expand_shape %d [[0], [1, 2], [3], [4]] output_shape [2, 2, 1, 4, 4] : tensor<2x2x4x4xf32> into tensor<2x2x1x4x4xf32> loc("gc")
  %ge = tensor.expand_shape %g [[0, 1], [2], [3], [4]] output_shape [2, 2, 1, 3, 3] : tensor<4x1x3x3xf32> into tensor<2x2x1x3x3xf32> loc("gc")
  %oe = tensor.empty() : tensor<2x2x2x2x2xf32> loc("gc")
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<2x2x2x2x2xf32>) -> tensor<2x2x2x2x2xf32> loc("gc")
  %c = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%xe, %ge : tensor<2x2x1x4x4xf32>, tensor<2x2x1x3x3xf32>) outs(%oz : tensor<2x2x2x2x2xf32>) -> tensor<2x2x2x2x2xf32> loc("gc")
  %out = tensor.collapse_shape %c [[0], [1, 2], [3], [4]] : tensor<2x2x2x2x2xf32> into tensor<2x4x2x2xf32> loc("gc")
  return %out : tensor<2x4x2x2xf32>
}
