// RUN: edgeft-opt %s --split-input-file --verify-diagnostics -p 'edgeft-plan-memory{l2=1024 l3=2048}'
// RUN: not edgeft-opt %s -p 'edgeft-plan-memory{target=gap9}' 2>&1 | filecheck %s --check-prefix=UNKNOWN
// RUN: not edgeft-opt %s -p 'edgeft-plan-memory{l2=100}' 2>&1 | filecheck %s --check-prefix=SMALL

// UNKNOWN: edgeft-opt: error: pass 'edgeft-plan-memory': unknown target 'gap9' (known: siracusa, host)
// SMALL:   edgeft-opt: error: pass 'edgeft-plan-memory': option 'l2' must be 0 (the target's) or 1024 .. 4294967295, got 100

// 3 KiB alive at once do not fit 1 KiB of L2 and 2 KiB of L3.
// expected-error@+1 {{edgeft-plan-memory: the memory plan does not fit: L3 needs 3,072 bytes, the budget is 2,048 (short by 1,024); the largest buffers alive at its peak: 512xf32 in @step ('?') (2,048 B); 256xf32 in @step ('?') (1,024 B)}}
module {
  func.func @step(%out: memref<256xf32>) {
    %a = memref.alloc() : memref<512xf32>
    %b = memref.alloc() : memref<256xf32>
    %c = memref.alloc() : memref<256xf32>
    %v = memref.subview %a[0] [256] [1] : memref<512xf32> to memref<256xf32, strided<[1]>>
    memref.copy %v, %b : memref<256xf32, strided<[1]>> to memref<256xf32>
    memref.copy %b, %c : memref<256xf32> to memref<256xf32>
    memref.copy %c, %out : memref<256xf32> to memref<256xf32>
    return
  }
}

// -----

// A buffer allocated inside a loop has no static place.
module {
  func.func @step(%out: memref<4xf32>) {
    %c0 = arith.constant 0 : index
    %c4 = arith.constant 4 : index
    %c1 = arith.constant 1 : index
    scf.for %i = %c0 to %c4 step %c1 {
      // expected-error@+1 {{edgeft-plan-memory: an allocation inside a loop has no static place; bufferize so that buffers are allocated at function level}}
      %a = memref.alloc() : memref<4xf32>
      memref.copy %a, %out : memref<4xf32> to memref<4xf32>
    }
    return
  }
}
