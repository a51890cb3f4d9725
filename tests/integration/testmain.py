"""The common end of every Python test file: run unittest, print the closing line CI reads."""
import sys
import unittest


def main():
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print("%d passed, %d failed, %d skipped" % (max(0, result.testsRun - failed - len(result.skipped)), failed,
                                                len(result.skipped)))
    if result.wasSuccessful() and result.skipped and len(result.skipped) >= result.testsRun:
        # Nothing ran: meson must show SKIP (77), not OK, and CI's summary prints why.
        for _, reason in result.skipped:
            print("skipped: %s" % reason)
        sys.exit(77)
    sys.exit(0 if result.wasSuccessful() else 1)
