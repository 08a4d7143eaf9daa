// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-inject-lora{targets=lora-last rank=2 alpha=4}' | filecheck %s --check-prefix=LAST
// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-inject-lora{targets=fc[12] rank=1}' | filecheck %s --check-prefix=GLOB
// RUN: edgeft-opt %S/Inputs/conv.mlir -p 'edgeft-inject-lora{targets=conv1 rank=2}' | filecheck %s --check-prefix=DENSE
// RUN: edgeft-opt %S/Inputs/conv.mlir -p 'edgeft-inject-lora{targets=conv1 rank=2 conv-form=kernel}' | filecheck %s --check-prefix=KERNEL
// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-inject-lora{targets=lora-all seed=3}' | filecheck %s --check-prefix=SEED
// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-inject-lora{targets=lora-all seed=4}' | filecheck %s --check-prefix=SEED4
// RUN: edgeft-opt %S/Inputs/grouped.mlir -p 'edgeft-inject-lora{targets=lora-all rank=2}' | filecheck %s --check-prefix=GDENSE
// RUN: edgeft-opt %S/Inputs/grouped.mlir -p 'edgeft-inject-lora{targets=lora-all rank=2 conv-form=kernel}' | filecheck %s --check-prefix=GKERNEL
// RUN: edgeft-opt %S/Inputs/tokens.mlir -p 'edgeft-inject-lora{targets=lora-all rank=2}' | filecheck %s --check-prefix=TOKENS

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

// Depthwise and grouped convolutions, dense form: A over the flattened input
// (2*4*4), B over the flattened output (2*4*4 and 4*2*2); the grouped layer's
// output is the collapsed (n, c_out, h, w) result, its input the adapted
// depthwise output.
// GDENSE:      @dw.lora_A({{.*}}) : tensor<2x32xf32>
// GDENSE:      @dw.lora_B({{.*}}) : tensor<32x2xf32>
// GDENSE:      @gc.lora_A({{.*}}) : tensor<2x32xf32>
// GDENSE:      @gc.lora_B({{.*}}) : tensor<16x2xf32>
// GDENSE-LABEL: func.func @forward
// GDENSE:      %[[D:.*]] = linalg.depthwise_conv_2d_nchw_chw
// GDENSE:      %[[DA:.*]] = linalg.generic {{.*}} ins(%[[D]], %{{.*}} : tensor<2x2x4x4xf32>, tensor<2x2x4x4xf32>)
// GDENSE:      tensor.expand_shape %[[DA]] {{.*}} into tensor<2x2x1x4x4xf32>
// GDENSE:      linalg.conv_2d_ngchw_gfchw
// GDENSE:      %[[G:.*]] = tensor.collapse_shape {{.*}} into tensor<2x4x2x2xf32>
// GDENSE:      tensor.collapse_shape %[[DA]] {{.*}} into tensor<64xf32>
// GDENSE:      %[[GA:.*]] = linalg.generic {{.*}} ins(%[[G]], %{{.*}} : tensor<2x4x2x2xf32>, tensor<2x4x2x2xf32>)
// GDENSE:      return %[[GA]]

// Kernel form, per group: A in the grouped-conv layout (g*r, c_in/g, k, k),
// B (c_out, r, 1, 1); both applied as grouped convs (a linalg.generic with the
// conv_2d_ngchw_gfchw maps) on the layer's padded input split into groups.
// GKERNEL:      @dw.lora_A({{.*}}) : tensor<4x1x3x3xf32>
// GKERNEL:      @dw.lora_B({{.*}}) : tensor<2x2x1x1xf32>
// GKERNEL:      @gc.lora_A({{.*}}) : tensor<4x1x3x3xf32>
// GKERNEL:      @gc.lora_B({{.*}}) : tensor<4x2x1x1xf32>
// GKERNEL-LABEL: func.func @forward
// GKERNEL:      %[[P:.*]] = tensor.pad
// GKERNEL:      %[[D:.*]] = linalg.depthwise_conv_2d_nchw_chw
// GKERNEL:      %[[X5:.*]] = tensor.expand_shape %[[P]] {{.*}} into tensor<2x2x1x6x6xf32>
// GKERNEL:      %[[A5:.*]] = tensor.expand_shape %dw.lora_A {{.*}} into tensor<2x2x1x3x3xf32>
// GKERNEL:      %[[AX:.*]] = linalg.generic {{.*}} ins(%[[X5]], %[[A5]] : tensor<2x2x1x6x6xf32>, tensor<2x2x1x3x3xf32>) outs(%{{.*}} : tensor<2x2x2x4x4xf32>)
// GKERNEL:      %[[B5:.*]] = tensor.expand_shape %dw.lora_B {{.*}} into tensor<2x1x2x1x1xf32>
// GKERNEL:      %[[BAX:.*]] = linalg.generic {{.*}} ins(%[[AX]], %[[B5]] : tensor<2x2x2x4x4xf32>, tensor<2x1x2x1x1xf32>) outs(%{{.*}} : tensor<2x2x1x4x4xf32>)
// GKERNEL:      %[[M:.*]] = tensor.collapse_shape %[[BAX]] {{.*}} into tensor<2x2x4x4xf32>
// GKERNEL:      linalg.generic {{.*}} ins(%[[D]], %[[M]] :
// GKERNEL:      linalg.conv_2d_ngchw_gfchw
// GKERNEL:      linalg.generic {{.*}} outs(%{{.*}} : tensor<2x2x2x2x2xf32>)
// GKERNEL:      linalg.generic {{.*}} outs(%{{.*}} : tensor<2x2x2x2x2xf32>)

// A Linear over an N-D input: A^T and B^T broadcast over the batch, two thin
// batch_matmuls, the second accumulating onto W x.
// TOKENS:      @mix.lora_A({{.*}}) : tensor<2x3xf32>
// TOKENS:      @mix.lora_B({{.*}}) : tensor<5x2xf32>
// TOKENS-LABEL: func.func @forward
// TOKENS:      %[[WX:.*]] = linalg.batch_matmul ins(%arg0, %{{.*}} : tensor<2x4x3xf32>, tensor<2x3x5xf32>)
// TOKENS:      %[[AB:.*]] = linalg.broadcast ins(%{{.*}} : tensor<3x2xf32>) outs(%{{.*}} : tensor<2x3x2xf32>) dimensions = [0]
// TOKENS:      %[[AX:.*]] = linalg.batch_matmul ins(%arg0, %[[AB]] : tensor<2x4x3xf32>, tensor<2x3x2xf32>)
// TOKENS:      %[[BB:.*]] = linalg.broadcast ins(%{{.*}} : tensor<2x5xf32>) outs(%{{.*}} : tensor<2x2x5xf32>) dimensions = [0]
// TOKENS:      %[[Y:.*]] = linalg.batch_matmul ins(%[[AX]], %[[BB]] : tensor<2x4x2xf32>, tensor<2x2x5xf32>) outs(%[[WX]] : tensor<2x4x5xf32>)
// TOKENS:      return %[[Y]]
