"""Writing outputs safely: all-or-nothing commits and reproducible zip containers.

Every output of a run (deck, tables, chart images, manifest) is first written
under a temporary name in the output folder; :class:`OutputSet` moves them
into place only when the whole run has succeeded, and all together: if one
replacement fails, the ones already made are undone, so the deck, tables,
charts and manifest always describe the same run.

Temporary names are unpredictable and created exclusively (``tempfile``: a
link planted in the output folder is never written through), and they all
end in ``.sdtmp`` so that the next run can remove what a killed run left
behind. One run at a time writes to a folder: :func:`folder_lock` holds an
advisory lock on the folder itself (no lock file is left behind).
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import secrets
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import OutputError

ZIP_TIME = (2023, 1, 1, 0, 0, 0)
TMP_SUFFIX = ".sdtmp"  # every temporary name of ours ends so: stale ones are recognised and removed

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
    tmp = temporary_file(path.parent, path.name)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as dst:
            for name, data in entries:
                dst.writestr(*zip_entry(name, data))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def safe_name(name: str) -> str:
    """Refuse output names that would leave the output folder or hide files."""
    if not name or "/" in name or "\\" in name or name.startswith(".") or ".." in name or "\x00" in name:
        raise OutputError(
            f"output name {name!r} is not a plain file name; report.name in survey.yaml must not contain folders or start with a dot"
        )
    if len(name.encode("utf-8")) > 200:
        raise OutputError(
            f"output name {name[:40]!r}… is {len(name.encode('utf-8'))} bytes long; shorten report.name in survey.yaml (at most 200 bytes)"
        )
    return name


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def temporary_file(folder: Path, name: str) -> Path:
    """A new, empty file with an unpredictable name in ``folder`` (created exclusively, never through a link).

    Its permissions are those an ordinary new file gets (``tempfile`` makes it private).
    """
    fd, path = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=TMP_SUFFIX)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
    finally:
        os.close(fd)
    return Path(path)


def temporary_directory(folder: Path, name: str) -> Path:
    """A new, empty folder with an unpredictable name in ``folder``."""
    path = Path(tempfile.mkdtemp(dir=folder, prefix=f".{name}.", suffix=TMP_SUFFIX))
    path.chmod(0o777 & ~_umask())
    return path


def remove_entry(path: Path) -> None:
    """Remove a file, a link (not what it points to) or a whole folder; never follows a link."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        shutil.rmtree(path, ignore_errors=True)  # rmtree does not follow links inside
    else:
        path.unlink(missing_ok=True)


def remove_stale(folder: Path) -> list[Path]:
    """Remove the temporary files a killed run left in ``folder`` (call with the folder's lock held)."""
    removed: list[Path] = []
    try:
        candidates = list(Path(folder).glob(f".*{TMP_SUFFIX}"))
    except OSError:
        return removed
    for path in candidates:
        remove_entry(path)
        removed.append(path)
    return removed


def os_error_message(exc: OSError, what: Path, option: str = "--out DIR") -> str:
    """One line naming ``what`` and the fix for a fault of the machine while writing."""
    reason = exc.strerror or str(exc)
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        fix = "free disk space (or choose another folder with {option}) and run again"
    elif code == errno.EROFS:
        fix = "the disk is read-only; choose another folder with {option}"
    elif code in (errno.EACCES, errno.EPERM, errno.EBUSY, errno.ETXTBSY):
        fix = "close the file if it is open in another program (or on a share), check its permissions, and run again"
    elif code == errno.ENAMETOOLONG:
        fix = "shorten report.name in survey.yaml or the output folder's path"
    else:
        fix = "check the folder and run again"
    return f"{what}: cannot be written ({reason}); {fix.format(option=option)}"


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
        with tempfile.TemporaryFile(dir=folder, prefix=".write-test."):
            pass
    except OSError as exc:
        raise OutputError(
            f"{folder}: output folder cannot be written ({exc.strerror or exc}); choose another with {option} or fix its permissions"
        ) from None
    return folder


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the output folder for one run; a second run on the same folder is refused with a clear line.

    The lock is an advisory ``flock`` on the folder itself, so nothing is written and a
    killed run's lock goes with its process. Stale temporary files are removed once held.
    """
    folder = Path(folder)
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise OutputError(f"{folder}: output folder cannot be opened ({exc.strerror or exc}); choose another with --out DIR") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                f"{folder}: another survey-deck run is writing to this folder; wait for it to finish and run again "
                "(or choose another folder with --out DIR)"
            ) from None
        remove_stale(folder)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


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

    def __init__(self, folder: Path, option: str = "--out DIR") -> None:
        self.folder = ensure_writable(folder, option)
        self.option = option
        self.pending: list[tuple[Path, Path]] = []  # (temporary, final)

    def __enter__(self) -> OutputSet:
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
            raise OutputError(f"{final}: cannot be written (Is a directory); choose another path with {self.option}")
        tmp = self.file(name)
        try:
            write(tmp)
        except OSError as exc:
            raise OutputError(os_error_message(exc, final, self.option)) from None
        return tmp

    def file(self, name: str) -> Path:
        """A temporary path for the output file ``name`` (inside the output folder)."""
        final = self.folder / safe_name(name)
        tmp = temporary_file(self.folder, final.name)
        self.pending.append((tmp, final))
        return tmp

    def directory(self, name: str) -> Path:
        """A temporary folder for the output folder ``name``."""
        final = self.folder / safe_name(name)
        tmp = temporary_directory(self.folder, final.name)
        self.pending.append((tmp, final))
        return tmp

    def commit(self) -> list[Path]:
        """Move every temporary output into place, all or none.

        Each previous output is first moved aside; if any step fails, the new outputs
        already placed are removed and the previous ones put back, then the error is
        raised as one line. The previous outputs are deleted only after every new one is in place.
        """
        placed: list[tuple[Path, Path | None]] = []  # (final, backup of the previous output or None)
        try:
            for tmp, final in self.pending:
                backup = None
                if os.path.lexists(final):
                    backup = self.folder / f".{final.name}.old.{secrets.token_hex(6)}{TMP_SUFFIX}"
                    os.rename(final, backup)
                try:
                    os.rename(tmp, final)
                except OSError:
                    if backup is not None:
                        os.rename(backup, final)
                    raise
                placed.append((final, backup))
        except OSError as exc:
            failed = final  # the output being replaced when it failed
            self._undo(placed)
            raise OutputError(os_error_message(exc, failed, self.option) + "; the previous outputs were left as they were") from None
        for _, backup in placed:
            if backup is not None:
                remove_entry(backup)
        done = [final for final, _ in placed]
        self.pending = []
        return done

    def _undo(self, placed: list[tuple[Path, Path | None]]) -> None:
        """Put the previous outputs back after a failed commit (best effort, newest first)."""
        for final, backup in reversed(placed):
            try:
                remove_entry(final)
                if backup is not None:
                    os.rename(backup, final)
            except OSError:
                pass

    def discard(self) -> None:
        """Remove every temporary output (after a failure or an interrupt)."""
        for tmp, _ in self.pending:
            try:
                remove_entry(tmp)
            except OSError:
                pass
        self.pending = []
