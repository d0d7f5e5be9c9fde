"""Prints "N passed, N failed" from the test.xml files under bazel-testlogs.

Each <testcase> counts once: failed when it holds a <failure> or <error>,
skipped when it did not run, passed otherwise. (For a test binary that
crashes, Bazel writes a test.xml with one failing case.) Each failed CI step
given in argv[2] counts as one more failure, so a red run (a format error, a
clang build error, a target that failed after its cases passed) never ends
with "0 failed". Exits 1 when anything failed.
"""

import pathlib
import sys
import xml.etree.ElementTree as ElementTree


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    failed_steps = int(sys.argv[2])
    passed = failed = 0
    for xml in sorted(root.glob("**/test.xml")):
        try:
            cases = list(ElementTree.parse(xml).getroot().iter("testcase"))
        except ElementTree.ParseError:
            print(f"unreadable test log: {xml}")
            failed += 1
            continue
        for case in cases:
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
                print(f"FAILED: {case.get('classname')}.{case.get('name')} ({xml.parent})")
            elif case.get("status", "run") == "run":
                passed += 1
    print(f"{passed} passed, {failed + failed_steps} failed")
    return 0 if failed + failed_steps == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
