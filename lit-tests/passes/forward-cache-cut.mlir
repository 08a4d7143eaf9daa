// RUN: edgeft-opt %s -p 'edgeft-forward-cache{samples=8}' | filecheck %s

// The cache holds the fewest bytes that let the cached step run: the
// matmul's 3 values per sample, not the 6 of the cheap broadcast the head
// reads (which the cached step recomputes), and not the 4 of x (the
// matmul is not cheap).
// CHECK:       ml_program.global private mutable @forward_cache(dense<0.000000e+00> : tensor<8x3xf32>)
// CHECK-SAME:    segments = [{layer = "layer1", values = 3 : i64}]
// CHECK-LABEL: func.func @cache_fill(
// CHECK:         %[[H:.*]] = linalg.matmul
// CHECK:         tensor.extract_slice %[[H]]
// CHECK-LABEL: func.func @train_step_cached(
// CHECK-NOT:     linalg.matmul
// CHECK:         %[[CACHED:.*]] = scf.for {{.*}} -> (tensor<5x3xf32>)
// CHECK:         %[[WIDE:.*]] = linalg.generic {{.*}} ins(%[[CACHED]] : tensor<5x3xf32>) outs(%{{.*}} : tensor<5x3x2xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[WIDE]], %{{.*}} : tensor<5x3x2xf32>, tensor<3x2xf32>)
#x3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#x2 = affine_map<(d0, d1, d2) -> (d0, d1)>
#w = affine_map<(d0, d1, d2) -> (d1, d2)>
module {
  ml_program.global private mutable @w(dense<1.0> : tensor<3x2xf32>) : tensor<3x2xf32>
  ml_program.global private mutable @frozen(dense<0.5> : tensor<4x3xf32>) : tensor<4x3xf32>
  func.func @train_step(%x: tensor<5x4xf32>, %y: tensor<5xi64>) -> tensor<5x3x2xf32> {
    %zero = arith.constant 0.0 : f32
    %f = ml_program.global_load @frozen : tensor<4x3xf32> loc("layer1")
    %e = tensor.empty() : tensor<5x3xf32> loc("layer1")
    %z = linalg.fill ins(%zero : f32) outs(%e : tensor<5x3xf32>) -> tensor<5x3xf32> loc("layer1")
    %h = linalg.matmul ins(%x, %f : tensor<5x4xf32>, tensor<4x3xf32>) outs(%z : tensor<5x3xf32>) -> tensor<5x3xf32> loc("layer1")
    %e3 = tensor.empty() : tensor<5x3x2xf32> loc("layer2")
    %wide = linalg.generic {indexing_maps = [#x2, #x3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%h : tensor<5x3xf32>) outs(%e3 : tensor<5x3x2xf32>) {
    ^bb0(%a: f32, %o: f32):
      %d = arith.addf %a, %a : f32
      linalg.yield %d : f32
    } -> tensor<5x3x2xf32> loc("layer2")
    %w = ml_program.global_load @w : tensor<3x2xf32> loc("head")
    %out = linalg.generic {indexing_maps = [#x3, #w, #x3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%wide, %w : tensor<5x3x2xf32>, tensor<3x2xf32>) outs(%e3 : tensor<5x3x2xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %m = arith.mulf %a, %b : f32
      linalg.yield %m : f32
    } -> tensor<5x3x2xf32> loc("head")
    ml_program.global_store @w = %w : tensor<3x2xf32> loc("head")
    return %out : tensor<5x3x2xf32> loc("head")
  }
}
