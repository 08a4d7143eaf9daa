// RUN: edgeft-opt %s --split-input-file -p 'edgeft-autodiff,canonicalize' | filecheck %s

// The cross-entropy label gather logits[b, label[b]]: the row index is the
// loop's own dim, so the scatter runs over batch x classes and masks only
// the label.
// CHECK-LABEL: func.func @train_step
// CHECK:       %[[SCATTER:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<3xi64>, tensor<3xf32>) outs(%{{.*}} : tensor<3x5xf32>)
// CHECK-NEXT:  ^bb0(%[[LABEL:.*]]: i64, %[[DG:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:    %[[COL:.*]] = arith.index_cast %[[LABEL]] : i64 to index
// CHECK-NEXT:    %[[C:.*]] = linalg.index 1 : index
// CHECK-NEXT:    %[[HIT:.*]] = arith.cmpi eq, %[[COL]], %[[C]] : index
// CHECK-NEXT:    %[[PART:.*]] = arith.select %[[HIT]], %[[DG]], %{{.*}} : f32
// CHECK-NEXT:    arith.addf %[[ACC]], %[[PART]] : f32
// CHECK:       ml_program.global_store @logits.grad = %[[SCATTER]]
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
ml_program.global private mutable @logits(dense<1.0> : tensor<3x5xf32>) : tensor<3x5xf32> {edgeft.trainable}
func.func @forward(%y: tensor<3xi64>) -> tensor<f32> {
  %l = ml_program.global_load @logits : tensor<3x5xf32>
  %e = tensor.empty() : tensor<3xf32>
  %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%y : tensor<3xi64>) outs(%e : tensor<3xf32>) {
  ^bb0(%label: i64, %out: f32):
    %row = linalg.index 0 : index
    %col = arith.index_cast %label : i64 to index
    %v = tensor.extract %l[%row, %col] : tensor<3x5xf32>
    linalg.yield %v : f32
  } -> tensor<3xf32>
  %zero = arith.constant 0.0 : f32
  %s0 = tensor.empty() : tensor<f32>
  %s = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction"]} ins(%g : tensor<3xf32>) outs(%s : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// A row index that is a loop dim of another size than the tensor's rows
// (3 of 4) cannot stand for the row dim: both indices are masked.
// CHECK-LABEL: func.func @train_step
// CHECK:       %[[SCATTER:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<3xi64>, tensor<3xf32>) outs(%{{.*}} : tensor<4x5xf32>)
// CHECK:         %[[B:.*]] = linalg.index 0 : index
// CHECK:         %[[R:.*]] = linalg.index 1 : index
// CHECK-NEXT:    arith.cmpi eq, %[[B]], %[[R]] : index
// CHECK:         linalg.index 2 : index
// CHECK:         arith.andi
// CHECK:       ml_program.global_store @logits.grad = %[[SCATTER]]
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
ml_program.global private mutable @logits(dense<1.0> : tensor<4x5xf32>) : tensor<4x5xf32> {edgeft.trainable}
func.func @forward(%y: tensor<3xi64>) -> tensor<f32> {
  %l = ml_program.global_load @logits : tensor<4x5xf32>
  %e = tensor.empty() : tensor<3xf32>
  %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%y : tensor<3xi64>) outs(%e : tensor<3xf32>) {
  ^bb0(%label: i64, %out: f32):
    %row = linalg.index 0 : index
    %col = arith.index_cast %label : i64 to index
    %v = tensor.extract %l[%row, %col] : tensor<4x5xf32>
    linalg.yield %v : f32
  } -> tensor<3xf32>
  %zero = arith.constant 0.0 : f32
  %s0 = tensor.empty() : tensor<f32>
  %s = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction"]} ins(%g : tensor<3xf32>) outs(%s : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// The diagonal w[i, i]: the loop dim stands for the first index only; the
// second is masked against a new dim.
// CHECK-LABEL: func.func @train_step
// CHECK:       %[[SCATTER:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<3xf32>) outs(%{{.*}} : tensor<3x3xf32>)
// CHECK-NEXT:  ^bb0(%[[DG:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:    %[[I:.*]] = linalg.index 0 : index
// CHECK-NEXT:    %[[J:.*]] = linalg.index 1 : index
// CHECK-NEXT:    %[[HIT:.*]] = arith.cmpi eq, %[[I]], %[[J]] : index
// CHECK-NEXT:    arith.select %[[HIT]], %[[DG]], %{{.*}} : f32
// CHECK:       ml_program.global_store @w.grad = %[[SCATTER]]
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
ml_program.global private mutable @w(dense<1.0> : tensor<3x3xf32>) : tensor<3x3xf32> {edgeft.trainable}
func.func @forward() -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %s0 = tensor.empty() : tensor<f32>
  %s = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %e = tensor.empty() : tensor<3xf32>
  %w = ml_program.global_load @w : tensor<3x3xf32>
  %g = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%e : tensor<3xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %v = tensor.extract %w[%i, %i] : tensor<3x3xf32>
    linalg.yield %v : f32
  } -> tensor<3xf32>
  %loss = linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction"]} ins(%g : tensor<3xf32>) outs(%s : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<f32>
  return %loss : tensor<f32>
}
