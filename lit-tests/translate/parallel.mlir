// RUN: edgeft-translate %s --to-c --split-input-file | filecheck %s

// A pulp.parallel region becomes a function of the core id and an argument
// struct carrying the pointers and scalars it reads from outside, named after
// the function and layer; the caller fills the struct and forks it on the
// cores. pulp.barrier is edgeft_rt_barrier. A pointer that is the only view
// of its buffer is restrict inside the function.
// CHECK-LABEL: /* relu: one slice per core, 8 cores */
// CHECK-NEXT:  struct p0_par_relu_args {
// CHECK-NEXT:      float *[[M:m[0-9]+]];
// CHECK-NEXT:      float [[F:v[0-9]+]];
// CHECK-NEXT:  };
// CHECK-NEXT:  static void p0_par_relu(int core_id, void *arg)
// CHECK-NEXT:  {
// CHECK-NEXT:      const struct p0_par_relu_args *a = arg;
// CHECK-NEXT:      float *restrict [[M]] = a->[[M]];
// CHECK-NEXT:      const float [[F]] = a->[[F]];
// CHECK-NEXT:      const long [[CORE:core[0-9]+]] = core_id;
// CHECK-NEXT:      const long [[I:v[0-9]+]] = [[CORE]] * 2;
// CHECK-NEXT:      [[M]][[[I]]] = [[F]];
// CHECK-NEXT:      edgeft_rt_barrier();
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
