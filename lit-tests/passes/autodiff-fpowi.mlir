// RUN: edgeft-opt %s -p 'edgeft-autodiff,canonicalize' | filecheck %s

// x^n with an integer n (math.fpowi, MSE's square, tanh-GELU's cube):
// d x^n = n x^(n-1); canonicalize folds n - 1 and the factor n to constants.
// CHECK-LABEL: func.func @train_step
// CHECK-DAG:   %[[N:.*]] = arith.constant 3.000000e+00 : f32
// CHECK-DAG:   %[[M:.*]] = arith.constant 2 : i32
// CHECK:       ^bb0(%[[X:.*]]: f32, %[[DY:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:    %[[P:.*]] = math.fpowi %[[X]], %[[M]] : f32, i32
// CHECK-NEXT:    %[[D:.*]] = arith.mulf %[[P]], %[[N]] : f32
// CHECK-NEXT:    %[[C:.*]] = arith.mulf %[[DY]], %[[D]] : f32
// CHECK-NEXT:    arith.addf %[[ACC]], %[[C]] : f32
// CHECK:       ml_program.global_store @w.grad
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
ml_program.global private mutable @w(dense<[0.5, -1.0, 2.0]> : tensor<3xf32>) : tensor<3xf32> {edgeft.trainable}
func.func @forward() -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %three = arith.constant 3 : i32
  %w = ml_program.global_load @w : tensor<3xf32>
  %e = tensor.empty() : tensor<3xf32>
  %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%w : tensor<3xf32>) outs(%e : tensor<3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.fpowi %a, %three : f32, i32
    linalg.yield %v : f32
  } -> tensor<3xf32>
  %s0 = tensor.empty() : tensor<f32>
  %s = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %l = linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction"]} ins(%t : tensor<3xf32>) outs(%s : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<f32>
  return %l : tensor<f32>
}
