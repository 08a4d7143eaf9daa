// RUN: edgeft-opt %s --split-input-file --verify-diagnostics

// A DMA takes exactly a source and a destination.
func.func @dma_missing_operand(%l2: memref<16xf32, #pulp.level<"L2">>) {
  // expected-error@+1 {{op expects exactly 2 operands, but got 1}}
  %t = "pulp.dma_start_1d"(%l2) : (memref<16xf32, #pulp.level<"L2">>) -> !pulp.token
  return
}

// -----

// A memory level is one of L1, L2, L3.
// expected-error@+1 {{'"L4"' does not satisfy the constraint}}
func.func @unknown_level(%m: memref<16xf32, #pulp.level<"L4">>) {
  return
}

// -----

// Both ends of a transfer live in the same level.
func.func @dma_same_level(%a: memref<16xf32, #pulp.level<"L1">>, %b: memref<16xf32, #pulp.level<"L1">>) {
  // expected-error@+1 {{'pulp.dma_start_1d' op requires src and dst in different memory levels, both are L1}}
  %t = "pulp.dma_start_1d"(%a, %b) : (memref<16xf32, #pulp.level<"L1">>, memref<16xf32, #pulp.level<"L1">>) -> !pulp.token
  return
}

// -----

// A 1-D transfer moves the same number of elements it reads.
func.func @dma_1d_count(%a: memref<16xf32, #pulp.level<"L2">>, %b: memref<8xf32, #pulp.level<"L1">>) {
  // expected-error@+1 {{'pulp.dma_start_1d' op requires equal element counts, got 16 and 8}}
  %t = "pulp.dma_start_1d"(%a, %b) : (memref<16xf32, #pulp.level<"L2">>, memref<8xf32, #pulp.level<"L1">>) -> !pulp.token
  return
}

// -----

// A strided view needs the 2-D form.
func.func @dma_1d_strided(%a: memref<4x8xf32, strided<[16, 1]>, #pulp.level<"L2">>, %b: memref<4x8xf32, #pulp.level<"L1">>) {
  // expected-error@+1 {{'pulp.dma_start_1d' op requires contiguous src and dst (use pulp.dma_start_2d for strided rows)}}
  %t = "pulp.dma_start_1d"(%a, %b) : (memref<4x8xf32, strided<[16, 1]>, #pulp.level<"L2">>, memref<4x8xf32, #pulp.level<"L1">>) -> !pulp.token
  return
}

// -----

// Memrefs without a pulp level cannot be transferred.
func.func @dma_no_level(%a: memref<16xf32>, %b: memref<16xf32, #pulp.level<"L1">>) {
  // expected-error@+1 {{'pulp.dma_start_1d' op requires src and dst in pulp memory levels}}
  %t = "pulp.dma_start_1d"(%a, %b) : (memref<16xf32>, memref<16xf32, #pulp.level<"L1">>) -> !pulp.token
  return
}

// -----

// A 2-D transfer moves rank-2 views.
func.func @dma_2d_rank(%a: memref<16xf32, #pulp.level<"L2">>, %b: memref<16xf32, #pulp.level<"L1">>) {
  // expected-error@+1 {{'pulp.dma_start_2d' op requires rank-2 src and dst, got ranks 1 and 1}}
  %t = "pulp.dma_start_2d"(%a, %b) : (memref<16xf32, #pulp.level<"L2">>, memref<16xf32, #pulp.level<"L1">>) -> !pulp.token
  return
}

// -----

// A 2-D transfer copies rows of equal shape.
func.func @dma_2d_shape(%a: memref<4x8xf32, #pulp.level<"L2">>, %b: memref<8x4xf32, #pulp.level<"L1">>) {
  // expected-error@+1 {{'pulp.dma_start_2d' op requires src and dst of the same shape, got [4, 8] and [8, 4]}}
  %t = "pulp.dma_start_2d"(%a, %b) : (memref<4x8xf32, #pulp.level<"L2">>, memref<8x4xf32, #pulp.level<"L1">>) -> !pulp.token
  return
}

// -----

// Waiting needs the token of a transfer.
func.func @wait_not_token(%a: memref<16xf32, #pulp.level<"L2">>) {
  // expected-error@+1 {{op expects exactly 1 operands, but got 0}}
  "pulp.dma_wait"() : () -> ()
  return
}

// -----

// A parallel region says on how many cores it runs.
func.func @parallel_no_cores() {
  // expected-error@+1 {{attribute "cores" is expected but not provided}}
  "pulp.parallel"() ({
  ^bb0(%core: index):
    "pulp.yield"() : () -> ()
  }) : () -> ()
  return
}

// -----

// The core count is positive.
func.func @parallel_zero_cores() {
  // expected-error@+1 {{'pulp.parallel' op requires a positive integer 'cores', got 0 : i32}}
  "pulp.parallel"() ({
  ^bb0(%core: index):
    "pulp.yield"() : () -> ()
  }) {cores = 0 : i32} : () -> ()
  return
}

// -----

// A barrier outside a parallel region has nothing to synchronise.
func.func @barrier_outside() {
  // expected-error@+1 {{'pulp.barrier' op must be nested in a pulp.parallel region}}
  "pulp.barrier"() : () -> ()
  return
}

// -----

// pulp.yield ends only pulp.parallel bodies.
func.func @yield_outside() {
  // expected-error@+1 {{'pulp.yield' op expects parent op 'pulp.parallel'}}
  "pulp.yield"() : () -> ()
}
