// The `pulp` dialect: the PULP cluster of the Siracusa SoC as edgeft sees it.
//
// Memory levels are memref memory spaces: #pulp.level<"L1"> (cluster TCDM),
// #pulp.level<"L2"> (SoC SRAM) and #pulp.level<"L3"> (off-chip HyperRAM).
// Transfers between levels are asynchronous DMA jobs that return a token;
// pulp.dma_wait blocks on it. pulp.parallel runs its body once per cluster
// core (the core id is the block argument), like the runtime's team fork.
//
// IRDL checks the structure (operand counts, attribute presence, the allowed
// attribute values); python/edgeft/ir/dialects.py adds the checks IRDL cannot
// state (ranks, shapes, memory levels) and marks pulp.yield a terminator.
irdl.dialect @pulp {
  // A memory level, used as a memref memory space.
  irdl.attribute @level {
    %l1 = irdl.is "L1"
    %l2 = irdl.is "L2"
    %l3 = irdl.is "L3"
    %name = irdl.any_of(%l1, %l2, %l3)
    irdl.parameters(name: %name)
  }

  // Completion token of an asynchronous DMA transfer.
  irdl.type @token {
  }

  // Contiguous copy of the whole `src` buffer into `dst` (same element type
  // and element count, different memory levels).
  irdl.operation @dma_start_1d {
    %src = irdl.base "!builtin.memref"
    %dst = irdl.base "!builtin.memref"
    %token = irdl.base @pulp::@token
    irdl.operands(src: %src, dst: %dst)
    irdl.results(token: %token)
  }

  // 2-D strided copy: `src` and `dst` are rank-2 views of the same shape whose
  // rows are contiguous; either side may have a row stride larger than a row.
  irdl.operation @dma_start_2d {
    %src = irdl.base "!builtin.memref"
    %dst = irdl.base "!builtin.memref"
    %token = irdl.base @pulp::@token
    irdl.operands(src: %src, dst: %dst)
    irdl.results(token: %token)
  }

  // Block until the transfer that produced `token` has completed.
  irdl.operation @dma_wait {
    %token = irdl.base @pulp::@token
    irdl.operands(token: %token)
  }

  // Cluster-wide barrier over the cores of the enclosing pulp.parallel.
  irdl.operation @barrier {
  }

  // Runs the body on `cores` cluster cores; the body's single block takes the
  // core id (index) and ends with pulp.yield.
  irdl.operation @parallel {
    %cores = irdl.base "#builtin.integer"
    irdl.attributes { "cores" = %cores }
    %index = irdl.is index
    %body = irdl.region(%index) with size 1
    irdl.regions(body: %body)
  }

  // Terminator of a pulp.parallel body.
  irdl.operation @yield {
  }
}
