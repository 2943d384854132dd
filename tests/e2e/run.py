#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Run the end-to-end tests: every test_* function of tests/e2e/test_*.py.

Prints one line per test (ok / FAIL / skip with the reason) and a closing
"N passed, N failed, N skipped" line. usage: run.py [NAME-SUBSTRING]
"""
import importlib.util
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    passed = failed = skipped = 0
    for fname in sorted(os.listdir(here)):
        if not (fname.startswith("test_") and fname.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(fname[:-3], os.path.join(here, fname))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for name in sorted(n for n in dir(mod) if n.startswith("test_")):
            full = f"e2e/{fname[5:-3]}/{name[5:]}"
            if only and only not in full:
                continue
            t0 = time.monotonic()
            try:
                getattr(mod, name)()
            except cwtest.Skip as e:
                skipped += 1
                print(f"skip {full}: {e}", flush=True)
                continue
            except Exception:  # an assertion or an error: the test failed
                failed += 1
                print(f"FAIL {full}", flush=True)
                traceback.print_exc()
                continue
            passed += 1
            print(f"ok   {full} ({time.monotonic() - t0:.1f}s)", flush=True)
    print(f"{passed} passed, {failed} failed, {skipped} skipped", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
