"""The common end of every Python test file: run unittest, print the closing line CI reads."""
import sys
import unittest


def main():
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print("%d passed, %d failed, %d skipped" % (result.testsRun - failed - len(result.skipped), failed,
                                                len(result.skipped)))
    sys.exit(0 if result.wasSuccessful() else 1)
