// RUN: edgeft import %S/Inputs/bn_models.py:bn_mlp 2>/dev/null | filecheck %s --check-prefix=FROZEN
// RUN: edgeft import %S/Inputs/bn_models.py:bn_mlp --batchnorm batch 2>/dev/null | filecheck %s --check-prefix=BATCH
// RUN: edgeft import %S/Inputs/bn_models.py:non_persistent 2>/dev/null | filecheck %s --check-prefix=NONPERSISTENT
// RUN: not edgeft import %S/Inputs/bn_models.py:cumulative --batchnorm batch 2>&1 | filecheck %s --check-prefix=CUMULATIVE
// RUN: not edgeft import %S/Inputs/bn_models.py:bn_mlp --batchnorm train 2>&1 | filecheck %s --check-prefix=MODE

// Buffers become globals named after them, marked edgeft.buffer, after the
// parameters; frozen BatchNorm reads the running statistics and stores nothing.
// FROZEN:      ml_program.global private mutable @"1.weight"({{.*}}) : tensor<16xf32> loc(
// FROZEN:      ml_program.global private mutable @"1.running_mean"(dense<0.000000e+00> : tensor<16xf32>) : tensor<16xf32> {edgeft.buffer}
// FROZEN-NEXT: ml_program.global private mutable @"1.running_var"(dense<1.000000e+00> : tensor<16xf32>) : tensor<16xf32> {edgeft.buffer}
// FROZEN-NEXT: ml_program.global private mutable @"1.num_batches_tracked"(dense<0> : tensor<i64>) : tensor<i64> {edgeft.buffer}
// FROZEN:      func.func @forward(%arg0: tensor<3x8xf32> loc("x"), %arg1: tensor<3xi64> loc("y")) -> tensor<f32>
// FROZEN:      ml_program.global_load @"1.running_mean"
// FROZEN-NOT:  ml_program.global_store
// FROZEN:      return %{{.*}} : tensor<f32>

// Batch statistics: @forward stores the updated running statistics (and the
// batch count) and still returns only the loss.
// BATCH:       func.func @forward(%arg0: tensor<3x8xf32> loc("x"), %arg1: tensor<3xi64> loc("y")) -> tensor<f32>
// BATCH:       ml_program.global_store @"1.running_mean" = %{{.*}} : tensor<16xf32>
// BATCH-NEXT:  ml_program.global_store @"1.running_var" = %{{.*}} : tensor<16xf32>
// BATCH-NEXT:  ml_program.global_store @"1.num_batches_tracked" = %{{.*}} : tensor<i64>
// BATCH-NEXT:  return %{{.*}} : tensor<f32>

// A non-persistent buffer (not in the state dict) is a global too.
// NONPERSISTENT: ml_program.global private mutable @scale(dense<2.000000e+00> : tensor<6xf32>) : tensor<6xf32> {edgeft.buffer}
// NONPERSISTENT: ml_program.global_load @scale

// Refusals are one line.
// CUMULATIVE: edgeft: error: BatchNorm layer '1' has momentum=None (a cumulative average): --batchnorm batch needs a fixed momentum (or use --batchnorm frozen)
// MODE:       edgeft: error: unknown --batchnorm 'train' (known: frozen, batch)
