// RUN: edgeft-opt %s --split-input-file -p 'builtin.module(edgeft-param-summary)' -o /dev/null | filecheck %s
// RUN: edgeft-opt %s --split-input-file -p 'edgeft-param-summary{format=json}' -o /dev/null | filecheck %s --check-prefix=JSON
// RUN: edgeft-opt %s -p 'edgeft-param-summary{output=%t.txt}' | filecheck %s --check-prefix=IR
// RUN: filecheck %s --input-file=%t.txt --check-prefix=FILE

// Weights and biases of two layers; one trainable.
// CHECK:      name        layer  role    shape    params  bytes  trainable
// CHECK-NEXT: fc1.weight  fc1    weight  16x8     128     512    no
// CHECK-NEXT: fc1.bias    fc1    bias    16       16      64     no
// CHECK-NEXT: fc2.weight  fc2    weight  4x16     64      256    yes
// CHECK-NEXT: fc2.bias    fc2    bias    4        4       16     yes
// CHECK-NEXT: total: 4 globals, 212 params, 848 bytes; trainable: 68 params, 272 bytes
// JSON:       "name": "fc2.weight",
// JSON-NEXT:  "layer": "fc2",
// JSON-NEXT:  "role": "weight",
// JSON:       "total_params": 212,
// JSON-NEXT:  "total_bytes": 848,
// JSON-NEXT:  "trainable_params": 68,
// JSON-NEXT:  "trainable_bytes": 272
// FILE:       fc2.bias    fc2    bias    4        4       16     yes
// FILE:       total: 6 globals, 57556 params, 131920 bytes; trainable: 68 params, 272 bytes
// IR-LABEL:   module
// IR:         ml_program.global private mutable @fc1.weight
ml_program.global private mutable @"fc1.weight"(dense<0.0> : tensor<16x8xf32>) : tensor<16x8xf32>
ml_program.global private mutable @"fc1.bias"(dense<0.0> : tensor<16xf32>) : tensor<16xf32>
ml_program.global private mutable @"fc2.weight"(dense<0.0> : tensor<4x16xf32>) : tensor<4x16xf32> {edgeft.trainable}
ml_program.global private mutable @"fc2.bias"(dense<0.0> : tensor<4xf32>) : tensor<4xf32> {edgeft.trainable}

// -----

// Nested module paths, a parameter without a layer, and f16 sizes.
// CHECK:      blocks.1.attn.qkv.weight  blocks.1.attn.qkv  weight  384x128    49152   98304  no
// CHECK-NEXT: pos_emb                   pos_emb            weight  1x64x128   8192    32768  no
// CHECK-NEXT: total: 2 globals, 57344 params, 131072 bytes; trainable: 0 params, 0 bytes
ml_program.global private mutable @"blocks.1.attn.qkv.weight"(dense<0.0> : tensor<384x128xf16>) : tensor<384x128xf16>
ml_program.global private mutable @"pos_emb"(dense<0.0> : tensor<1x64x128xf32>) : tensor<1x64x128xf32>

// -----

// A module without parameters has an empty table.
// CHECK:      name  layer  role  shape  params  bytes  trainable
// CHECK-NEXT: total: 0 globals, 0 params, 0 bytes; trainable: 0 params, 0 bytes
func.func @empty() {
  return
}
