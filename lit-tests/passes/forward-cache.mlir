// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-last},edgeft-autodiff,edgeft-sgd{lr=0.5},canonicalize,cse,edgeft-forward-cache{samples=16}' | filecheck %s
// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-last},edgeft-autodiff,edgeft-sgd{lr=0.5},canonicalize,cse,edgeft-forward-cache{samples=16 quant=nf4 block=2}' | filecheck %s --check-prefix=NF4
// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-last},edgeft-autodiff,edgeft-sgd{lr=0.5},canonicalize,cse,edgeft-forward-cache{samples=16 quant=nf4 block=2},canonicalize,cse,edgeft-bufferize' | filecheck %s --check-prefix=BUF

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

// @train_step_cached copies rows idx[b] of the cache into row b of a local
// tensor instead of running fc1 and fc2, and reads fc3's input from it.
// CHECK-LABEL: func.func @train_step_cached(
// CHECK-SAME:      %[[IDX:.*]]: tensor<5xi32>, %[[Y:.*]]: tensor<5x2xf32>) -> tensor<f32> {
// CHECK-NOT:     @fc1
// CHECK-NOT:     @fc2
// CHECK:         %[[CACHE:.*]] = ml_program.global_load @forward_cache
// CHECK:         %[[LOCAL:.*]] = tensor.empty() : tensor<5x3xf32>
// CHECK:         %[[H2:.*]] = scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[LOCAL]])
// CHECK:           %[[RAW:.*]] = tensor.extract %[[IDX]][%[[B]]] : tensor<5xi32>
// CHECK:           %[[ROW:.*]] = arith.index_cast %[[RAW]]
// CHECK:           cf.assert %{{.*}}, "cache index out of range [0, 16)"
// CHECK:           %[[PART:.*]] = tensor.extract_slice %[[CACHE]][%[[ROW]], 0] [1, 3] [1, 1]
// CHECK:           tensor.insert_slice %[[PART]] into %[[ACC]][%[[B]], 0] [1, 3] [1, 1]
// CHECK-NOT:     %[[CACHE]]
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
// The cached step gathers whole rows of codes and scales (one loop, one
// bounds check per row), then decodes from the gathered rows: byte j / 2 and
// scale j / 2 (the block) of row b; the cache globals are not read again.
// NF4-LABEL:   func.func @train_step_cached(
// NF4-SAME:        %[[IDX:.*]]: tensor<5xi32>
// NF4:           %[[CODES:.*]] = ml_program.global_load @forward_cache.codes
// NF4:           %[[SCALES:.*]] = ml_program.global_load @forward_cache.scales
// NF4:           %[[ROWS:.*]]:2 = scf.for %[[B:.*]] = %{{.*}} to {{.*}} -> (tensor<5x2xi8>, tensor<5x2xf32>)
// NF4:             %[[RAW:.*]] = tensor.extract %[[IDX]][%[[B]]]
// NF4:             %[[ROW:.*]] = arith.index_cast %[[RAW]]
// NF4:             cf.assert
// NF4:             tensor.extract_slice %[[CODES]][%[[ROW]], 0] [1, 2] [1, 1]
// NF4:             tensor.insert_slice %{{.*}}[%[[B]], 0] [1, 2] [1, 1] : tensor<1x2xi8> into tensor<5x2xi8>
// NF4:             tensor.extract_slice %[[SCALES]][%[[ROW]], 0] [1, 2] [1, 1]
// NF4:             tensor.insert_slice %{{.*}}[%[[B]], 0] [1, 2] [1, 1] : tensor<1x2xf32> into tensor<5x2xf32>
// NF4-NOT:       %[[CODES]]
// NF4-NOT:       %[[SCALES]]
// NF4:           linalg.generic {indexing_maps = [#[[HALF:.*]], #[[HALF]], #{{.*}}], {{.*}} ins(%[[ROWS]]#0, %[[ROWS]]#1 : tensor<5x2xi8>, tensor<5x2xf32>) outs(%{{.*}} : tensor<5x3xf32>)
// NF4-NOT:         %[[IDX]]
// NF4:             arith.shrui
// NF4:             arith.andi
// NF4:             tensor.extract %{{.*}}[%{{.*}}] : tensor<16xf32>
// NF4:             arith.mulf

// Bufferized, the gather is a copy of each row of the cache into the local buffer.
// BUF-LABEL:   func.func @train_step_cached(
// BUF:           %[[CODES:.*]] = memref.get_global @forward_cache.codes : memref<16x2xi8>
// BUF:           %[[LOCAL:.*]] = memref.alloc() {{.*}} : memref<5x2xi8>
// BUF:           scf.for %[[B:.*]] = %{{.*}} to {{.*}} iter_args(%[[ACC:.*]] = %[[LOCAL]],
// BUF:             %[[FROM:.*]] = memref.subview %[[CODES]][%[[ROW:.*]], 0] [1, 2] [1, 1]
// BUF:             %[[TO:.*]] = memref.subview %[[ACC]][%[[B]], 0] [1, 2] [1, 1]
// BUF:             memref.copy %[[FROM]], %[[TO]]
