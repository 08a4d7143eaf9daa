// RUN: edgeft import mlp --batch 4 2>/dev/null | filecheck %s --check-prefix=MLP
// RUN: edgeft import lenet5 --in-channels 3 --loss mse -o %t.mlir 2>&1 | filecheck %s --check-prefix=SUMMARY
// RUN: filecheck %s --input-file=%t.mlir --check-prefix=LENET
// RUN: edgeft import cct2 -o %t.cct.mlir 2>/dev/null
// RUN: filecheck %s --input-file=%t.cct.mlir --check-prefix=CCT
// RUN: filecheck %s --input-file=%t.cct.mlir --check-prefix=CCT-LOC
// RUN: edgeft-opt %t.mlir -p edgeft-param-summary -o /dev/null | filecheck %s --check-prefix=PARAMS

// One mutable global per parameter, named after it, then @forward(x, y) -> loss.
// Locations name the PyTorch module path around the source line.
// MLP-DAG:   #[[FC3:loc[0-9]+]] = loc("fc3"(#{{loc[0-9]+}}))
// MLP:       ml_program.global private mutable @fc1.weight(dense<{{.*}}> : tensor<64x784xf32>) : tensor<64x784xf32> loc(#[[FC1:loc[0-9]+]])
// MLP-NEXT:  ml_program.global private mutable @fc1.bias(
// MLP-NEXT:  ml_program.global private mutable @fc2.weight(
// MLP-NEXT:  ml_program.global private mutable @fc2.bias(
// MLP-NEXT:  ml_program.global private mutable @fc3.weight(
// MLP-NEXT:  ml_program.global private mutable @fc3.bias(
// MLP:       func.func @forward(%arg0: tensor<4x1x28x28xf32> loc("x"), %arg1: tensor<4xi64> loc("y")) -> tensor<f32>
// MLP-NEXT:  ml_program.global_load @fc1.weight : tensor<64x784xf32>
// MLP:       linalg.matmul {{.*}} loc(#[[FC3]])
// MLP:       return %{{.*}} : tensor<f32> loc(#[[LOSS:loc[0-9]+]])
// MLP-DAG:   #[[FC1]] = loc("fc1")
// MLP-DAG:   #[[LOSS]] = loc("loss")

// SUMMARY: edgeft: imported lenet5 (mse loss, batch 2): 10 parameter globals, 62006 parameters

// The mse loss takes float targets; three input channels widen conv1.
// LENET: loc("conv1"(
// LENET: ml_program.global private mutable @conv1.weight({{.*}} : tensor<6x3x5x5xf32>)
// LENET: func.func @forward(%arg0: tensor<2x3x28x28xf32> loc("x"), %arg1: tensor<2x10xf32> loc("y")) -> tensor<f32>
// LENET: linalg.conv_2d_nchw_fchw
// LENET: linalg.pooling_nchw_max

// Nested PyTorch module paths name the ops' locations.
// CCT:     ml_program.global private mutable @blocks.1.attn.qkv.weight({{.*}} : tensor<384x128xf32>)
// CCT:     func.func @forward(%arg0: tensor<2x1x32x32xf32> loc("x"), %arg1: tensor<2xi64> loc("y")) -> tensor<f32>
// CCT:     linalg.batch_matmul
// CCT:     math.erf
// CCT-LOC-DAG: loc("tokenizer.conv1"(
// CCT-LOC-DAG: loc("blocks.0.norm1"(
// CCT-LOC-DAG: loc("blocks.1.attn.qkv"(
// CCT-LOC-DAG: loc("blocks.1.mlp.fc2"(
// CCT-LOC-DAG: loc("pos_emb")

// PARAMS: total: 10 globals, 62006 params, 248024 bytes; trainable: 0 params, 0 bytes
