// A lowered program for the performance estimate's tests: four tiles of
// FLOATS floats come from L2 into L1 while 8 cores scale the previous
// tile (WAIT_FIRST: the wait comes before the kernel, so nothing overlaps).
module {
  func.func @train_step(%arg0: memref<TOTALxf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %c128 = arith.constant 128 : index
    %cfl = arith.constant FLOATS : index
    %cst = arith.constant 2.0 : f32
    %in = memref.alloc() : memref<FLOATSxf32, #pulp.level<"L1">>
    %work = memref.alloc() : memref<1024xf32, #pulp.level<"L1">>
    %far = memref.memory_space_cast %arg0 : memref<TOTALxf32> to memref<TOTALxf32, #pulp.level<"L2">>
    scf.for %i = %c0 to %c4 step %c1 {
      %off = arith.muli %i, %cfl : index
      %src = memref.reinterpret_cast %far to offset: [%off], sizes: [FLOATS], strides: [1] : memref<TOTALxf32, #pulp.level<"L2">> to memref<FLOATSxf32, strided<[1], offset: ?>, #pulp.level<"L2">>
      %t = "pulp.dma_start_1d"(%src, %in) : (memref<FLOATSxf32, strided<[1], offset: ?>, #pulp.level<"L2">>, memref<FLOATSxf32, #pulp.level<"L1">>) -> !pulp.token
      WAIT_FIRST
      "pulp.parallel"() ({
      ^bb0(%core: index):
        %base = arith.muli %core, %c128 : index
        scf.for %j = %c0 to %c128 step %c1 {
          %k = arith.addi %base, %j : index
          %v = memref.load %work[%k] : memref<1024xf32, #pulp.level<"L1">>
          %w = arith.mulf %v, %cst : f32
          memref.store %w, %work[%k] : memref<1024xf32, #pulp.level<"L1">>
        }
        "pulp.barrier"() : () -> ()
        "pulp.yield"() : () -> ()
      }) {cores = 8 : i64} : () -> ()
      WAIT_LAST
    }
    return
  }
}
