// RUN: edgeft-opt %S/Inputs/block-taps.mlir -p 'edgeft-inject-skip-lora{rank=2}' | filecheck %s

// x^i is what the unit's own first op reads. blk.fc2 reads the ReLU that
// the block applies between its layers (not fc1's pre-activation), and
// mix.proj, which has no op of its own (its weight is applied by `mix`), takes
// the activation entering `mix`: the second ReLU.
// CHECK:      @skip_lora.1.lora_A({{.*}}) : tensor<2x3xf32> {edgeft.adapter_of = "input of blk.fc2"
// CHECK:      @skip_lora.2.lora_A({{.*}}) : tensor<2x6xf32> {edgeft.adapter_of = "input of mix.proj"
// CHECK:      @skip_lora.3.lora_A({{.*}}) : tensor<2x5xf32> {edgeft.adapter_of = "input of head"
// CHECK-LABEL: func.func @forward
// CHECK:      %[[H1:.*]] = linalg.matmul ins(%arg0, %{{.*}} : tensor<5x4xf32>, tensor<4x3xf32>)
// CHECK:      %[[R1:.*]] = linalg.generic {{.*}} ins(%[[H1]] : tensor<5x3xf32>)
// CHECK:      %[[H2:.*]] = linalg.matmul ins(%[[R1]], %{{.*}} : tensor<5x3xf32>, tensor<3x6xf32>)
// CHECK:      %[[R2:.*]] = linalg.generic {{.*}} ins(%[[H2]] : tensor<5x6xf32>)
// CHECK:      %[[P:.*]] = linalg.matmul ins(%[[R2]], %{{.*}} : tensor<5x6xf32>, tensor<6x5xf32>)
// CHECK:      linalg.matmul ins(%[[R1]], %{{.*}} : tensor<5x3xf32>, tensor<3x2xf32>)
// CHECK:      linalg.matmul ins(%[[R2]], %{{.*}} : tensor<5x6xf32>, tensor<6x2xf32>)
// CHECK:      linalg.matmul ins(%[[P]], %{{.*}} : tensor<5x5xf32>, tensor<5x2xf32>)
