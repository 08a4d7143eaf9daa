// The whole lowering of a tensor-level training module, as edgeft compile
// runs it, then its C. The pipeline text is pasted from `edgeft pipeline`
// (lit's shell has no $(...)); the PIPELINE runs check it still is that text.
// RUN: edgeft pipeline --lowering --target siracusa --l1 16384 | filecheck %s --check-prefix=PIPELINE
// RUN: edgeft-opt %s -p "builtin.module(edgeft-demote-f64,edgeft-derive-predict,edgeft-fuse-elementwise,edgeft-bufferize,edgeft-update-in-place,edgeft-copies-to-kernels,func.func(linalg-generalize-named-ops),edgeft-tile{target=siracusa l1=16384 redmule-format=fp32},edgeft-promote{target=siracusa l1=16384},edgeft-offload-redmule{format=fp32 l1=16384 target=siracusa cores=8},edgeft-parallelize{cores=8},edgeft-register-block{rows=4 cols=4},func.func(convert-linalg-to-loops),expand-strided-metadata,lower-affine,canonicalize,cse,edgeft-write-globals-in-place,edgeft-plan-memory{target=siracusa l1=16384 l3=33554432})" | filecheck %s
// RUN: edgeft-opt %s -p "builtin.module(edgeft-demote-f64,edgeft-derive-predict,edgeft-fuse-elementwise,edgeft-bufferize,edgeft-update-in-place,edgeft-copies-to-kernels,func.func(linalg-generalize-named-ops),edgeft-tile{target=siracusa l1=16384 redmule-format=fp32},edgeft-promote{target=siracusa l1=16384},edgeft-offload-redmule{format=fp32 l1=16384 target=siracusa cores=8},edgeft-parallelize{cores=8},edgeft-register-block{rows=4 cols=4},func.func(convert-linalg-to-loops),expand-strided-metadata,lower-affine,canonicalize,cse,edgeft-write-globals-in-place,edgeft-plan-memory{target=siracusa l1=16384 l3=33554432})" --mlir-print-debuginfo | edgeft-translate --to-c | filecheck %s --check-prefix=C
// RUN: edgeft pipeline --lowering --target host | filecheck %s --check-prefix=PIPELINE-HOST
// RUN: edgeft-opt %s -p "builtin.module(edgeft-demote-f64,edgeft-derive-predict,edgeft-fuse-elementwise,edgeft-bufferize,edgeft-update-in-place,func.func(linalg-generalize-named-ops),edgeft-parallelize{cores=8 ops=all},edgeft-register-block{rows=4 cols=8 vector=8 vectors=2},func.func(convert-linalg-to-loops),expand-strided-metadata,lower-affine,canonicalize,cse,edgeft-write-globals-in-place,edgeft-plan-memory{target=host})" | filecheck %s --check-prefix=HOST
// RUN: edgeft-opt %s -p "builtin.module(edgeft-demote-f64,edgeft-derive-predict,edgeft-fuse-elementwise,edgeft-bufferize,edgeft-update-in-place,func.func(linalg-generalize-named-ops),edgeft-parallelize{cores=8 ops=all},edgeft-register-block{rows=4 cols=8 vector=8 vectors=2},func.func(convert-linalg-to-loops),expand-strided-metadata,lower-affine,canonicalize,cse,edgeft-write-globals-in-place,edgeft-plan-memory{target=host})" --mlir-print-debuginfo | edgeft-translate --to-c | filecheck %s --check-prefix=HOST-C

// PIPELINE:      {{^}}builtin.module(edgeft-demote-f64,edgeft-derive-predict,edgeft-fuse-elementwise,edgeft-bufferize,edgeft-update-in-place,edgeft-copies-to-kernels,func.func(linalg-generalize-named-ops),edgeft-tile{target=siracusa l1=16384 redmule-format=fp32},edgeft-promote{target=siracusa l1=16384},edgeft-offload-redmule{format=fp32 l1=16384 target=siracusa cores=8},edgeft-parallelize{cores=8},edgeft-register-block{rows=4 cols=4},func.func(convert-linalg-to-loops),expand-strided-metadata,lower-affine,canonicalize,cse,edgeft-write-globals-in-place,edgeft-plan-memory{target=siracusa l1=16384 l3=33554432}){{$}}
// PIPELINE-HOST: {{^}}builtin.module(edgeft-demote-f64,edgeft-derive-predict,edgeft-fuse-elementwise,edgeft-bufferize,edgeft-update-in-place,func.func(linalg-generalize-named-ops),edgeft-parallelize{cores=8 ops=all},edgeft-register-block{rows=4 cols=8 vector=8 vectors=2},func.func(convert-linalg-to-loops),expand-strided-metadata,lower-affine,canonicalize,cse,edgeft-write-globals-in-place,edgeft-plan-memory{target=host}){{$}}

// Siracusa: a per-level plan on the module; @predict derived from @forward,
// which is gone; the 16x128 by 128x64 matmul does not fit a 16 KiB L1, so it
// runs in a loop of column tiles brought in by 2-D DMA and multiplied by
// RedMulE; the fill is split over the cores; every buffer is planned.
// CHECK-LABEL: module attributes {edgeft.l2_budget = {bytes = {{[0-9]+}} : i64, {{.*}}}, edgeft.memory = {L1 = {{[0-9]+}} : i64
// CHECK:       memref.global "private" @fc.weight : memref<128x64xf32> = dense<5.000000e-01> {edgeft.level = "L2", edgeft.offset = {{[0-9]+}} : i64, edgeft.trainable}
// CHECK-NOT:   func.func @forward
// CHECK-LABEL: func.func @predict(%{{.*}}: memref<16x128xf32>, %{{.*}}: memref<16x64xf32>) {
// CHECK:         memref.alloc() {{{.*}}edgeft.level = "L2", edgeft.offset = {{[0-9]+}} : i64} : memref<16x64xf32>
// CHECK:         memref.alloc() {edgeft.level = "L1", edgeft.offset = {{[0-9]+}} : i64} : memref<16x64xf32, #pulp.level<"L1">>
// CHECK:         "pulp.parallel"() ({
// CHECK:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:           "pulp.dma_start_2d"
// CHECK:           "redmule.gemm"
// CHECK-LABEL: func.func @train_step(%{{.*}}: memref<16x128xf32>, %{{.*}}: memref<16x64xf32>, %{{.*}}: memref<f32>) {
// CHECK-NOT:   func.func @forward

// The C has one arena per level, kernels named after the layer, the fork of
// the parallel fill, RedMulE jobs, and the MSE API (float targets).
// C:           static uint8_t edgeft_L1[16384] EDGEFT_PLACE(L1) __attribute__((aligned(64)));  /* L1: 16384 B */
// C:           static uint8_t edgeft_L2[{{[0-9]+}}]
// C-LABEL:     static void k1_predict_fc(
// C:               edgeft_rt_dma_start_2d(
// C:               { /* RedMulE job: Z[16x16] = X[16x32] W[32x16] + Y */
// C-LABEL:     static void edgeft_predict_fn(float *restrict arg0, float *restrict arg1)
// C:               edgeft_rt_fork(8, p0_predict_fc, &args);
// C:               k1_predict_fc(
// C-LABEL:     int edgeft_train_step(const float *x, const float *y, float *loss)
// C:           {"fc.weight", edgeft_g_fc_weight, 8192, 1},

// Host: the flat target plans one arena, splits the kernels into 8 slices
// (the runtime's threads take them), with no DMA and no RedMulE job; the
// loss, a sum to a scalar, stays one kernel.
// HOST-LABEL:  module attributes {edgeft.arena = {{[0-9]+}} : i64} {
// HOST-LABEL:  func.func @predict(
// HOST:          memref.alloc() {{{.*}}edgeft.level = "flat", edgeft.offset = 0 : i64} : memref<16x64xf32>
// HOST:          "pulp.parallel"() ({
// HOST:          }) {cores = 8 : i64} : () -> ()
// HOST-LABEL:  func.func @train_step(
// HOST-NOT:    pulp.dma
// HOST-NOT:    redmule.
// HOST-C:      static uint8_t edgeft_arena[{{[0-9]+}}] __attribute__((aligned(64)));
// HOST-C:      #define EDGEFT_OFF_TRAIN_STEP_1 {{[0-9]+}}  /* scalarxf32, 4 B, loss */
// HOST-C-LABEL: static void k2_train_step_loss(
// HOST-C-LABEL: static void edgeft_train_step_fn(
// HOST-C:          edgeft_rt_fork(8, p1_train_step_fc, &args);
// HOST-C:          k2_train_step_loss(
// HOST-C-LABEL: int edgeft_train_step(const float *x, const float *y, float *loss)
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#all = affine_map<(d0, d1) -> ()>
module {
  ml_program.global private mutable @fc.weight(dense<0.5> : tensor<128x64xf32>) : tensor<128x64xf32> {edgeft.trainable} loc("fc"("model.py":5:0))
  func.func @forward(%x: tensor<16x128xf32>, %y: tensor<16x64xf32>) -> tensor<f32> {
    %zero = arith.constant 0.0 : f32
    %w = ml_program.global_load @fc.weight : tensor<128x64xf32> loc("fc"("model.py":5:0))
    %e = tensor.empty() : tensor<16x64xf32> loc("fc"("model.py":5:0))
    %z = linalg.fill ins(%zero : f32) outs(%e : tensor<16x64xf32>) -> tensor<16x64xf32> loc("fc"("model.py":5:0))
    %logits = linalg.matmul ins(%x, %w : tensor<16x128xf32>, tensor<128x64xf32>) outs(%z : tensor<16x64xf32>) -> tensor<16x64xf32> loc("fc"("model.py":5:0))
    %se = tensor.empty() : tensor<f32> loc("loss"("model.py":9:0))
    %s0 = linalg.fill ins(%zero : f32) outs(%se : tensor<f32>) -> tensor<f32> loc("loss"("model.py":9:0))
    %loss = linalg.generic {indexing_maps = [#id, #id, #all], iterator_types = ["reduction", "reduction"]} ins(%logits, %y : tensor<16x64xf32>, tensor<16x64xf32>) outs(%s0 : tensor<f32>) {
    ^bb0(%l: f32, %t: f32, %acc: f32):
      %d = arith.subf %l, %t : f32
      %sq = arith.mulf %d, %d : f32
      %s = arith.addf %acc, %sq : f32
      linalg.yield %s : f32
    } -> tensor<f32> loc("loss"("model.py":9:0))
    return %loss : tensor<f32>
  }
  func.func @train_step(%x: tensor<16x128xf32>, %y: tensor<16x64xf32>) -> tensor<f32> {
    %zero = arith.constant 0.0 : f32
    %lr = arith.constant 0.01 : f32
    %w = ml_program.global_load @fc.weight : tensor<128x64xf32> loc("fc"("model.py":5:0))
    %e = tensor.empty() : tensor<16x64xf32> loc("fc"("model.py":5:0))
    %z = linalg.fill ins(%zero : f32) outs(%e : tensor<16x64xf32>) -> tensor<16x64xf32> loc("fc"("model.py":5:0))
    %logits = linalg.matmul ins(%x, %w : tensor<16x128xf32>, tensor<128x64xf32>) outs(%z : tensor<16x64xf32>) -> tensor<16x64xf32> loc("fc"("model.py":5:0))
    %se = tensor.empty() : tensor<f32> loc("loss"("model.py":9:0))
    %s0 = linalg.fill ins(%zero : f32) outs(%se : tensor<f32>) -> tensor<f32> loc("loss"("model.py":9:0))
    %loss = linalg.generic {indexing_maps = [#id, #id, #all], iterator_types = ["reduction", "reduction"]} ins(%logits, %y : tensor<16x64xf32>, tensor<16x64xf32>) outs(%s0 : tensor<f32>) {
    ^bb0(%l: f32, %t: f32, %acc: f32):
      %d = arith.subf %l, %t : f32
      %sq = arith.mulf %d, %d : f32
      %s = arith.addf %acc, %sq : f32
      linalg.yield %s : f32
    } -> tensor<f32> loc("loss"("model.py":9:0))
    %we = tensor.empty() : tensor<128x64xf32> loc("fc"("model.py":5:0))
    %nw = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%w : tensor<128x64xf32>) outs(%we : tensor<128x64xf32>) {
    ^bb0(%v: f32, %o: f32):
      %u = arith.mulf %v, %lr : f32
      %n = arith.subf %v, %u : f32
      linalg.yield %n : f32
    } -> tensor<128x64xf32> loc("fc"("model.py":5:0))
    ml_program.global_store @fc.weight = %nw : tensor<128x64xf32> loc("fc"("model.py":5:0))
    return %loss : tensor<f32>
  }
}
