// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-last},edgeft-autodiff,edgeft-sgd{lr=0.5},canonicalize,cse,edgeft-forward-cache{samples=16}' | filecheck %s
// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-last},edgeft-autodiff,edgeft-sgd{lr=0.5},canonicalize,cse,edgeft-forward-cache{samples=16 quant=nf4 block=2}' | filecheck %s --check-prefix=NF4

// ft-last trains fc3: the cache holds fc3's input (3 floats per sample) for 16 samples.
// CHECK:       ml_program.global private mutable @forward_cache(dense<0.000000e+00> : tensor<16x3xf32>) : tensor<16x3xf32> {edgeft.cache = {part = "values", quant = "none", samples = 16 : i64, segments = [{layer = "MLP", values = 3 : i64}]}}

// @train_step stays as it was.
// CHECK-LABEL: func.func @train_step(
// CHECK:         ml_program.global_store @fc3.weight

// @cache_fill runs fc1 and fc2 and writes sample b's row into cache row idx[b].
// CHECK-LABEL: func.func @cache_fill(
// CHECK-SAME:      %[[X:.*]]: tensor<5x4xf32>, %[[IDX:.*]]: tensor<5xi32>) {
// CHECK-NOT:     @fc3
// CHECK:         linalg.matmul ins(%[[X]],
// CHECK:         %[[CACHE:.*]] = ml_program.global_load @forward_cache : tensor<16x3xf32>
// CHECK:         %[[NEW:.*]] = scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[CACHE]])
// CHECK:           %[[ROW:.*]] = tensor.extract %[[IDX]][%[[B]]] : tensor<5xi32>
// CHECK:           cf.assert %{{.*}}, "cache index out of range [0, 16)"
// CHECK:           %[[PART:.*]] = tensor.extract_slice %{{.*}}[%[[B]], 0] [1, 3] [1, 1]
// CHECK:           tensor.insert_slice %[[PART]] into %[[ACC]][%{{.*}}, 0] [1, 3] [1, 1]
// CHECK:         ml_program.global_store @forward_cache = %[[NEW]]
// CHECK-NEXT:    return

// @train_step_cached reads rows idx[b] instead of running fc1 and fc2.
// CHECK-LABEL: func.func @train_step_cached(
// CHECK-SAME:      %[[IDX:.*]]: tensor<5xi32>, %[[Y:.*]]: tensor<5x2xf32>) -> tensor<f32> {
// CHECK-NOT:     @fc1
// CHECK-NOT:     @fc2
// CHECK:         %[[CACHE:.*]] = ml_program.global_load @forward_cache
// CHECK:         %[[H2:.*]] = linalg.generic {{.*}} ins(%[[IDX]] : tensor<5xi32>) outs(%{{.*}} : tensor<5x3xf32>)
// CHECK:           tensor.extract %[[CACHE]][
// CHECK:         linalg.matmul ins(%[[H2]],
// CHECK:         ml_program.global_store @fc3.weight

// nf4: 3 values take 2 bytes of codes and, in blocks of 2, 2 scales.
// NF4:         ml_program.global private mutable @forward_cache.codes(dense<0> : tensor<16x2xi8>)
// NF4-SAME:      edgeft.cache = {block = 2 : i64, part = "codes", quant = "nf4", samples = 16 : i64, segments = [{layer = "MLP", values = 3 : i64}]}
// NF4:         ml_program.global private mutable @forward_cache.scales(dense<0.000000e+00> : tensor<16x2xf32>)
// NF4-LABEL:   func.func @cache_fill(
// Block absmax, then two codes per byte, the first in the high nibble.
// NF4:           linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// NF4:             math.absf
// NF4:             arith.maximumf
// NF4:           linalg.generic
// NF4:             arith.shli %{{.*}}, %{{.*}} : i32
// NF4:             arith.ori
// NF4:             arith.trunci %{{.*}} : i32 to i8
// NF4:           scf.for
// NF4:           ml_program.global_store @forward_cache.codes
// NF4:           ml_program.global_store @forward_cache.scales
// NF4-LABEL:   func.func @train_step_cached(
// NF4:             arith.shrui
// NF4:             arith.andi
// NF4:             tensor.extract %{{.*}}[%{{.*}}] : tensor<16xf32>
// NF4:             arith.mulf
