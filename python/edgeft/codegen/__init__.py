"""C code generation: lower the training module to loops and emit C11."""
