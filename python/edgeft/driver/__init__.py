"""Command-line drivers: `edgeft` (cli.py) and `edgeft-opt` (opt.py)."""
