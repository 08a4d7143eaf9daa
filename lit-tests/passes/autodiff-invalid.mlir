// RUN: edgeft-opt %s --split-input-file --verify-diagnostics -p 'edgeft-autodiff'

// Nothing trains: there is no gradient to build.
// expected-error@+1 {{edgeft-autodiff: no global is marked trainable (run edgeft-select-trainable or an adapter pass first)}}
func.func @forward() -> tensor<f32> {
  %c = arith.constant dense<1.0> : tensor<f32>
  return %c : tensor<f32>
}

// -----

// The function to differentiate must exist.
// expected-error@+1 {{edgeft-autodiff: no function @forward}}
module {
  ml_program.global private mutable @w(dense<1.0> : tensor<2xf32>) : tensor<2xf32> {edgeft.trainable}
}

// -----

// The loss is a scalar.
ml_program.global private mutable @w(dense<1.0> : tensor<2xf32>) : tensor<2xf32> {edgeft.trainable}
// expected-error@+1 {{edgeft-autodiff: the loss must be a scalar float tensor, got tensor<2xf32>}}
func.func @forward() -> tensor<2xf32> {
  %w = ml_program.global_load @w : tensor<2xf32>
  return %w : tensor<2xf32>
}

// -----

// An op on the gradient path without an adjoint rule names itself and its layer.
ml_program.global private mutable @w(dense<1.0> : tensor<4xf32>) : tensor<4xf32> {edgeft.trainable}
func.func @forward() -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %w = ml_program.global_load @w : tensor<4xf32>
  %s0 = tensor.empty() : tensor<f32>
  %s = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  // The op is located in the PyTorch sources, not in this file.
  // expected-error@unknown {{edgeft-autodiff: no adjoint rule for 'linalg.reduce' (PyTorch layer 'pool')}}
  %r = linalg.reduce ins(%w : tensor<4xf32>) outs(%s : tensor<f32>) dimensions = [0]
    (%a: f32, %acc: f32) {
      %v = arith.addf %a, %acc : f32
      linalg.yield %v : f32
    } loc("pool"("model.py":12:0))
  return %r : tensor<f32>
}

// -----

// So does a scalar op in a body that we cannot differentiate.
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
ml_program.global private mutable @w(dense<1.0> : tensor<4xf32>) : tensor<4xf32> {edgeft.trainable}
func.func @forward() -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %w = ml_program.global_load @w : tensor<4xf32>
  %s0 = tensor.empty() : tensor<f32>
  %s = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  // expected-error@unknown {{edgeft-autodiff: no adjoint rule for 'math.atan' in the body of 'linalg.generic' (PyTorch layer 'act')}}
  %l = linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction"]} ins(%w : tensor<4xf32>) outs(%s : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %t = math.atan %a : f32
    %v = arith.addf %t, %acc : f32
    linalg.yield %v : f32
  } -> tensor<f32> loc("act"("model.py":3:0))
  return %l : tensor<f32>
}

// -----

// A convolution layout without a rule (channels-last) is refused at the op, naming its layer.
ml_program.global private mutable @w(dense<1.0> : tensor<1x1x1x1xf32>) : tensor<1x1x1x1xf32> {edgeft.trainable}
func.func @forward(%x: tensor<1x1x1x1xf32>) -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %w = ml_program.global_load @w : tensor<1x1x1x1xf32>
  %e = tensor.empty() : tensor<1x1x1x1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32>
  // expected-error@unknown {{edgeft-autodiff: no adjoint rule for 'linalg.conv_2d_nhwc_hwcf' (PyTorch layer 'features.0')}}
  %y = linalg.conv_2d_nhwc_hwcf ins(%x, %w : tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>) outs(%z : tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32> loc("features.0"("model.py":7:0))
  %c = tensor.collapse_shape %y [] : tensor<1x1x1x1xf32> into tensor<f32>
  return %c : tensor<f32>
}
