"""Sum JUnit XML reports (lit's and pytest's) into one "N passed, N failed" line.

A missing or unreadable report counts as one failure, so a suite that did not
run cannot look green. Skipped tests count as neither.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def count(path: Path) -> tuple[int, int]:
    """(passed, failed) of one JUnit XML report."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"count_results: cannot read {path}: {e}", file=sys.stderr)
        return 0, 1
    passed = failed = 0
    for case in root.iter("testcase"):
        outcomes = {child.tag for child in case}
        if outcomes & {"failure", "error"}:
            failed += 1
        elif "skipped" not in outcomes:
            passed += 1
    return passed, failed


def main(paths: list[str]) -> int:
    """Print the summed counts of the reports; exit code 1 if any test failed."""
    passed = failed = 0
    for path in paths:
        p, f = count(Path(path))
        passed, failed = passed + p, failed + f
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
