"""The configuration docs name what the code reads: nothing more, nothing missing."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READ = re.compile(r"""env_(?:str|int|bool|list)\(\s*["']([A-Z_]+)["']""")


def _read_by_code() -> set[str]:
    return {
        name
        for path in ("config/settings.py", "config/celery.py")
        for name in READ.findall((ROOT / path).read_text())
    }


def test_env_example_names_only_variables_the_code_reads():
    lines = (ROOT / ".env.example").read_text().splitlines()
    named = {line.split("=")[0] for line in lines if line and not line.startswith("#")}

    assert named - _read_by_code() == set()  # e.g. EMAIL_URL, which nothing reads


def test_deployment_guide_documents_every_variable_the_code_reads():
    guide = (ROOT / "docs/deployment.md").read_text()

    assert {name for name in _read_by_code() if f"`{name}`" not in guide} == set()
    assert "read replicas for reports" not in guide
