"""Writing outputs safely: all-or-nothing commits and reproducible zip containers.

Every output of a run (deck, tables, chart images, manifest) is first written
under a temporary name in the output folder; :class:`OutputSet` renames them
into place only when the whole run has succeeded. A failed or interrupted run
removes its temporary files and leaves the previous outputs byte for byte as
they were.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

from pipeline.errors import OutputError

ZIP_TIME = (2023, 1, 1, 0, 0, 0)


_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def zip_entry(name: str, data: bytes) -> tuple[zipfile.ZipInfo, bytes]:
    """The reproducible form of one zip member: fixed time and mode, images stored, no save date."""
    fixed = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    # images are compressed already: storing them saves the time of deflating them again
    stored = name.lower().endswith((".png", ".jpg", ".jpeg"))
    fixed.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    fixed.external_attr = 0o644 << 16
    if name == "docProps/core.xml":  # writers stamp the save time here
        data = _CORE_DATES.sub(rb"\g<1>2023-01-01T00:00:00Z\g<2>", data)
    return fixed, data


def normalize_zip(path: Path) -> None:
    """Rewrite a zip (pptx/xlsx) with fixed entry timestamps so identical content gives identical bytes."""
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    tmp = path.with_name(path.name + ".norm")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name, data in entries:
            dst.writestr(*zip_entry(name, data))
    tmp.replace(path)


def safe_name(name: str) -> str:
    """Refuse output names that would leave the output folder or hide files."""
    if not name or "/" in name or "\\" in name or name.startswith(".") or ".." in name:
        raise OutputError(f"output name {name!r} is not a plain file name; report.name in survey.yaml must not contain folders or start with a dot")
    return name


def _blocker(folder: Path) -> Path | None:
    """The first of ``folder`` and its parents that exists but is not a folder (so nothing can be written below it)."""
    return next((p for p in [folder, *folder.parents] if p.exists() and not p.is_dir()), None)


def ensure_writable(folder: Path, option: str = "--out DIR") -> Path:
    """Create ``folder`` if needed and check that files can be written there.

    ``option`` names the command-line option the user should change in the message.
    """
    folder = Path(folder)
    blocker = _blocker(folder)
    if blocker is not None:
        what = "is a file" if blocker == folder else f"cannot be created: {blocker} is a file"
        raise OutputError(f"{folder}: output folder {what}, not a folder; choose another with {option} or move the file away")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(
            f"{folder}: output folder cannot be written ({exc.strerror or exc}); choose another with {option} or fix its permissions"
        ) from None
    return folder


def check_output_file(path: Path, suffixes: tuple[str, ...], option: str = "--out FILE") -> Path:
    """Check, before any work, that the output file ``path`` can be written: a known type, in an existing, writable folder.

    Unlike an output folder, the folder of an output file is not created: a typo in it would
    otherwise make folders the user did not ask for.
    """
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise OutputError(f"{path}: unsupported file type; use one of {', '.join(suffixes)}")
    folder = path.parent
    if _blocker(folder) is None and not folder.exists():
        raise OutputError(f"{folder}: folder does not exist; create it first or choose another with {option}")
    if path.is_dir():
        raise OutputError(f"{path}: cannot be written (Is a directory); choose another path with {option}")
    ensure_writable(folder, option)
    return path


class OutputSet:
    """Temporary outputs of one run, committed together or discarded together.

    Used as a context manager, the outputs are committed when the block succeeds and
    discarded when it raises.
    """

    def __init__(self, folder: Path, option: str = "--out DIR"):
        self.folder = ensure_writable(folder, option)
        self.tag = f".tmp-{os.getpid()}"
        self.pending: list[tuple[Path, Path]] = []  # (temporary, final)

    def __enter__(self) -> "OutputSet":
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()

    def write(self, name: str, write: Callable[[Path], None]) -> Path:
        """Write the output file ``name`` with ``write(temporary path)``; an OS error (disk full, a folder
        in the way) becomes an OutputError naming the file."""
        final = self.folder / safe_name(name)
        if final.is_dir():
            raise OutputError(f"{final}: cannot be written (Is a directory); choose another path")
        tmp = self.file(name)
        try:
            write(tmp)
        except OSError as exc:
            raise OutputError(f"{final}: cannot be written ({exc.strerror or exc}); choose another path or fix the folder's permissions") from None
        return tmp

    def file(self, name: str) -> Path:
        """A temporary path for the output file ``name`` (inside the output folder)."""
        final = self.folder / safe_name(name)
        tmp = self.folder / f".{final.name}{self.tag}"
        self.pending.append((tmp, final))
        return tmp

    def directory(self, name: str) -> Path:
        final = self.folder / safe_name(name)
        tmp = self.folder / f".{final.name}{self.tag}"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        self.pending.append((tmp, final))
        return tmp

    def commit(self) -> list[Path]:
        """Move every temporary output into place; directories are swapped whole."""
        done = []
        try:
            for tmp, final in self.pending:
                if tmp.is_dir():
                    old = final.with_name(f".{final.name}.old{self.tag}")
                    if final.exists():
                        final.rename(old)
                    tmp.rename(final)
                    if old.exists():
                        shutil.rmtree(old)
                else:
                    os.replace(tmp, final)
                done.append(final)
        except OSError as exc:
            raise OutputError(f"{self.folder}: could not move outputs into place ({exc.strerror})") from None
        self.pending = []
        return done

    def discard(self) -> None:
        """Remove every temporary output (after a failure or an interrupt)."""
        for tmp, _ in self.pending:
            try:
                if tmp.is_dir():
                    shutil.rmtree(tmp, ignore_errors=True)
                elif tmp.exists():
                    tmp.unlink()
            except OSError:
                pass
        norm = list(self.folder.glob(f".*{self.tag}.norm"))
        for extra in norm:
            extra.unlink(missing_ok=True)
        self.pending = []
