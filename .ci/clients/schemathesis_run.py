"""`schemathesis run` with one workaround: on this CPython (3.11.7) hypothesis's pretty-printing
of filter lambdas can raise "SystemError: AST constructor recursion depth mismatch" (a CPython
bug in ast.parse), which schemathesis reports as an error of the run although no request was
involved. The description is cosmetic, so a failure to build it is replaced by a placeholder."""

import sys
from typing import Any

from hypothesis.internal import lambda_sources

_describe = lambda_sources._lambda_description


def _describe_or_placeholder(f: Any) -> str:
    try:
        return _describe(f)
    except SystemError:
        return "lambda: <source unavailable>"


lambda_sources._lambda_description = _describe_or_placeholder

from schemathesis.cli import schemathesis  # noqa: E402

if __name__ == "__main__":
    sys.exit(schemathesis(["run", *sys.argv[1:]]))
