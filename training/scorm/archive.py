"""A SCORM zip, opened with its dangers refused before anything is unpacked.

Refused: files that are not zips, packages over the size limit, members with absolute paths,
drive letters, backslashes or `..` segments, symlinks, more members than allowed, and zip bombs
(a declared unpacked size over the limit, a compression ratio no real course reaches, or a
member that inflates past its declared size while being read).
"""

import posixpath
import re
import stat
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    max_package_bytes: int
    max_unpacked_bytes: int
    max_files: int
    # Unpacked / packed size of one member; text compresses ~10:1, bombs reach 1000:1.
    max_ratio: int = 200


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError({"package": ValidationError(message, code=code)})


def archive_open(*, upload: BinaryIO, size: int, limits: ArchiveLimits) -> zipfile.ZipFile:
    if size > limits.max_package_bytes:
        raise _refuse(
            _("The package is larger than %(mb)d MB.")
            % {"mb": limits.max_package_bytes // (1024 * 1024)},
            "too_large",
        )
    try:
        return zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refuse(_("This file is not a zip archive."), "not_zip") from None


def _name_is_safe(name: str) -> bool:
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or _DRIVE.match(name):
        return False
    parts = name.rstrip("/").split("/")
    return all(part not in ("", ".", "..") for part in parts)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def archive_members(*, archive: zipfile.ZipFile, limits: ArchiveLimits) -> list[zipfile.ZipInfo]:
    """The files of the archive (folders left out), after every member passed the checks."""
    infos = archive.infolist()
    if len(infos) > limits.max_files:
        raise _refuse(
            _("The package has more than %(n)d files.") % {"n": limits.max_files}, "too_many"
        )
    files, total = [], 0
    for info in infos:
        if not _name_is_safe(info.filename):
            raise _refuse(
                _("The package contains an unsafe path: %(name)s") % {"name": info.filename[:200]},
                "unsafe_path",
            )
        if _is_symlink(info):
            raise _refuse(
                _("The package contains a symbolic link: %(name)s") % {"name": info.filename},
                "symlink",
            )
        if info.is_dir():
            continue
        packed = max(info.compress_size, 1)
        if info.file_size > _CHUNK and info.file_size / packed > limits.max_ratio:
            raise _refuse(_("The package looks like a zip bomb."), "zip_bomb")
        total += info.file_size
        files.append(info)
    if total > limits.max_unpacked_bytes:
        raise _refuse(
            _("Unpacked, the package would be larger than %(mb)d MB.")
            % {"mb": limits.max_unpacked_bytes // (1024 * 1024)},
            "zip_bomb",
        )
    return files


def archive_read(*, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes, never more than its header declared (the totals were checked
    against the declared sizes, so a member that lies is a bomb)."""
    chunks, read = [], 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                read += len(chunk)
                if read > info.file_size:
                    raise _refuse(_("The package looks like a zip bomb."), "zip_bomb")
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
        raise _refuse(
            _("The package is damaged: %(name)s cannot be read.") % {"name": info.filename},
            "damaged",
        ) from None
    return b"".join(chunks)


def archive_path_join(base: str, href: str) -> str:
    """A manifest href resolved against its xml:base, as the member name it must match, or ""
    when it leaves the package."""
    joined = posixpath.normpath(posixpath.join(base, href)) if base else posixpath.normpath(href)
    return joined if _name_is_safe(joined) else ""
