// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-inject-lora{targets=lora-last rank=2 alpha=4}' | filecheck %s --check-prefix=LAST
// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-inject-lora{targets=fc[12] rank=1}' | filecheck %s --check-prefix=GLOB
// RUN: edgeft-opt %S/Inputs/conv.mlir -p 'edgeft-inject-lora{targets=conv1 rank=2}' | filecheck %s --check-prefix=DENSE
// RUN: edgeft-opt %S/Inputs/conv.mlir -p 'edgeft-inject-lora{targets=conv1 rank=2 conv-form=kernel}' | filecheck %s --check-prefix=KERNEL
// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-inject-lora{targets=lora-all seed=3}' | filecheck %s --check-prefix=SEED
// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-inject-lora{targets=lora-all seed=4}' | filecheck %s --check-prefix=SEED4

// lora-last: A (r x d_in, Gaussian) and B (d_out x r, zero) after the head's
// parameters; the head's weight is frozen; y = W x + (alpha/r) B (A x) with
// the scale applied to the r-wide A x and B (A x) accumulated onto W x.
// LAST:      @fc3.bias(
// LAST-NEXT: ml_program.global private mutable @fc3.lora_A(dense<{{.*}}> : tensor<2x3xf32>) : tensor<2x3xf32> {edgeft.adapter_of = "fc3", edgeft.trainable}
// LAST-NEXT: ml_program.global private mutable @fc3.lora_B(dense<0.000000e+00> : tensor<2x2xf32>) : tensor<2x2xf32> {edgeft.adapter_of = "fc3", edgeft.trainable}
// LAST-LABEL: func.func @forward
// LAST:      %[[WX:.*]] = linalg.matmul ins(%[[X:.*]], %{{.*}} : tensor<5x3xf32>, tensor<3x2xf32>)
// LAST:      %[[A:.*]] = ml_program.global_load @fc3.lora_A : tensor<2x3xf32>
// LAST:      %[[B:.*]] = ml_program.global_load @fc3.lora_B : tensor<2x2xf32>
// LAST:      %[[AT:.*]] = linalg.transpose ins(%[[A]] : tensor<2x3xf32>)
// LAST:      %[[AX:.*]] = linalg.matmul ins(%[[X]], %[[AT]] : tensor<5x3xf32>, tensor<3x2xf32>)
// LAST:      %[[SAX:.*]] = linalg.generic {{.*}} ins(%[[AX]] : tensor<5x2xf32>)
// LAST:      arith.constant 2.000000e+00 : f32
// LAST:      %[[BT:.*]] = linalg.transpose ins(%[[B]] : tensor<2x2xf32>)
// LAST:      %[[Y:.*]] = linalg.matmul ins(%[[SAX]], %[[BT]] : tensor<5x2xf32>, tensor<2x2xf32>) outs(%[[WX]] : tensor<5x2xf32>)
// LAST:      linalg.generic {{.*}} ins(%[[Y]], %{{.*}} : tensor<5x2xf32>, tensor<2xf32>)

// Glob patterns pick layers by name; alpha = r gives scale 1 (no scaling op).
// GLOB-DAG:  @fc1.lora_A({{.*}}) : tensor<1x4xf32>
// GLOB-DAG:  @fc2.lora_A({{.*}}) : tensor<1x3xf32>
// GLOB-NOT:  @fc3.lora_A
// GLOB-NOT:  arith.constant 1.000000e+00

// dense form: A over the flattened input activation (1*4*4), B over the
// flattened output (2*4*4); the adapter is added to the conv result.
// DENSE:      @conv1.lora_A({{.*}}) : tensor<2x16xf32>
// DENSE:      @conv1.lora_B({{.*}}) : tensor<32x2xf32>
// DENSE-LABEL: func.func @forward
// DENSE:      %[[C:.*]] = linalg.conv_2d_nchw_fchw
// DENSE:      %[[XF:.*]] = tensor.collapse_shape %arg0 {{.*}} into tensor<32xf32>
// DENSE:      tensor.expand_shape %[[XF]] {{.*}} into tensor<2x16xf32>
// DENSE:      %[[BAX:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x2xf32>, tensor<2x32xf32>)
// DENSE:      %[[D4:.*]] = tensor.expand_shape %{{.*}} into tensor<2x2x4x4xf32>
// DENSE:      %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[C]], %[[D4]] :
// DENSE:      tensor.collapse_shape %[[SUM]]

// kernel form: a 3x3 conv to r channels on the padded input, then a 1x1 conv accumulating onto the base conv.
// KERNEL:     @conv1.lora_A({{.*}}) : tensor<2x1x3x3xf32>
// KERNEL:     @conv1.lora_B({{.*}}) : tensor<2x2x1x1xf32>
// KERNEL-LABEL: func.func @forward
// KERNEL:     %[[C:.*]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[P:.*]], %{{.*}} : tensor<2x1x6x6xf32>, tensor<2x1x3x3xf32>)
// KERNEL:     %[[AX:.*]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[P]], %{{.*}} : tensor<2x1x6x6xf32>, tensor<2x1x3x3xf32>)
// KERNEL:     %[[Y:.*]] = linalg.conv_2d_nchw_fchw{{.*}} ins(%[[AX]], %{{.*}} : tensor<2x2x4x4xf32>, tensor<2x2x1x1xf32>) outs(%[[C]] : tensor<2x2x4x4xf32>)
// KERNEL:     tensor.collapse_shape %[[Y]]

// A seed fixes the values of A; another seed draws other values.
// SEED: @fc1.lora_A(dense<{{\[\[}}1.02045953, -1.27783251, {{.*}}> : tensor<4x4xf32>)
// SEED4: @fc1.lora_A(dense<{{\[\[}}-0.325895578, -0.087358646, {{.*}}> : tensor<4x4xf32>)
