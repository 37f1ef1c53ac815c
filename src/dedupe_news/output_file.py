"""Where results go: stdout, a device, or a regular file replaced atomically.

``-o PATH`` must never destroy what is at the path. So:

* ``-`` (or None) is stdout.
* A regular file, or a path that does not exist yet, is written to a temporary
  file in the target's own directory and renamed over it once complete: a failed
  run leaves the old file as it was. The new file keeps the mode the old one had
  (a new file gets the umask's mode, as ``open`` would give it), and its owner and
  group where the system allows (as root).
* Anything else that exists (a character or block device such as ``/dev/null``,
  a FIFO) is written through directly: it is never replaced.
* A symlink is followed: its target is written by the rules above, and the link
  itself stays.

Every filesystem error is an :class:`OutputFileError` whose message names the
path and the cause. :func:`check_output` runs the same checks before a long run,
so a missing or unwritable directory is reported before the work, not after.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import DedupeNewsError

__all__ = ["OutputFileError", "check_output", "is_stdout", "open_output"]


class OutputFileError(DedupeNewsError, OSError):
    """An output path cannot be written. The message names the path and the cause."""


def is_stdout(path: str | os.PathLike | None) -> bool:
    """True for None and ``-``: the output goes to stdout."""
    return path is None or str(path) == "-"


def check_output(path: str | os.PathLike | None) -> None:
    """Raise :class:`OutputFileError` now if ``path`` could not be written later.

    For a regular file or a new path, a probe file is created in the target's
    directory and removed again; for a device or FIFO, write permission is checked.
    """
    if is_stdout(path):
        return
    target, existing = _resolve(path)
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        if not os.access(target, os.W_OK):
            raise OutputFileError(f"{path}: cannot write: permission denied")
        return
    try:
        handle, probe = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as error:
        raise _error(path, error, f"cannot create a file in {target.parent}") from None
    os.close(handle)
    os.unlink(probe)


@contextlib.contextmanager
def open_output(path: str | os.PathLike | None) -> Iterator[IO[str]]:
    """A text stream (UTF-8) to write the results to, by the rules of this module.

    For a regular file or a new path, the target is replaced only when the
    ``with`` block ends without an exception; otherwise the temporary file is
    removed and the target is left as it was. An ``OSError`` inside the block
    (a full disk) becomes an :class:`OutputFileError` naming ``path``.
    """
    if is_stdout(path):
        try:
            yield sys.stdout
            sys.stdout.flush()
        except BrokenPipeError:  # the reader left (| head): not an error of ours
            raise
        except OSError as error:
            raise _error("stdout", error, "cannot write") from None
        return
    target, existing = _resolve(path)
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        try:
            with open(target, "w", encoding="utf-8", newline="") as stream:
                yield stream
        except OSError as error:
            raise _error(path, error, "cannot write") from None
        return
    mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o666 & ~_umask()
    try:
        handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as error:
        raise _error(path, error, f"cannot create a file in {target.parent}") from None
    try:
        try:
            with open(handle, "w", encoding="utf-8", newline="") as stream:
                os.fchmod(stream.fileno(), mode)
                if existing is not None:
                    _keep_owner(stream.fileno(), existing)
                yield stream
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(tmp, target)
        except OSError as error:
            raise _error(path, error, "cannot write") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _resolve(path: str | os.PathLike) -> tuple[Path, os.stat_result | None]:
    """The path to write (a symlink's final target) and its stat, or None if new."""
    target = Path(os.path.realpath(path))
    try:
        existing = target.stat()
    except FileNotFoundError:
        existing = None
        if not target.parent.is_dir():
            missing = Path(path).parent if not Path(path).is_symlink() else target.parent
            raise OutputFileError(
                f"{path}: the directory {missing} does not exist: create it, or write elsewhere"
            ) from None
    except OSError as error:
        raise _error(path, error, "cannot write") from None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise OutputFileError(f"{path}: is a directory: give a file name")
    return target, existing


def _keep_owner(handle: int, existing: os.stat_result) -> None:
    """Give the new file the old one's owner and group, where allowed (root may)."""
    mine = os.fstat(handle)
    if (mine.st_uid, mine.st_gid) != (existing.st_uid, existing.st_gid):
        with contextlib.suppress(OSError):
            os.fchown(handle, existing.st_uid, existing.st_gid)


def _error(path, error: OSError, action: str) -> OutputFileError:
    cause = error.strerror or str(error)
    return OutputFileError(f"{path}: {action}: {cause[:1].lower()}{cause[1:]}")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
