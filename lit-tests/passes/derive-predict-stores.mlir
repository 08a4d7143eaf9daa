// RUN: edgeft-opt %s -p 'edgeft-derive-predict{drop-forward=false}' | filecheck %s

// @predict changes no state: the running-statistics store of @forward
// (--batchnorm batch) stays in @forward only.
// CHECK-LABEL: func.func @forward(
// CHECK:         ml_program.global_store @bn.running_mean
// CHECK-LABEL: func.func @predict(
// CHECK-NOT:     ml_program.global_store
// CHECK:         return %{{.*}} : tensor<2x3xf32>
#id = affine_map<(d0, d1) -> (d0, d1)>
#scalar = affine_map<(d0, d1) -> ()>
#row = affine_map<(d0, d1) -> (d1)>
module {
  ml_program.global private mutable @w(dense<1.0> : tensor<2x3xf32>) : tensor<2x3xf32>
  ml_program.global private mutable @bn.running_mean(dense<0.0> : tensor<3xf32>) : tensor<3xf32> {edgeft.buffer}
  func.func @forward(%x: tensor<2x3xf32>, %y: tensor<2xi64>) -> tensor<f32> {
    %w = ml_program.global_load @w : tensor<2x3xf32> loc("fc")
    %e = tensor.empty() : tensor<2x3xf32> loc("fc")
    %logits = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x, %w : tensor<2x3xf32>, tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %s = arith.addf %a, %b : f32
      linalg.yield %s : f32
    } -> tensor<2x3xf32> loc("fc")
    %z = arith.constant 0.0 : f32 loc("bn")
    %m0 = tensor.empty() : tensor<3xf32> loc("bn")
    %m1 = linalg.fill ins(%z : f32) outs(%m0 : tensor<3xf32>) -> tensor<3xf32> loc("bn")
    %mean = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["reduction", "parallel"]}
        ins(%logits : tensor<2x3xf32>) outs(%m1 : tensor<3xf32>) {
    ^bb0(%a: f32, %acc: f32):
      %s = arith.addf %a, %acc : f32
      linalg.yield %s : f32
    } -> tensor<3xf32> loc("bn")
    ml_program.global_store @bn.running_mean = %mean : tensor<3xf32> loc("bn")
    %l0 = tensor.empty() : tensor<f32> loc("loss")
    %l1 = linalg.fill ins(%z : f32) outs(%l0 : tensor<f32>) -> tensor<f32> loc("loss")
    %loss = linalg.generic {indexing_maps = [#id, #scalar], iterator_types = ["reduction", "reduction"]}
        ins(%logits : tensor<2x3xf32>) outs(%l1 : tensor<f32>) {
    ^bb0(%a: f32, %acc: f32):
      %s = arith.addf %a, %acc : f32
      linalg.yield %s : f32
    } -> tensor<f32> loc("loss")
    return %loss : tensor<f32> loc("loss")
  }
}
