// RUN: edgeft-opt %s -p 'edgeft-plan-memory' | filecheck %s
// RUN: edgeft-opt %s -p 'edgeft-plan-memory{l2=65536}' | filecheck %s --check-prefix=GIVEN

// Without l2, siracusa's L2 budget is the shared L2 (2,031,616 B) minus the
// program's image: @w's 16 bytes of initial values (weights.c; the splat @m
// has none), the parameter table (per float global 16 B, its name and a
// NUL: 2 x 18), main.c's and
// network.c's I/O buffers of one batch (x 32, y 8, logits 24, int64 labels 16),
// the input of 3 plain steps (4 + 3 * (4 + 32 + 8)), the runtime, 13.4 B per
// lowered op (2: the returns) and 8 KiB of slack; aligned down to 64 bytes.
// CHECK-LABEL: module attributes {edgeft.l2_budget = {bytes = 1978624 : i64, constants = 0 : i64, initial_values = 16 : i64, input = 136 : i64, input_steps = 3 : i64, io_buffers = 80 : i64, kernel_code = 27 : i64, lowered_ops = 2 : i64, parameter_table = 36 : i64, physical = 2031616 : i64, runtime_code = 44500 : i64, slack = 8192 : i64}

// An explicit l2 is the budget as given: no footprint.
// GIVEN-LABEL: module attributes {edgeft.memory = {L2 = 128 : i64
module {
  memref.global "private" @w : memref<2x2xf32> = dense<[[1.0, 2.0], [3.0, 4.0]]> {edgeft.trainable}
  memref.global "private" @m : memref<2x2xf32> = dense<0.0> {edgeft.state_of = "w"}
  func.func @train_step(%x: memref<2x4xf32>, %y: memref<2xi64>, %loss: memref<f32>) {
    return
  }
  func.func @predict(%x: memref<2x4xf32>, %logits: memref<2x3xf32>) {
    return
  }
}
