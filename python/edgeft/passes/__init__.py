"""edgeft's MLIR passes, one module each; `registry` maps names to them."""
