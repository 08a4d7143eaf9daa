#!/usr/bin/env bash
# Set everything up (tools/setup.sh), then run every test: the lit suite
# (lit-tests/) and pytest (tests/). The last line is "N passed, N failed",
# summed over both suites; the exit code is 0 only when nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh || exit 1

results=build/test-results
rm -rf "$results" && mkdir -p "$results"
export PYTHONWARNINGS=ignore
.venv/bin/lit -sv lit-tests --xunit-xml-output "$results/lit.xml"
.venv/bin/python -m pytest -q -p no:cacheprovider -n 2 tests --junitxml "$results/pytest.xml"
.venv/bin/python tools/count_results.py "$results/lit.xml" "$results/pytest.xml"
