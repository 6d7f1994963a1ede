"""Finding the wave files in a data folder (no pandas: the up-to-date check of a rerun needs only this)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from pipeline.errors import DataError

SUFFIXES = (".csv", ".parquet", ".sav", ".xlsx")
_YEAR = re.compile(r"^(19|20)\d\d$")


def discover_waves(waves_dir: Path) -> dict[int, Path]:
    """Return ``{year: path}`` for the wave files in ``waves_dir``.

    Files of other types whose stem is not a year are ignored (a README may sit there),
    and so are hidden files and the lock files office programs write beside an open file
    (``~$2022.xlsx``). A file of a wave type whose name is not a year (``2022 (1).csv``, a
    second download), two files for the same year, or a year file with an unknown
    extension are errors: which file is the wave would otherwise be a guess.
    """
    waves_dir = Path(waves_dir)
    if not waves_dir.is_dir():
        raise DataError(f"{waves_dir}: data folder not found; put one file per wave (e.g. 2022.csv) there or pass --data DIR")
    found: dict[int, Path] = {}
    for path in sorted(waves_dir.iterdir()):
        if path.name.startswith((".", "~$")):
            continue
        if not _YEAR.match(path.stem):
            if path.suffix.lower() in SUFFIXES and path.is_file():
                raise DataError(
                    f"{path}: not a wave file name: a wave file is named by its year alone (e.g. 2022{path.suffix.lower()}); "
                    "rename it, or move it out of the data folder"
                )
            continue
        if path.suffix.lower() not in SUFFIXES:
            raise DataError(
                f"{path}: unknown file type {path.suffix!r}; a wave file must be one of {', '.join(SUFFIXES)}"
            )
        year = int(path.stem)
        if year in found:
            raise DataError(f"{waves_dir}: two files for wave {year} ({found[year].name}, {path.name}); keep one")
        found[year] = path
    if not found:
        raise DataError(f"{waves_dir}: no wave files found; expected files named by year such as 2022.csv")
    return found


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
