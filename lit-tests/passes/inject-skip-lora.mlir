// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-all},edgeft-inject-skip-lora{rank=2}' | filecheck %s
// RUN: edgeft-opt %S/Inputs/conv.mlir -p 'edgeft-inject-skip-lora{rank=3}' | filecheck %s --check-prefix=CONV
// RUN: edgeft-opt %S/Inputs/convhead.mlir -p 'edgeft-inject-skip-lora{rank=2}' | filecheck %s --check-prefix=HEAD

// One adapter per layer input x^0 (4 wide), x^1 and x^2 (3 wide), A Gaussian,
// B zero, all into the head's output; every base parameter is frozen.
// CHECK:      @fc1.weight({{.*}}) : tensor<3x4xf32>{{$}}
// CHECK:      @fc3.bias({{.*}}) : tensor<2xf32>{{$}}
// CHECK-NEXT: @skip_lora.0.lora_A({{.*}}) : tensor<2x4xf32> {edgeft.adapter_of = "input of fc1", edgeft.trainable}
// CHECK-NEXT: @skip_lora.0.lora_B(dense<0.000000e+00> : tensor<2x2xf32>) : tensor<2x2xf32> {edgeft.adapter_of = "input of fc1", edgeft.trainable}
// CHECK-NEXT: @skip_lora.1.lora_A({{.*}}) : tensor<2x3xf32> {edgeft.adapter_of = "input of fc2", edgeft.trainable}
// CHECK-NEXT: @skip_lora.1.lora_B(
// CHECK-NEXT: @skip_lora.2.lora_A({{.*}}) : tensor<2x3xf32> {edgeft.adapter_of = "input of fc3", edgeft.trainable}
// CHECK-NEXT: @skip_lora.2.lora_B(
// CHECK-LABEL: func.func @forward
// CHECK:      %[[LOGITS:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %fc3.bias
// CHECK:      %[[A0:.*]] = linalg.matmul ins(%arg0, %{{.*}} : tensor<5x4xf32>, tensor<4x2xf32>)
// CHECK:      %[[L0:.*]] = linalg.matmul ins(%[[A0]], %{{.*}} : tensor<5x2xf32>, tensor<2x2xf32>) outs(%[[LOGITS]] : tensor<5x2xf32>)
// CHECK:      %[[L1:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<5x2xf32>, tensor<2x2xf32>) outs(%[[L0]] : tensor<5x2xf32>)
// CHECK:      %[[L2:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<5x2xf32>, tensor<2x2xf32>) outs(%[[L1]] : tensor<5x2xf32>)
// CHECK:      linalg.generic {{.*}} ins(%[[L2]], %arg1 :

// A convolution's input is the unpadded activation, flattened (1*4*4 = 16).
// CONV:      @skip_lora.0.lora_A({{.*}}) : tensor<3x16xf32>
// CONV:      @skip_lora.1.lora_A({{.*}}) : tensor<3x32xf32>
// CONV-LABEL: func.func @forward
// CONV:      tensor.collapse_shape %arg0 {{.*}} into tensor<32xf32>

// A convolution head: x^L is the pooled (batch, classes) output the loss
// reads, not the head's 4-D conv result.
// HEAD:      @skip_lora.0.lora_A({{.*}}) : tensor<2x8xf32>
// HEAD:      @skip_lora.0.lora_B({{.*}}) : tensor<3x2xf32>
// HEAD-LABEL: func.func @forward
// HEAD:      %[[LOGITS:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<2x3x2x2xf32>) outs(%{{.*}} : tensor<2x3xf32>)
// HEAD:      %[[L0:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x2xf32>, tensor<2x3xf32>) outs(%[[LOGITS]] : tensor<2x3xf32>)
// HEAD:      linalg.generic {{.*}} ins(%[[L0]], %arg1 :
