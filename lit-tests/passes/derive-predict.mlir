// RUN: edgeft-opt %s --split-input-file -p edgeft-derive-predict | filecheck %s
// RUN: edgeft-opt %s --split-input-file -p 'edgeft-derive-predict{drop-forward=false}' | filecheck %s --check-prefix=KEEP

// @predict returns what the loss reads from outside the loss (the logits),
// and takes x only; @forward is gone.
// CHECK-NOT:   func.func @forward
// CHECK-LABEL: func.func @predict
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3xf32>{{.*}}) -> tensor<2x3xf32>
// CHECK:         %[[LOGITS:.*]] = arith.addf %[[X]], %[[X]]
// CHECK-NOT:     arith.mulf
// CHECK:         return %[[LOGITS]] : tensor<2x3xf32>
// With drop-forward=false @forward stays, ahead of @predict.
// KEEP-LABEL:  func.func @forward
// KEEP:          arith.mulf
// KEEP-LABEL:  func.func @predict
func.func @forward(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %logits = arith.addf %x, %x : tensor<2x3xf32> loc("fc")
  %loss = arith.mulf %logits, %y : tensor<2x3xf32> loc("loss")
  return %loss : tensor<2x3xf32>
}
