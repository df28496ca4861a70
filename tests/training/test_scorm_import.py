"""Importing SCORM packages: what becomes lessons, what is refused, and that a refusal leaves
nothing behind (no rows, no files)."""

import io
import stat
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.training.factories import CourseFactory, LessonFactory
from tests.training.scorm_packages import scorm12_files, scorm12_zip, scorm2004_zip, zip_bytes
from training.models import Lesson, LessonKind, ScormPackage
from training.services import lesson_complete, scorm_package_import

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media: Path) -> list[str]:
    root = media / "scorm"
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def run_import(course, data: bytes):
    return scorm_package_import(course=course, upload=io.BytesIO(data), size=len(data))


def test_a_scorm_12_package_becomes_one_lesson_per_item_after_the_existing_ones(media):
    course = CourseFactory()
    LessonFactory(course=course, position=0)

    result = run_import(course, scorm12_zip(parts=2))

    package = result.package
    assert (package.version, package.title, package.file_count) == (
        "1.2",
        "Discovery that finds pain",
        3,
    )
    lessons = list(course.lessons.filter(kind=LessonKind.SCORM).order_by("position"))
    assert [(x.title, x.position, x.scorm_launch, x.scorm_item) for x in lessons] == [
        ("Discovery part 1", 1, "sco/index.html?part=part-1", "part-1"),
        ("Discovery part 2", 2, "sco/index.html?part=part-2", "part-2"),
    ]
    assert stored_files(media) == sorted(
        f"{package.key}/{name}" for name in ("imsmanifest.xml", "sco/index.html", "sco/sco.js")
    )


def test_a_scorm_2004_package_resolves_hrefs_under_xml_base():
    result = run_import(CourseFactory(), scorm2004_zip())

    assert result.package.version == "2004"
    assert [x.scorm_launch for x in result.lessons] == ["content/sco/index.html"]


def _symlink_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in scorm12_files().items():
            archive.writestr(name, content)
        link = zipfile.ZipInfo("sco/passwd")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    return buffer.getvalue()


def _bomb_zip() -> bytes:
    files = scorm12_files()
    files["sco/padding.bin"] = b"\0" * (20 * 1024 * 1024)
    return zip_bytes(files)


def _with(**extra: str) -> bytes:
    files = scorm12_files()
    files.update(extra)
    return zip_bytes(files)


def _manifest(*changes: tuple[str, str]) -> bytes:
    files = scorm12_files()
    text = str(files["imsmanifest.xml"])
    for old, new in changes:
        text = text.replace(old, new)
    files["imsmanifest.xml"] = text
    return zip_bytes(files)


REFUSED = {
    "not_zip": b"PK\x03\x04 this is not really a zip",
    "no_manifest": zip_bytes({"index.html": "<p>hello</p>"}),
    "manifest_xml": _manifest(("</manifest>", "")),
    "missing_launch": _manifest(('href="sco/index.html">', 'href="sco/start.html">')),
    "external_launch": _manifest(('href="sco/index.html">', 'href="https://evil.example/x">')),
    "missing_resource": _manifest(('identifierref="res-sco"', 'identifierref="nope"')),
    "no_organization": _manifest(
        ('<organization identifier="org">', "<x>"), ("</organization>", "</x>")
    ),
    "prerequisite": _manifest(
        (
            "<title>Discovery part 1</title>",
            '<title>P</title><adlcp:prerequisites type="aicc_script">intro</adlcp:prerequisites>',
        )
    ),
    "unsafe_path": _with(**{"../escape.html": "x"}),
    "symlink": _symlink_zip(),
    "zip_bomb": _bomb_zip(),
}
REFUSED["absolute"] = _with(**{"/etc/cron.d/x": "x"})


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_bad_package_is_refused_and_leaves_nothing_behind(media, case):
    course = CourseFactory()

    with pytest.raises(ValidationError) as caught:
        run_import(course, REFUSED[case])

    expected = "unsafe_path" if case == "absolute" else case
    assert caught.value.error_dict["package"][0].code == expected
    assert ScormPackage.objects.count() == 0
    assert Lesson.objects.filter(course=course).count() == 0
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("setting", "value", "code"),
    [
        ("SCORM_MAX_PACKAGE_BYTES", 1000, "too_large"),
        ("SCORM_MAX_UNPACKED_BYTES", 1000, "zip_bomb"),
        ("SCORM_MAX_FILES", 2, "too_many"),
    ],
)
def test_the_limits_come_from_settings(settings, setting, value, code):
    setattr(settings, setting, value)

    with pytest.raises(ValidationError) as caught:
        run_import(CourseFactory(), scorm12_zip())

    assert caught.value.error_dict["package"][0].code == code


def test_a_failure_after_files_were_written_deletes_them(media, monkeypatch):
    course = CourseFactory()

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("training.services.scorm_import.lesson_create", broken)
    with pytest.raises(RuntimeError):
        run_import(course, scorm12_zip())

    assert ScormPackage.objects.count() == 0
    assert stored_files(media) == []


def test_the_command_imports_into_the_named_course(tmp_path):
    course = CourseFactory(slug="discovery")
    path = tmp_path / "package.zip"
    path.write_bytes(scorm12_zip())
    out = io.StringIO()

    call_command("course_import_scorm", str(path), "--course", "discovery", stdout=out)

    assert "1 lesson(s), 3 file(s)" in out.getvalue()
    assert course.lessons.get().kind == LessonKind.SCORM


def test_the_command_reports_a_refusal_and_an_unknown_course(tmp_path):
    CourseFactory(slug="discovery")
    path = tmp_path / "package.zip"
    path.write_bytes(zip_bytes({"index.html": "x"}))

    with pytest.raises(CommandError, match="imsmanifest.xml is missing"):
        call_command("course_import_scorm", str(path), "--course", "discovery")
    with pytest.raises(CommandError, match="No course"):
        call_command("course_import_scorm", str(path), "--course", "nope")


def test_an_editor_uploads_a_package_in_the_studio(cast, client):
    course = CourseFactory(slug="discovery")
    client.force_login(cast.manager)
    upload = io.BytesIO(scorm2004_zip())
    upload.name = "meddic.zip"

    response = client.post("/learn/studio/courses/discovery/scorm/", {"package": upload})

    assert response.status_code == 302
    assert [x.title for x in course.lessons.all()] == ["Economic buyer"]


def test_a_refused_upload_shows_why_and_imports_nothing(cast, client):
    course = CourseFactory(slug="discovery")
    client.force_login(cast.manager)
    upload = io.BytesIO(b"not a zip")
    upload.name = "x.zip"

    response = client.post("/learn/studio/courses/discovery/scorm/", {"package": upload})

    assert response.status_code == 400
    assert "This file is not a zip archive." in response.content.decode()
    assert course.lessons.count() == 0


def test_a_rep_may_not_upload(cast, client):
    CourseFactory(slug="discovery")
    client.force_login(cast.rep)
    upload = io.BytesIO(scorm12_zip())
    upload.name = "x.zip"

    response = client.post("/learn/studio/courses/discovery/scorm/", {"package": upload})

    assert response.status_code == 404
    assert ScormPackage.objects.count() == 0


def test_a_scorm_lesson_cannot_be_marked_done_by_hand(cast):
    lesson = run_import(CourseFactory(), scorm12_zip()).lessons[0]

    with pytest.raises(ValidationError) as caught:
        lesson_complete(user=cast.rep, lesson=lesson)

    assert caught.value.error_dict["lesson"][0].code == "scorm"


def test_markdown_export_and_import_leave_scorm_lessons_alone(tmp_path):
    from training.services import course_export, course_import

    course = CourseFactory(slug="mixed")
    LessonFactory(course=course, slug="intro", title="Intro")
    (scorm_lesson,) = run_import(course, scorm12_zip()).lessons

    folder = course_export(course=course, into=tmp_path)
    report = course_import(folder=folder)

    assert "scorm" not in (folder / "course.yaml").read_text()
    assert report.changed is False
    assert set(course.lessons.values_list("slug", flat=True)) == {"intro", scorm_lesson.slug}
