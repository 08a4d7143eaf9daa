// RUN: edgeft-opt %s --split-input-file -p edgeft-demote-f64 | filecheck %s
// RUN: edgeft-opt %s --split-input-file -p edgeft-demote-f64 | filecheck %s --check-prefix=ONLY32

// torch's LayerNorm variance: the f32 input widened to f64, the mean, the
// centred squares and their mean in f64, narrowed back to f32; and eps, an
// f64 constant narrowed inside an f32 body. Everything becomes f32: the
// tensor.empty and linalg.fill of the accumulators, the block arguments, the
// arithmetic and the constants; the extf and truncf are gone, and so is the
// generic that only widened (its readers read the input).
// ONLY32-LABEL: func.func @variance
// ONLY32-NOT:    f64
// ONLY32-LABEL: func.func @returned
// CHECK-LABEL: func.func @variance
// CHECK-SAME:    (%[[X:.*]]: tensor<2x8xf32>)
// CHECK-DAG:     %[[N:.*]] = arith.constant 1.280000e+02 : f32
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK:         %[[ROWS:.*]] = tensor.empty() : tensor<2x8xf32>
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<2x1xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[X]] : tensor<2x8xf32>) outs(%[[ACC]] : tensor<2x1xf32>)
// CHECK:         arith.addf %{{.*}}, %{{.*}} : f32
// CHECK:         arith.divf %{{.*}}, %[[N]] : f32
// CHECK:         linalg.generic {{.*}} ins(%[[X]], %{{.*}} : tensor<2x8xf32>, tensor<2x1xf32>) outs(%[[ROWS]] : tensor<2x8xf32>)
// CHECK:         arith.subf
// CHECK:         arith.mulf
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<2x1xf32>)
// CHECK:         arith.addf %{{.*}}, %[[EPS]] : f32
// CHECK:         math.rsqrt
// CHECK:         return
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0, 0)>
func.func @variance(%x: tensor<2x8xf32>) -> tensor<2x1xf32> {
  %n = arith.constant 1.280000e+02 : f64
  %eps = arith.constant 1.000000e-05 : f64
  %zero = arith.constant 0.000000e+00 : f64
  %e8 = tensor.empty() : tensor<2x8xf64>
  %w = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<2x8xf32>) outs(%e8 : tensor<2x8xf64>) {
  ^bb0(%in: f32, %out: f64):
    %0 = arith.extf %in : f32 to f64
    linalg.yield %0 : f64
  } -> tensor<2x8xf64>
  %e1 = tensor.empty() : tensor<2x1xf64>
  %acc = linalg.fill ins(%zero : f64) outs(%e1 : tensor<2x1xf64>) -> tensor<2x1xf64>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%w : tensor<2x8xf64>) outs(%acc : tensor<2x1xf64>) {
  ^bb0(%in: f64, %out: f64):
    %0 = arith.addf %in, %out : f64
    linalg.yield %0 : f64
  } -> tensor<2x1xf64>
  %mean = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sum : tensor<2x1xf64>) outs(%e1 : tensor<2x1xf64>) {
  ^bb0(%in: f64, %out: f64):
    %0 = arith.divf %in, %n : f64
    linalg.yield %0 : f64
  } -> tensor<2x1xf64>
  %sq = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%w, %mean : tensor<2x8xf64>, tensor<2x1xf64>) outs(%e8 : tensor<2x8xf64>) {
  ^bb0(%in: f64, %m: f64, %out: f64):
    %0 = arith.subf %in, %m : f64
    %1 = arith.mulf %0, %0 : f64
    linalg.yield %1 : f64
  } -> tensor<2x8xf64>
  %ssum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%sq : tensor<2x8xf64>) outs(%acc : tensor<2x1xf64>) {
  ^bb0(%in: f64, %out: f64):
    %0 = arith.addf %in, %out : f64
    linalg.yield %0 : f64
  } -> tensor<2x1xf64>
  %e1f = tensor.empty() : tensor<2x1xf32>
  %var = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%ssum : tensor<2x1xf64>) outs(%e1f : tensor<2x1xf32>) {
  ^bb0(%in: f64, %out: f32):
    %0 = arith.divf %in, %n : f64
    %1 = arith.truncf %0 : f64 to f32
    linalg.yield %1 : f32
  } -> tensor<2x1xf32>
  %inv = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%var : tensor<2x1xf32>) outs(%e1f : tensor<2x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.truncf %eps : f64 to f32
    %1 = arith.addf %in, %0 : f32
    %2 = math.rsqrt %1 : f32
    linalg.yield %2 : f32
  } -> tensor<2x1xf32>
  return %inv : tensor<2x1xf32>
}

// -----

// The f64 sum leaves the function: it is what the program returns, so it
// stays f64, and so does the widening that feeds it.
// CHECK-LABEL: func.func @returned
// CHECK:         arith.extf %{{.*}} : f32 to f64
// CHECK:         arith.addf %{{.*}}, %{{.*}} : f64
// CHECK:         return %{{.*}} : tensor<2x1xf64>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0, 0)>
func.func @returned(%x: tensor<2x8xf32>) -> tensor<2x1xf64> {
  %zero = arith.constant 0.000000e+00 : f64
  %e1 = tensor.empty() : tensor<2x1xf64>
  %acc = linalg.fill ins(%zero : f64) outs(%e1 : tensor<2x1xf64>) -> tensor<2x1xf64>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<2x8xf32>) outs(%acc : tensor<2x1xf64>) {
  ^bb0(%in: f32, %out: f64):
    %0 = arith.extf %in : f32 to f64
    %1 = arith.addf %0, %out : f64
    linalg.yield %1 : f64
  } -> tensor<2x1xf64>
  return %sum : tensor<2x1xf64>
}

// -----

// An f64 argument is a value the caller computed in f64: the arithmetic on it
// stays f64, while an unrelated f64 constant narrowed to f32 is demoted.
// CHECK-LABEL: func.func @argument
// CHECK:         arith.constant 5.000000e-01 : f32
// CHECK:         arith.mulf %{{.*}}, %{{.*}} : f64
// CHECK:         arith.truncf %{{.*}} : f64 to f32
// CHECK:         arith.mulf %{{.*}}, %{{.*}} : f32
#id = affine_map<(d0) -> (d0)>
func.func @argument(%x: tensor<4xf64>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %half = arith.constant 5.000000e-01 : f64
  %e = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%x, %y : tensor<4xf64>, tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f64, %b: f32, %out: f32):
    %0 = arith.mulf %a, %a : f64
    %1 = arith.truncf %0 : f64 to f32
    %2 = arith.truncf %half : f64 to f32
    %3 = arith.mulf %1, %2 : f32
    %4 = arith.mulf %3, %b : f32
    linalg.yield %4 : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// A widening from f16 is not f32 arithmetic: the group stays f64.
// CHECK-LABEL: func.func @from_f16
// CHECK:         arith.extf %{{.*}} : f16 to f64
// CHECK:         arith.mulf %{{.*}}, %{{.*}} : f64
// CHECK:         arith.truncf %{{.*}} : f64 to f32
#id = affine_map<(d0) -> (d0)>
func.func @from_f16(%x: tensor<4xf16>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<4xf16>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f16, %out: f32):
    %0 = arith.extf %a : f16 to f64
    %1 = arith.mulf %0, %0 : f64
    %2 = arith.truncf %1 : f64 to f32
    linalg.yield %2 : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// The f64 value is widened further, to f128: it does not end in f32, so it
// stays f64 (and so does the widening from f32 that starts it).
// CHECK-LABEL: func.func @to_f128
// CHECK:         arith.extf %{{.*}} : f32 to f64
// CHECK:         arith.extf %{{.*}} : f64 to f128
func.func @to_f128(%x: f32) -> f128 {
  %0 = arith.extf %x : f32 to f64
  %1 = arith.mulf %0, %0 : f64
  %2 = arith.extf %1 : f64 to f128
  return %2 : f128
}
