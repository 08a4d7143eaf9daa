// RUN: edgeft-opt %s --split-input-file -p 'edgeft-autodiff,canonicalize' | filecheck %s

// Depthwise convolution (groups == channels): the filter gradient is a generic
// over the op's own dims (n, oh, ow, c, kh, kw) that reduces n, oh and ow and
// reads the image at oh * stride + kh, as the forward does.
// CHECK-DAG:   #[[IMAGE:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d1 * 2 + d4, d2 * 2 + d5)>
// CHECK-DAG:   #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d1, d2)>
// CHECK-DAG:   #[[FILTER:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d4, d5)>
// CHECK-LABEL: func.func @train_step
// CHECK:       %[[DW:.*]] = linalg.generic {indexing_maps = [#[[IMAGE]], #[[OUT]], #[[FILTER]]], iterator_types = ["reduction", "reduction", "reduction", "parallel", "parallel", "parallel"]}
// CHECK:       ml_program.global_store @w.grad = %[[DW]] : tensor<2x2x2xf32>
ml_program.global private mutable @w(dense<[[[0.5, -1.0], [2.0, 1.0]], [[1.0, 0.0], [-0.5, 0.25]]]> : tensor<2x2x2xf32>) : tensor<2x2x2xf32> {edgeft.trainable}
func.func @forward(%x: tensor<1x2x5x5xf32>) -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %w = ml_program.global_load @w : tensor<2x2x2xf32>
  %e = tensor.empty() : tensor<1x2x2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %y = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%x, %w : tensor<1x2x5x5xf32>, tensor<2x2x2xf32>) outs(%z : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %s0 = tensor.empty() : tensor<f32>
  %s = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %l = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> ()>], iterator_types = ["reduction", "reduction", "reduction", "reduction"]} ins(%y : tensor<1x2x2x2xf32>) outs(%s : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Dilation 2, trainable image: the image gradient writes through the forward's
// image map (oh + kh * 2), so it scatters; n and c stay parallel, the rest reduce.
// CHECK-DAG:   #[[IMAGE:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d1 + d4 * 2, d2 + d5 * 2)>
// CHECK-DAG:   #[[FILTER:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d4, d5)>
// CHECK-LABEL: func.func @train_step
// CHECK:       %[[DX:.*]] = linalg.generic {indexing_maps = [#[[FILTER]], #{{.*}}, #[[IMAGE]]], iterator_types = ["parallel", "reduction", "reduction", "parallel", "reduction", "reduction"]}
// CHECK:       ml_program.global_store @x.grad = %[[DX]] : tensor<1x2x5x5xf32>
ml_program.global private mutable @x(dense<1.0> : tensor<1x2x5x5xf32>) : tensor<1x2x5x5xf32> {edgeft.trainable}
func.func @forward() -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %x = ml_program.global_load @x : tensor<1x2x5x5xf32>
  %w = arith.constant dense<0.5> : tensor<2x2x2xf32>
  %e = tensor.empty() : tensor<1x2x3x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %y = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<2> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %w : tensor<1x2x5x5xf32>, tensor<2x2x2xf32>) outs(%z : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %s0 = tensor.empty() : tensor<f32>
  %s = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %l = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> ()>], iterator_types = ["reduction", "reduction", "reduction", "reduction"]} ins(%y : tensor<1x2x3x3xf32>) outs(%s : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<f32>
  return %l : tensor<f32>
}
