"""No function in app code is longer than 60 lines (demo seeding aside).

Lines, not statements: counted from the `def` line to the function's last line, docstring,
comments and blank lines included (decorators not), as a reader sees it. Nested functions
count inside their parent and on their own.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "core",
    "events",
    "accounts",
    "notifications",
    "training",
    "deals",
    "coaching",
    "integrations",
    "tools",
    "roi",
    "home",
    "config",
)
MAX_LINES = 60


def _is_demo_seeding(path: Path) -> bool:
    """`<app>/demo.py`, `home/demo_*.py` and the seed_demo command build demo data."""
    return path.name.startswith("demo") or path.name == "seed_demo.py"


def app_functions() -> list[tuple[str, str, int]]:
    """(path:line, name, lines) of every function in app code outside migrations."""
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or _is_demo_seeding(path):
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = (node.end_lineno or node.lineno) - node.lineno + 1
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    found.append((where, node.name, lines))
    return found


def long_functions(max_lines: int = MAX_LINES) -> list[str]:
    return [
        f"{where} {name} ({lines} lines)"
        for where, name, lines in app_functions()
        if lines > max_lines
    ]


def test_no_app_function_is_longer_than_60_lines() -> None:
    assert long_functions() == []


def test_the_check_sees_functions_and_counts_their_lines() -> None:
    """The rule can fail: it finds the service functions, and a bound of 20 lines trips."""
    functions = {name: lines for _, name, lines in app_functions()}
    assert "deals_ingest" in functions
    assert "notification_text" in functions
    assert long_functions(max_lines=20)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("demo.py", True), ("demo_meetings.py", True), ("seed_demo.py", True), ("sync.py", False)],
)
def test_only_demo_seeding_is_exempt(name: str, expected: bool) -> None:
    assert _is_demo_seeding(Path(name)) is expected
