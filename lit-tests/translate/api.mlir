// RUN: edgeft-translate %s --to-c --split-input-file | filecheck %s

// A module with @train_step(x, y, loss) and @predict(x, logits) gets the
// network.h entry points; int64 class labels are widened from the API's
// int32 labels into a static buffer, and a label that is not one of the 4
// classes returns 1 + its sample before the step runs.
// CHECK-LABEL: static void edgeft_train_step_fn(float *restrict arg0, int64_t *restrict arg1, float *restrict arg2)
// CHECK-LABEL: int edgeft_train_step(const float *x, const int32_t *y, float *loss)
// CHECK-NEXT:  {
// CHECK-NEXT:      /* The imported loss takes int64 class indices. */
// CHECK-NEXT:      static int64_t labels[2];
// CHECK-NEXT:      for (long i = 0; i < 2; ++i) {
// CHECK-NEXT:          if (y[i] < 0 || y[i] >= 4)
// CHECK-NEXT:              return (int)i + 1;
// CHECK-NEXT:          labels[i] = y[i];
// CHECK-NEXT:      }
// CHECK-NEXT:      edgeft_train_step_fn((float *)x, labels, loss);
// CHECK-NEXT:      return 0;
// CHECK-NEXT:  }
// CHECK-LABEL: void edgeft_predict(const float *x, float *logits)
// CHECK-NEXT:  {
// CHECK-NEXT:      edgeft_predict_fn((float *)x, logits);
// CHECK-NEXT:  }
module attributes {edgeft.arena = 0 : i64} {
  func.func @train_step(%x: memref<2x3xf32>, %y: memref<2xi64>, %loss: memref<f32>) {
    %c0 = arith.constant 0 : index
    %v = memref.load %x[%c0, %c0] : memref<2x3xf32>
    memref.store %v, %loss[] : memref<f32>
    return
  }
  func.func @predict(%x: memref<2x3xf32>, %logits: memref<2x4xf32>) {
    %c0 = arith.constant 0 : index
    %v = memref.load %x[%c0, %c0] : memref<2x3xf32>
    memref.store %v, %logits[%c0, %c0] : memref<2x4xf32>
    return
  }
}

// -----

// With float targets (an MSE loss) the labels are passed as they are.
// CHECK-LABEL: int edgeft_train_step(const float *x, const float *y, float *loss)
// CHECK-NEXT:  {
// CHECK-NEXT:      edgeft_train_step_fn((float *)x, (float *)y, loss);
// CHECK-NEXT:      return 0;
// CHECK-NEXT:  }
module attributes {edgeft.arena = 0 : i64} {
  func.func @train_step(%x: memref<2x3xf32>, %y: memref<2x4xf32>, %loss: memref<f32>) {
    %c0 = arith.constant 0 : index
    %v = memref.load %x[%c0, %c0] : memref<2x3xf32>
    memref.store %v, %loss[] : memref<f32>
    return
  }
  func.func @predict(%x: memref<2x3xf32>, %logits: memref<2x4xf32>) {
    %c0 = arith.constant 0 : index
    %v = memref.load %x[%c0, %c0] : memref<2x3xf32>
    memref.store %v, %logits[%c0, %c0] : memref<2x4xf32>
    return
  }
}

// -----

// A module without @train_step and @predict has no API wrappers.
// CHECK-LABEL: static void edgeft_predict_fn(
// CHECK-NOT:   edgeft_predict(
module attributes {edgeft.arena = 0 : i64} {
  func.func @predict(%x: memref<2x3xf32>, %logits: memref<2x4xf32>) {
    return
  }
}
