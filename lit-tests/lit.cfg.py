# lit configuration for edgeft's FileCheck tests.
#
# Tools come from the Python environment that runs lit: edgeft-opt and
# filecheck are console scripts installed next to its interpreter.
import os
import sys

import lit.formats

config.name = "edgeft"
config.test_format = lit.formats.ShTest()
config.suffixes = [".mlir"]
config.excludes = ["Inputs"]
config.test_source_root = os.path.dirname(__file__)

bin_dir = os.path.dirname(sys.executable)
config.environment["PATH"] = os.pathsep.join([bin_dir, config.environment.get("PATH", os.environ.get("PATH", ""))])
config.environment["PYTHONWARNINGS"] = "ignore"
config.substitutions.append(("%python", sys.executable))
