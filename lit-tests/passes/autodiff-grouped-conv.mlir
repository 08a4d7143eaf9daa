// RUN: edgeft-opt %s -p 'edgeft-autodiff,canonicalize' | filecheck %s

// Grouped convolution (conv_2d_ngchw_gfchw, dims n, g, fg, oh, ow, c, kh, kw):
// both gradients keep the group dim g parallel. The image gradient reads the
// filter and writes through the image map (oh + kh), reducing fg; the filter
// gradient reduces n, oh and ow.
// CHECK-DAG:   #[[FILTER:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d2, d5, d6, d7)>
// CHECK-DAG:   #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG:   #[[IMAGE:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d5, d3 + d6, d4 + d7)>
// CHECK-LABEL: func.func @train_step
// CHECK:       %[[DX:.*]] = linalg.generic {indexing_maps = [#[[FILTER]], #[[OUT]], #[[IMAGE]]], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "reduction", "reduction"]}
// CHECK:       %[[DW:.*]] = linalg.generic {indexing_maps = [#[[IMAGE]], #[[OUT]], #[[FILTER]]], iterator_types = ["reduction", "parallel", "parallel", "reduction", "reduction", "parallel", "parallel", "parallel"]}
// CHECK:       ml_program.global_store @x.grad = %[[DX]] : tensor<1x2x2x4x4xf32>
// CHECK:       ml_program.global_store @w.grad = %[[DW]] : tensor<2x1x2x3x3xf32>
ml_program.global private mutable @x(dense<1.0> : tensor<1x2x2x4x4xf32>) : tensor<1x2x2x4x4xf32> {edgeft.trainable}
ml_program.global private mutable @w(dense<0.5> : tensor<2x1x2x3x3xf32>) : tensor<2x1x2x3x3xf32> {edgeft.trainable}
func.func @forward() -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %x = ml_program.global_load @x : tensor<1x2x2x4x4xf32>
  %w = ml_program.global_load @w : tensor<2x1x2x3x3xf32>
  %e = tensor.empty() : tensor<1x2x1x2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x1x2x2xf32>) -> tensor<1x2x1x2x2xf32>
  %y = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %w : tensor<1x2x2x4x4xf32>, tensor<2x1x2x3x3xf32>) outs(%z : tensor<1x2x1x2x2xf32>) -> tensor<1x2x1x2x2xf32>
  %s0 = tensor.empty() : tensor<f32>
  %s = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %l = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> ()>], iterator_types = ["reduction", "reduction", "reduction", "reduction", "reduction"]} ins(%y : tensor<1x2x1x2x2xf32>) outs(%s : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<f32>
  return %l : tensor<f32>
}
