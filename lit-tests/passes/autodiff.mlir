// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-last},edgeft-autodiff,canonicalize,cse' | filecheck %s --check-prefix=LAST
// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-all},edgeft-autodiff,canonicalize,cse' | filecheck %s --check-prefix=ALL
// RUN: edgeft-opt %s --split-input-file -p 'edgeft-autodiff,canonicalize' | filecheck %s

// ft-last: a gradient global for each trainable parameter, @forward kept, and
// a backward that is one outer product dY^T x^2 plus the bias reduction. No
// gradient reaches fc1 or fc2, so no matmul reads their weights backwards.
// LAST:      ml_program.global private mutable @fc3.weight({{.*}}) : tensor<2x3xf32> {edgeft.trainable}
// LAST-NEXT: ml_program.global private mutable @fc3.weight.grad(dense<0.000000e+00> : tensor<2x3xf32>) : tensor<2x3xf32> {edgeft.gradient_of = "fc3.weight"}
// LAST:      ml_program.global private mutable @fc3.bias.grad(dense<0.000000e+00> : tensor<2xf32>) : tensor<2xf32> {edgeft.gradient_of = "fc3.bias"}
// LAST:      func.func @forward
// LAST-LABEL: func.func @train_step
// LAST-COUNT-3: linalg.matmul
// LAST-NOT:  linalg.matmul
// LAST:      %[[DYT:.*]] = linalg.transpose ins(%[[DY:.*]] : tensor<5x2xf32>)
// LAST:      %[[DW:.*]] = linalg.matmul ins(%[[DYT]], %{{.*}} : tensor<2x5xf32>, tensor<5x3xf32>)
// LAST-NOT:  linalg.matmul
// LAST:      ml_program.global_store @fc3.weight.grad = %[[DW]] : tensor<2x3xf32>
// LAST:      return

// ft-all: every layer's weight gradient and the activation gradients between them;
// ReLU's adjoint selects on its input being positive.
// ALL-LABEL: func.func @train_step
// ALL-COUNT-8: linalg.matmul
// ALL-NOT:   linalg.matmul
// ALL:       ml_program.global_store @fc1.weight.grad
// ALL-DAG:   ml_program.global_store @fc1.bias.grad
// ALL-DAG:   ml_program.global_store @fc2.weight.grad
// ALL-DAG:   ml_program.global_store @fc3.weight.grad

// The derivative of an elementwise body: d tanh(x) = 1 - tanh(x)^2.
// CHECK-LABEL: func.func @train_step
// CHECK:       math.tanh
// CHECK:       %[[T:.*]] = math.tanh %[[IN:.*]] : f32
// CHECK-NEXT:  %[[T2:.*]] = arith.mulf %[[T]], %[[T]] : f32
// CHECK-NEXT:  %[[D:.*]] = arith.subf %{{.*}}, %[[T2]] : f32
// CHECK:       ml_program.global_store @w.grad
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
ml_program.global private mutable @w(dense<[0.5, -1.0, 2.0]> : tensor<3xf32>) : tensor<3xf32> {edgeft.trainable}
func.func @forward() -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %w = ml_program.global_load @w : tensor<3xf32>
  %e = tensor.empty() : tensor<3xf32>
  %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%w : tensor<3xf32>) outs(%e : tensor<3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.tanh %a : f32
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

// -----

// A max reduction passes the gradient to the elements equal to the maximum.
// CHECK-LABEL: func.func @train_step
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%{{.*}}, %[[MAX:.*]], %{{.*}} : tensor<4xf32>, tensor<f32>, tensor<f32>)
// CHECK:       %[[EQ:.*]] = arith.cmpf oeq, %{{.*}}, %{{.*}} : f32
// CHECK:       arith.select %[[EQ]]
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
ml_program.global private mutable @w(dense<[0.5, -1.0, 2.0, 1.0]> : tensor<4xf32>) : tensor<4xf32> {edgeft.trainable}
func.func @forward() -> tensor<f32> {
  %ninf = arith.constant 0xFF800000 : f32
  %w = ml_program.global_load @w : tensor<4xf32>
  %s0 = tensor.empty() : tensor<f32>
  %s = linalg.fill ins(%ninf : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %m = linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction"]} ins(%w : tensor<4xf32>) outs(%s : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.maximumf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<f32>
  return %m : tensor<f32>
}
