// RUN: edgeft-opt %s -p edgeft-bufferize | filecheck %s

// Globals become memref globals and keep the edgeft attributes that upstream
// bufferization drops; an immutable global becomes a constant one.
// CHECK-LABEL: module
// CHECK:       memref.global "private" @w : memref<4xf32> = dense<1.000000e+00> {edgeft.trainable}
// CHECK:       memref.global "private" constant @c : memref<4xf32> = dense<2.000000e+00>{{$}}
// The result becomes an out-parameter, loads read the global in place.
// CHECK-LABEL: func.func @step
// CHECK-SAME:    (%[[X:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<4xf32>)
// CHECK:         %[[W:.*]] = memref.get_global @w : memref<4xf32>
// CHECK:         linalg.add ins(%[[X]], %[[W]] : memref<4xf32>, memref<4xf32>)
// CHECK:         memref.copy %{{.*}}, %[[OUT]]
// CHECK-NEXT:    return
module {
  ml_program.global private mutable @w(dense<1.0> : tensor<4xf32>) : tensor<4xf32> {edgeft.trainable}
  ml_program.global private @c(dense<2.0> : tensor<4xf32>) : tensor<4xf32>
  func.func @step(%x: tensor<4xf32>) -> tensor<4xf32> {
    %w = ml_program.global_load @w : tensor<4xf32>
    %c = ml_program.global_load @c : tensor<4xf32>
    %e = tensor.empty() : tensor<4xf32>
    %s = linalg.add ins(%x, %w : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
    ml_program.global_store @w = %s : tensor<4xf32>
    %t = linalg.mul ins(%s, %c : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
    return %t : tensor<4xf32>
  }
}
