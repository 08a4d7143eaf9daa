// RUN: edgeft-opt %s -p 'edgeft-select-trainable{strategy=ft-all}' | filecheck %s --check-prefix=ALL
// RUN: edgeft-opt %s -p 'edgeft-select-trainable{strategy=ft-last}' | filecheck %s --check-prefix=LAST

// A buffer (edgeft.buffer) is no parameter: no strategy trains it, and it is
// not a layer, so the head is the last layer with parameters.
// ALL:       @bn.weight({{.*}} {edgeft.trainable}
// ALL:       @bn.running_mean({{.*}} {edgeft.buffer}{{$}}
// ALL:       @fc.weight({{.*}} {edgeft.trainable}
// ALL:       @fc.bias({{.*}} {edgeft.trainable}
// ALL:       @tail.running_var({{.*}} {edgeft.buffer}{{$}}
// LAST:      @bn.weight({{.*}}) : tensor<2xf32>{{$}}
// LAST:      @fc.weight({{.*}} {edgeft.trainable}
// LAST:      @tail.running_var({{.*}} {edgeft.buffer}{{$}}
module {
  ml_program.global private mutable @bn.weight(dense<1.0> : tensor<2xf32>) : tensor<2xf32>
  ml_program.global private mutable @bn.running_mean(dense<0.0> : tensor<2xf32>) : tensor<2xf32> {edgeft.buffer}
  ml_program.global private mutable @fc.weight(dense<0.5> : tensor<2x2xf32>) : tensor<2x2xf32>
  ml_program.global private mutable @fc.bias(dense<0.0> : tensor<2xf32>) : tensor<2xf32>
  ml_program.global private mutable @tail.running_var(dense<1.0> : tensor<2xf32>) : tensor<2xf32> {edgeft.buffer}
}
