// RUN: edgeft-translate %s --to-c --split-input-file | filecheck %s

// A pulp.parallel region becomes a slice function of its buffers (restrict
// pointers), its scalars and the core id, and a function of the core id and an
// argument struct carrying the pointers and scalars it reads from outside,
// named after the function and layer, that calls it; the caller fills the
// struct and forks it on the cores. pulp.barrier is edgeft_rt_barrier.
// CHECK-LABEL: /* relu: one slice per core, 8 cores */
// CHECK-NEXT:  struct p0_par_relu_args {
// CHECK-NEXT:      float *[[M:m[0-9]+]];
// CHECK-NEXT:      float [[F:v[0-9]+]];
// CHECK-NEXT:  };
// CHECK-NEXT:  static void p0_par_relu_slice(float *restrict [[M]], const float [[F]], const long [[CORE:core[0-9]+]])
// CHECK-NEXT:  {
// CHECK-NEXT:      const long [[I:v[0-9]+]] = [[CORE]] * 2;
// CHECK-NEXT:      [[M]][[[I]]] = [[F]];
// CHECK-NEXT:      edgeft_rt_barrier();
// CHECK-NEXT:  }
// CHECK-NEXT:  static void p0_par_relu(int core_id, void *arg)
// CHECK-NEXT:  {
// CHECK-NEXT:      const struct p0_par_relu_args *a = arg;
// CHECK-NEXT:      p0_par_relu_slice(a->[[M]], a->[[F]], core_id);
// CHECK-NEXT:  }
// CHECK-LABEL: static void edgeft_par_fn(float *restrict arg0, float *restrict arg1)
// CHECK-NEXT:  {
// CHECK-NEXT:      const float [[F]] = arg1[0];
// CHECK-NEXT:      {
// CHECK-NEXT:          struct p0_par_relu_args args = {&arg0[0], [[F]]};
// CHECK-NEXT:          edgeft_rt_fork(8, p0_par_relu, &args);
// CHECK-NEXT:      }
// CHECK-NEXT:  }
module attributes {edgeft.memory = {L1 = 64 : i64}} {
  func.func @par(%x: memref<16xf32, #pulp.level<"L1">>, %s: memref<f32>) {
    %f = memref.load %s[] : memref<f32>
    "pulp.parallel"() ({
    ^bb0(%core: index):
      %c2 = arith.constant 2 : index
      %i = arith.muli %core, %c2 : index
      memref.store %f, %x[%i] : memref<16xf32, #pulp.level<"L1">>
      "pulp.barrier"() : () -> ()
      "pulp.yield"() : () -> ()
    }) {cores = 8 : i64} : () -> () loc("relu"("model.py":7:0))
    return
  }
}

// -----

// A region reading an L1 tile of the arena passes the tile's address, and
// a second region is numbered after the first.
// CHECK-LABEL: struct p1_two_fc_args {
// CHECK:       static void edgeft_two_fn(void)
// CHECK:           edgeft_rt_fork(8, p0_two_fc, &args);
// CHECK:           struct p1_two_fc_args args = {&((float *)(edgeft_L1 + EDGEFT_OFF_TWO_0))[0]};
// CHECK-NEXT:      edgeft_rt_fork(4, p1_two_fc, &args);
module attributes {edgeft.memory = {L1 = 64 : i64}} {
  func.func @two() {
    %t = memref.alloc() {edgeft.level = "L1", edgeft.offset = 0 : i64} : memref<16xf32, #pulp.level<"L1">>
    %z = arith.constant 0.0 : f32
    "pulp.parallel"() ({
    ^bb0(%core: index):
      memref.store %z, %t[%core] : memref<16xf32, #pulp.level<"L1">>
      "pulp.yield"() : () -> ()
    }) {cores = 8 : i64} : () -> () loc("fc"("model.py":9:0))
    "pulp.parallel"() ({
    ^bb0(%core: index):
      memref.store %z, %t[%core] : memref<16xf32, #pulp.level<"L1">>
      "pulp.yield"() : () -> ()
    }) {cores = 4 : i64} : () -> () loc("fc"("model.py":10:0))
    return
  }
}

// -----

// Two views of one buffer in a region are plain pointers: restrict would
// promise the compiler that they never meet.
// CHECK-LABEL: struct p0_alias_fc_args {
// CHECK:       static void p0_alias_fc_slice(float *[[A:m[0-9]+]], float *[[B:m[0-9]+]], const long [[C:core[0-9]+]])
// CHECK:           = [[A]][[[C]]];
// CHECK-NEXT:      [[B]][[[C]]] = 
module attributes {edgeft.memory = {L1 = 64 : i64}} {
  func.func @alias(%x: memref<16xf32, #pulp.level<"L1">>) {
    %lo = memref.reinterpret_cast %x to offset: [0], sizes: [8], strides: [1] : memref<16xf32, #pulp.level<"L1">> to memref<8xf32, strided<[1]>, #pulp.level<"L1">>
    %hi = memref.reinterpret_cast %x to offset: [8], sizes: [8], strides: [1] : memref<16xf32, #pulp.level<"L1">> to memref<8xf32, strided<[1], offset: 8>, #pulp.level<"L1">>
    "pulp.parallel"() ({
    ^bb0(%core: index):
      %v = memref.load %lo[%core] : memref<8xf32, strided<[1]>, #pulp.level<"L1">>
      memref.store %v, %hi[%core] : memref<8xf32, strided<[1], offset: 8>, #pulp.level<"L1">>
      "pulp.barrier"() : () -> ()
      "pulp.yield"() : () -> ()
    }) {cores = 8 : i64} : () -> () loc("fc"("model.py":7:0))
    return
  }
}
