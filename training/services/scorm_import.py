"""Importing a SCORM package into a course: one lesson of kind `scorm` per launchable item.

Nothing is half-imported: the zip and the manifest are checked completely before the first
file is written; files go to the default storage under a fresh folder, and the database rows
are written in one transaction afterwards. When anything fails after the first file was
written, the files written so far are deleted before the error is raised.
"""

import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from training.models import Course, Lesson, LessonKind, ScormPackage
from training.scorm.archive import (
    ArchiveLimits,
    archive_members,
    archive_open,
    archive_read,
)
from training.scorm.manifest import Manifest, manifest_parse
from training.services.lessons import lesson_create

MANIFEST = "imsmanifest.xml"


@dataclass(frozen=True)
class ScormImport:
    package: ScormPackage
    lessons: list[Lesson]


def scorm_limits() -> ArchiveLimits:
    return ArchiveLimits(
        max_package_bytes=settings.SCORM_MAX_PACKAGE_BYTES,
        max_unpacked_bytes=settings.SCORM_MAX_UNPACKED_BYTES,
        max_files=settings.SCORM_MAX_FILES,
    )


def _manifest_read(archive: zipfile.ZipFile, files: list[zipfile.ZipInfo]) -> Manifest:
    by_name = {info.filename: info for info in files}
    if MANIFEST not in by_name:
        raise ValidationError(
            {
                "package": ValidationError(
                    _("This zip is not a SCORM package: imsmanifest.xml is missing at its top."),
                    code="no_manifest",
                )
            }
        )
    raw = archive_read(archive=archive, info=by_name[MANIFEST])
    return manifest_parse(raw=raw, files=set(by_name))


def _files_store(
    *,
    archive: zipfile.ZipFile,
    files: list[zipfile.ZipInfo],
    package: ScormPackage,
    storage: Storage,
    written: list[str],
) -> None:
    for info in files:
        wanted = package.storage_name(info.filename)
        name = storage.save(wanted, ContentFile(archive_read(archive=archive, info=info)))
        written.append(name)
        if name != wanted:  # the folder is new, so this means the storage renamed the file
            raise RuntimeError(f"storage stored {wanted!r} as {name!r}")


def _rows_create(
    *, course: Course, manifest: Manifest, package: ScormPackage, actor: User | None
) -> list[Lesson]:
    with transaction.atomic():
        package.save()
        return [
            lesson_create(
                course=course,
                kind=LessonKind.SCORM,
                title=item.title,
                created_by=actor,
                scorm_package=package,
                scorm_launch=item.launch,
                scorm_item=item.identifier,
            )
            for item in manifest.items
        ]


def scorm_package_import(
    *, course: Course, upload: BinaryIO, size: int, actor: User | None = None
) -> ScormImport:
    """Check, store and turn a SCORM zip into lessons at the end of `course`. Refusals are
    ValidationErrors on the field `package`; on any failure nothing stays behind."""
    limits = scorm_limits()
    with archive_open(upload=upload, size=size, limits=limits) as archive:
        files = archive_members(archive=archive, limits=limits)
        manifest = _manifest_read(archive, files)
        package = ScormPackage(
            course=course,
            version=manifest.version,
            title=manifest.title,
            manifest_identifier=manifest.identifier,
            file_count=len(files),
            size_bytes=sum(info.file_size for info in files),
            uploaded_by=actor,
        )
        written: list[str] = []
        try:
            _files_store(
                archive=archive,
                files=files,
                package=package,
                storage=default_storage,
                written=written,
            )
            lessons = _rows_create(course=course, manifest=manifest, package=package, actor=actor)
        except BaseException:
            for name in written:
                default_storage.delete(name)
            raise
    return ScormImport(package=package, lessons=lessons)
