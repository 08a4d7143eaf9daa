func.func @f(%a: memref<16xf32, #pulp.level<"L2">>, %b: memref<8xf32, #pulp.level<"L1">>) {
  %t = "pulp.dma_start_1d"(%a, %b) : (memref<16xf32, #pulp.level<"L2">>, memref<8xf32, #pulp.level<"L1">>) -> !pulp.token
  return
}

// expected-error@+1 {{this message is never produced}}
func.func @g() {
  return
}
