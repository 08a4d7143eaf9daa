// RUN: edgeft-translate %s --to-c --split-input-file | filecheck %s

// Every kind of initial value a constant global can hold is written out:
// dense (splat or not) and dense_resource blobs (how torch-mlir imports
// literal tensors and BatchNorm statistics), floats with the digits that
// read back exactly, i1 as true/false, integers and index as decimals.
// CHECK-LABEL: static const float edgeft_g_dense_f32[3] = {
// CHECK-NEXT:      1.5f, -0.0f, 3.0f,
// CHECK-NEXT:  };
// CHECK-LABEL: static const float edgeft_g_splat_f32[2] = {
// CHECK-NEXT:      0.100000001f, 0.100000001f,
// CHECK-NEXT:  };
// CHECK-LABEL: static const float edgeft_g_running_var[9] = {
// CHECK-NEXT:      1.0f, 2.0f, 0.5f, -1.0f, 1.00000012f, 9.99999975e-06f, 3.40282347e+38f, 1.40129846e-45f,
// CHECK-NEXT:      16777216.0f,
// CHECK-NEXT:  };
// CHECK-LABEL: static const double edgeft_g_dense_f64[2] = {
// CHECK-NEXT:      0.10000000000000001, -2.0,
// CHECK-NEXT:  };
// CHECK-LABEL: static const double edgeft_g_blob_f64[1] = {
// CHECK-NEXT:      0.33333333333333331,
// CHECK-NEXT:  };
// CHECK-LABEL: static const bool edgeft_g_mask[3] = {
// CHECK-NEXT:      true, false, true,
// CHECK-NEXT:  };
// CHECK-LABEL: static const bool edgeft_g_blob_mask[2] = {
// CHECK-NEXT:      false, true,
// CHECK-NEXT:  };
// CHECK-LABEL: static const int8_t edgeft_g_i8[2] = {
// CHECK-NEXT:      -128, 127,
// CHECK-NEXT:  };
// CHECK-LABEL: static const int16_t edgeft_g_i16[2] = {
// CHECK-NEXT:      -32768, 7,
// CHECK-NEXT:  };
// CHECK-LABEL: static const int64_t edgeft_g_blob_i64[2] = {
// CHECK-NEXT:      -1, 4294967296,
// CHECK-NEXT:  };
// CHECK-LABEL: static const long edgeft_g_idx[2] = {
// CHECK-NEXT:      3, 5,
// CHECK-NEXT:  };
module attributes {edgeft.arena = 0 : i64} {
  memref.global "private" constant @dense_f32 : memref<3xf32> = dense<[1.5, -0.0, 3.0]>
  memref.global "private" constant @splat_f32 : memref<2xf32> = dense<0.1>
  memref.global "private" constant @running_var : memref<9xf32> = dense_resource<torch_tensor_9_torch.float32>
  memref.global "private" constant @dense_f64 : memref<2xf64> = dense<[0.1, -2.0]>
  memref.global "private" constant @blob_f64 : memref<1xf64> = dense_resource<third>
  memref.global "private" constant @mask : memref<3xi1> = dense<[true, false, true]>
  memref.global "private" constant @blob_mask : memref<2xi1> = dense_resource<mask_blob>
  memref.global "private" constant @i8 : memref<2xi8> = dense<[-128, 127]>
  memref.global "private" constant @i16 : memref<2xi16> = dense<[-32768, 7]>
  memref.global "private" constant @blob_i64 : memref<2xi64> = dense_resource<i64_blob>
  memref.global "private" constant @idx : memref<2xindex> = dense<[3, 5]>
  func.func @read(%f: memref<f32>, %d: memref<f64>, %b: memref<i1>, %i: memref<i64>,
                  %n: memref<index>) {
    %c0 = arith.constant 0 : index
    %g0 = memref.get_global @dense_f32 : memref<3xf32>
    %g1 = memref.get_global @splat_f32 : memref<2xf32>
    %g2 = memref.get_global @running_var : memref<9xf32>
    %f0 = memref.load %g0[%c0] : memref<3xf32>
    %f1 = memref.load %g1[%c0] : memref<2xf32>
    %f2 = memref.load %g2[%c0] : memref<9xf32>
    %s0 = arith.addf %f0, %f1 : f32
    %s1 = arith.addf %s0, %f2 : f32
    memref.store %s1, %f[] : memref<f32>
    %g3 = memref.get_global @dense_f64 : memref<2xf64>
    %g4 = memref.get_global @blob_f64 : memref<1xf64>
    %d0 = memref.load %g3[%c0] : memref<2xf64>
    %d1 = memref.load %g4[%c0] : memref<1xf64>
    %d2 = arith.addf %d0, %d1 : f64
    memref.store %d2, %d[] : memref<f64>
    %g5 = memref.get_global @mask : memref<3xi1>
    %g6 = memref.get_global @blob_mask : memref<2xi1>
    %b0 = memref.load %g5[%c0] : memref<3xi1>
    %b1 = memref.load %g6[%c0] : memref<2xi1>
    %b2 = arith.andi %b0, %b1 : i1
    memref.store %b2, %b[] : memref<i1>
    %g7 = memref.get_global @i8 : memref<2xi8>
    %g8 = memref.get_global @i16 : memref<2xi16>
    %g9 = memref.get_global @blob_i64 : memref<2xi64>
    %i0 = memref.load %g7[%c0] : memref<2xi8>
    %i1 = memref.load %g8[%c0] : memref<2xi16>
    %i2 = memref.load %g9[%c0] : memref<2xi64>
    %e0 = arith.extsi %i0 : i8 to i64
    %e1 = arith.extsi %i1 : i16 to i64
    %i3 = arith.addi %e0, %e1 : i64
    %i4 = arith.addi %i3, %i2 : i64
    memref.store %i4, %i[] : memref<i64>
    %g10 = memref.get_global @idx : memref<2xindex>
    %n0 = memref.load %g10[%c0] : memref<2xindex>
    memref.store %n0, %n[] : memref<index>
    return
  }
}

{-#
  dialect_resources: {
    builtin: {
      torch_tensor_9_torch.float32: "0x040000000000803F000000400000003F000080BF0100803FACC52737FFFF7F7F010000000000804B",
      third: "0x08000000555555555555D53F",
      mask_blob: "0x010000000001",
      i64_blob: "0x08000000FFFFFFFFFFFFFFFF0000000001000000"
    }
  }
#-}
