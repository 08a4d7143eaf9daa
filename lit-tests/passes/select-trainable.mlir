// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-last}' | filecheck %s --check-prefix=LAST
// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=lp}' | filecheck %s --check-prefix=LAST
// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-bias}' | filecheck %s --check-prefix=BIAS
// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-k k=1}' | filecheck %s --check-prefix=FT1
// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-1}' | filecheck %s --check-prefix=FT1
// RUN: edgeft-opt %S/Inputs/mlp3.mlir -p 'edgeft-select-trainable{strategy=ft-all},edgeft-select-trainable{strategy=ft-last}' | filecheck %s --check-prefix=LAST

// ft-last and lp train the head (the last layer); a second selection replaces the first.
// LAST:      @fc1.weight({{.*}}) : tensor<3x4xf32>{{$}}
// LAST:      @fc1.bias({{.*}}) : tensor<3xf32>{{$}}
// LAST:      @fc2.weight({{.*}}) : tensor<3x3xf32>{{$}}
// LAST:      @fc2.bias({{.*}}) : tensor<3xf32>{{$}}
// LAST:      @fc3.weight({{.*}}) : tensor<2x3xf32> {edgeft.trainable}
// LAST:      @fc3.bias({{.*}}) : tensor<2xf32> {edgeft.trainable}

// BIAS:      @fc1.weight({{.*}}) : tensor<3x4xf32>{{$}}
// BIAS:      @fc1.bias({{.*}}) : tensor<3xf32> {edgeft.trainable}
// BIAS:      @fc2.weight({{.*}}) : tensor<3x3xf32>{{$}}
// BIAS:      @fc2.bias({{.*}}) : tensor<3xf32> {edgeft.trainable}
// BIAS:      @fc3.weight({{.*}}) : tensor<2x3xf32>{{$}}
// BIAS:      @fc3.bias({{.*}}) : tensor<2xf32> {edgeft.trainable}

// ft-1 trains the last layer before the head, and the head.
// FT1:       @fc1.weight({{.*}}) : tensor<3x4xf32>{{$}}
// FT1:       @fc1.bias({{.*}}) : tensor<3xf32>{{$}}
// FT1:       @fc2.weight({{.*}}) : tensor<3x3xf32> {edgeft.trainable}
// FT1:       @fc2.bias({{.*}}) : tensor<3xf32> {edgeft.trainable}
// FT1:       @fc3.weight({{.*}}) : tensor<2x3xf32> {edgeft.trainable}
// FT1:       @fc3.bias({{.*}}) : tensor<2xf32> {edgeft.trainable}
