// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-1},edgeft-autodiff,edgeft-sgd{lr=0.5},canonicalize' | filecheck %s
// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-last},edgeft-autodiff,edgeft-sgd{lr=0.5 momentum=0.9},canonicalize' | filecheck %s --check-prefix=MOMENTUM

// The gradient globals are gone; each parameter gets p - lr * g stored back.
// CHECK-NOT:  .grad
// CHECK-LABEL: func.func @train_step
// CHECK-DAG:  %[[LR:.*]] = arith.constant -5.000000e-01 : f32
// CHECK-DAG:  %[[W3:.*]] = ml_program.global_load @fc3.weight
// CHECK-DAG:  %[[W2:.*]] = ml_program.global_load @fc2.weight
// The head's weight is updated once the backward has read it (dX of fc3)
// and its gradient is final: before fc2's gradients are computed.
// CHECK:      %[[NEW3:.*]] = linalg.generic {{.*}} ins(%[[W3]], %{{.*}} : tensor<2x3xf32>, tensor<2x3xf32>)
// CHECK:        arith.mulf %{{.*}}, %[[LR]] : f32
// CHECK:      ml_program.global_store @fc3.weight = %[[NEW3]]
// CHECK:      %[[NEW2:.*]] = linalg.generic {{.*}} ins(%[[W2]], %{{.*}} : tensor<3x3xf32>, tensor<3x3xf32>)
// CHECK:      ml_program.global_store @fc2.weight = %[[NEW2]]
// CHECK-NOT:  .grad

// Momentum keeps a velocity per parameter: v = 0.9 v + g; p = p - 0.5 v.
// MOMENTUM:      ml_program.global private mutable @fc3.weight.momentum(dense<0.000000e+00> : tensor<2x3xf32>) : tensor<2x3xf32> {edgeft.state_of = "fc3.weight"}
// MOMENTUM-LABEL: func.func @train_step
// MOMENTUM:      %[[M:.*]] = arith.constant 0.899999976 : f32
// MOMENTUM:      %[[V:.*]] = ml_program.global_load @fc3.weight.momentum
// MOMENTUM:      %[[NV:.*]] = linalg.generic {{.*}} ins(%[[V]], %{{.*}} :
// MOMENTUM:        arith.mulf %{{.*}}, %[[M]] : f32
// MOMENTUM:      ml_program.global_store @fc3.weight.momentum = %[[NV]]
// MOMENTUM:      %[[NEW:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[NV]] :
// MOMENTUM:      ml_program.global_store @fc3.weight = %[[NEW]]
