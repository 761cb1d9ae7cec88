"""Opening an uploaded `.qdpx` (a zip) without trusting it.

Checked before anything is extracted, against the settings (`BEC_EXCHANGE_MAX_*`): the archive's
size, its number of entries, the declared uncompressed size of each entry and of all of them, and
each entry's compression ratio (a zip bomb declares or reaches sizes far beyond its own). Entry
names with ``..``, absolute paths (``/x``, ``C:\\x``) or symbolic links are refused: nothing is
ever written to disk from the archive, but a name that tries to leave the archive says the file was
made to attack, so the whole file is refused. Reading an entry also counts the bytes really
inflated, since declared sizes can lie.

Entry names are resolved ignoring case (`project.qde` or `Project.qde`, `sources/` or `Sources/`),
as real tools write them (NOTES.md).
"""

from __future__ import annotations

import stat
import zipfile
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import ExchangeError

_CHUNK = 64 * 1024
#: Below this size an entry's compression ratio is not checked (a short text of spaces compresses
#: very well and is harmless).
_RATIO_FLOOR = 1024 * 1024


def _limit(name: str) -> int:
    return int(getattr(settings, name))


def _unsafe_name(name: str) -> bool:
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or (len(normalised) > 1 and normalised[1] == ":"):
        return True
    return any(part == ".." for part in normalised.split("/"))


class SafeArchive:
    """A checked zip: `find(name)` resolves an entry ignoring case, `read(info)` inflates it under
    the limits. Use as a context manager."""

    def __init__(self, file: IO[bytes], size: int) -> None:
        if size > _limit("BEC_EXCHANGE_MAX_ARCHIVE_BYTES"):
            raise ExchangeError(
                _("The file is too large (%(size)d MB; at most %(max)d MB).")
                % {
                    "size": size // (1024 * 1024),
                    "max": _limit("BEC_EXCHANGE_MAX_ARCHIVE_BYTES") // (1024 * 1024),
                }
            )
        try:
            self.zip = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
            raise ExchangeError(
                _("This file is not a readable REFI-QDA project (.qdpx is a zip archive).")
            ) from error
        infos = self.zip.infolist()
        if len(infos) > _limit("BEC_EXCHANGE_MAX_ENTRIES"):
            raise ExchangeError(
                _("The archive holds %(count)d entries; at most %(max)d are accepted.")
                % {"count": len(infos), "max": _limit("BEC_EXCHANGE_MAX_ENTRIES")}
            )
        max_total = _limit("BEC_EXCHANGE_MAX_UNCOMPRESSED_BYTES")
        max_ratio = _limit("BEC_EXCHANGE_MAX_RATIO")
        total = 0
        self.entries: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if _unsafe_name(info.filename):
                raise ExchangeError(
                    _(
                        "The archive holds an entry named « %(name)s », which points outside the archive: "
                        "the file is refused."
                    )
                    % {"name": info.filename[:200]}
                )
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise ExchangeError(
                    _("The archive holds a link (« %(name)s »): the file is refused.")
                    % {"name": info.filename[:200]}
                )
            if info.is_dir():
                continue
            total += info.file_size
            if info.file_size > max_total or total > max_total:
                raise ExchangeError(
                    _("The archive would unpack to more than %(max)d MB: the file is refused.")
                    % {"max": max_total // (1024 * 1024)}
                )
            if info.file_size > _RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1):
                raise ExchangeError(
                    _(
                        "The entry « %(name)s » is compressed more than %(ratio)d times (a zip bomb?): "
                        "the file is refused."
                    )
                    % {"name": info.filename[:200], "ratio": max_ratio}
                )
            self.entries[info.filename.replace("\\", "/").casefold()] = info

    def __enter__(self) -> SafeArchive:
        return self

    def __exit__(self, *exc) -> None:
        self.zip.close()

    def names(self) -> list[str]:
        return [info.filename for info in self.entries.values()]

    def find(self, name: str) -> zipfile.ZipInfo | None:
        """The entry called `name` (a path inside the archive), ignoring case."""
        return self.entries.get(name.replace("\\", "/").lstrip("/").casefold())

    def project_entry(self) -> zipfile.ZipInfo:
        """The project file: ``project.qde`` whatever its case, else the one ``.qde`` at the root."""
        found = self.find("project.qde")
        if found is not None:
            return found
        candidates = [info for key, info in self.entries.items() if key.endswith(".qde") and "/" not in key]
        if len(candidates) != 1:
            raise ExchangeError(_("The archive holds no project file (project.qde)."))
        return candidates[0]

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """The entry's bytes, refusing as soon as more come out than it declared or the limits allow."""
        allowed = min(info.file_size, _limit("BEC_EXCHANGE_MAX_UNCOMPRESSED_BYTES"))
        chunks, size = [], 0
        try:
            with self.zip.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > allowed:
                        raise ExchangeError(
                            _("The entry « %(name)s » is larger than it declares: the file is refused.")
                            % {"name": info.filename[:200]}
                        )
                    chunks.append(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as error:
            raise ExchangeError(
                _("The entry « %(name)s » cannot be read (%(error)s).")
                % {"name": info.filename[:200], "error": error}
            ) from error
        return b"".join(chunks)
