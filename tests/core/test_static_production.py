"""Static files as production builds them: `collectstatic` with whitenoise's manifest storage."""

import json
import re
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.templatetags.static import static
from django.test import override_settings

PRODUCTION_STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def test_collectstatic_with_the_production_storage_writes_a_manifest(tmp_path: Path):
    # given the storage that DEBUG=false selects (the test settings use the plain one)
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=PRODUCTION_STORAGES):
        # when static files are collected, as docs/deployment.md says
        call_command("collectstatic", interactive=False, verbosity=0)

        # then every file referenced by a vendored asset exists, so a manifest is written and
        # templates resolve hashed names (a missing file aborts post-processing: no manifest,
        # and every page that uses {% static %} answers 500)
        manifest = json.loads((tmp_path / "staticfiles.json").read_text())
        chart = static("vendor/chartjs/chart-4.6.1.umd.min.js")
    assert re.fullmatch(r"/static/vendor/chartjs/chart-4\.6\.1\.umd\.min\.[0-9a-f]{12}\.js", chart)
    for name in ("css/app.css", "vendor/htmx/htmx-2.0.11.min.js", "js/roi.js"):
        assert name in manifest["paths"]


def test_our_static_files_name_no_file_that_is_not_shipped():
    # a sourceMappingURL (or url()) naming a missing file breaks the manifest storage
    root = Path(settings.BASE_DIR) / "static"
    for path in root.rglob("*"):
        if path.suffix not in {".js", ".css"}:
            continue
        for target in re.findall(r"sourceMappingURL=(\S+?)(?:\s|\*/|$)", path.read_text()):
            assert (path.parent / target).exists(), f"{path} names {target}, which is not shipped"
