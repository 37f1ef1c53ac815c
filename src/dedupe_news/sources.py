"""Where input comes from: paths, directories, stdin and file objects, and how to open them.

Compression (gzip, bz2, xz) is recognised by its magic bytes, whatever the name, and the
format by the name without the compression suffix (``a.jsonl.gz`` is JSONL), by the
Parquet magic ``PAR1``, or by ``input_format``. Every failure to open or list something
is an :class:`~dedupe_news.errors.InputError` naming the path and the cause.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import os
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .errors import EmptyCorpusError, InputError

__all__ = [
    "COMPRESSIONS",
    "FORMATS",
    "Source",
    "cause",
    "format_from_name",
    "input_sources",
    "open_binary",
]

FORMATS = ("jsonl", "csv", "txt", "parquet")
COMPRESSIONS = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".xz": "xz"}
_SUFFIX_FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "txt",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz"}
_OPENERS = {
    "gzip": lambda raw: gzip.GzipFile(fileobj=raw),
    "bz2": bz2.BZ2File,
    "xz": lzma.LZMAFile,
}
PARQUET_MAGIC = b"PAR1"
HEAD_BYTES = 8192


@dataclass(frozen=True)
class Source:
    """One input to read: a file path, or an open stream (stdin, a file object)."""

    name: str  # for messages: the path, "<stdin>" or the stream's name
    path: Path | None = None
    stream: IO[Any] | None = None
    text_id: str | None = None  # the article id of a .txt file
    in_directory: bool = False  # found by listing a directory

    @property
    def is_tsv(self) -> bool:
        return self.name.lower().removesuffix(_compression_suffix(self.name)).endswith(".tsv")


def format_from_name(name: str) -> str | None:
    """``jsonl``, ``csv``, ``txt`` or ``parquet`` from a file name, compression suffix ignored."""
    stem = name.lower().removesuffix(_compression_suffix(name))
    return _SUFFIX_FORMATS.get(os.path.splitext(stem)[1])


def input_sources(inputs: Any) -> Iterator[Source]:
    """The :class:`Source` of each input: a path, ``-``, a file object, or a list of them.

    Directories are read recursively, in sorted order; names starting with a dot are
    skipped; any other file of an unknown format is an error, never silently passed over.
    """
    items = [inputs] if isinstance(inputs, (str, Path)) or hasattr(inputs, "read") else inputs
    for item in items:
        if hasattr(item, "read"):
            name = getattr(item, "name", None)
            yield Source(name if isinstance(name, str) else "<stream>", stream=item)
        elif str(item) == "-":
            stdin = sys.stdin
            yield Source("<stdin>", stream=getattr(stdin, "buffer", stdin), text_id="<stdin>")
        elif not str(item):
            raise InputError("an empty path: name a file, a directory, or - for stdin")
        else:
            yield from _path_sources(Path(item), str(item))


def cause(exc: BaseException) -> str:
    """What went wrong, in words: an OSError's strerror (``Permission denied``), else the text."""
    return str(getattr(exc, "strerror", None) or exc)


def _path_sources(path: Path, name: str) -> Iterator[Source]:
    try:
        is_dir = path.is_dir()
        exists = is_dir or path.exists()
    except OSError as exc:
        raise InputError(f"cannot read it ({cause(exc)})", path=name) from None
    if not exists:
        raise InputError("no such file or directory: check the path", path=name)
    if not is_dir:
        yield Source(name, path=path, text_id=_text_id(path.name))
        return
    found = False
    for file, relative in _walk(path, name, set()):
        found = True
        text_id = _text_id(relative)
        yield Source(str(file), path=file, text_id=text_id, in_directory=True)
    if not found:
        raise EmptyCorpusError(
            "the directory has no input files: put .jsonl, .csv, .parquet or .txt files "
            "(one article per .txt file) in it",
            path=name,
        )


def _walk(directory: Path, name: str, seen: set[tuple[int, int]]) -> Iterator[tuple[Path, str]]:
    """Files under ``directory`` (sorted, recursive, dot names skipped) and their relative
    paths; symlinked folders are followed once each."""
    try:
        stat = directory.stat()
        if (stat.st_dev, stat.st_ino) in seen:
            return
        seen.add((stat.st_dev, stat.st_ino))
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        raise InputError(
            f"cannot list the directory ({cause(exc)}): check its permissions", path=name
        ) from None
    for entry in entries:
        if entry.name.startswith("."):
            continue
        child = Path(entry.path)
        try:
            is_dir = entry.is_dir()
        except OSError as exc:
            raise InputError(f"cannot read it ({cause(exc)})", path=str(child)) from None
        if is_dir:
            for file, relative in _walk(child, str(child), seen):
                yield file, f"{entry.name}/{relative}"
        else:
            yield child, entry.name


def _text_id(relative: str) -> str:
    """The article id of a .txt file: its path in the directory, without the suffixes."""
    without = relative[: len(relative) - len(_compression_suffix(relative))]
    return os.path.splitext(without)[0] or without


def _compression_suffix(name: str) -> str:
    suffix = os.path.splitext(name)[1]
    return suffix if suffix.lower() in COMPRESSIONS else ""


@contextlib.contextmanager
def open_binary(source: Source) -> Iterator[tuple[IO[Any], str | None, bytes]]:
    """The source as a decompressed stream, its compression, and its first bytes.

    A text stream (a file object opened in text mode, or a replaced ``sys.stdin``)
    comes as it is, with no compression and empty first bytes. What this opens, it
    closes; a stream it was given stays open.
    """
    with contextlib.ExitStack() as stack:
        if source.stream is not None:
            if isinstance(source.stream.read(0), str):
                yield source.stream, None, b""
                return
            buffered = _peekable(source.stream)
        else:
            assert source.path is not None
            try:
                buffered = stack.enter_context(source.path.open("rb"))
            except OSError as exc:
                raise InputError(
                    f"cannot read the file ({cause(exc)}): check its permissions",
                    path=source.name,
                ) from None
        head = read_guarded(lambda: buffered.peek(HEAD_BYTES)[:HEAD_BYTES], source.name, None)
        kind = next((kind for magic, kind in _MAGIC.items() if head.startswith(magic)), None)
        if kind is None:
            yield buffered, None, head
            return
        inner = io.BufferedReader(_OPENERS[kind](buffered))  # type: ignore[arg-type]
        head = read_guarded(lambda: inner.peek(HEAD_BYTES)[:HEAD_BYTES], source.name, kind)
        yield inner, kind, head


def read_guarded(read: Any, name: str, compression: str | None) -> Any:
    """``read()``, with a read error or corrupt compressed data as an InputError."""
    try:
        return read()
    except (EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
        if not compression:
            raise InputError(f"cannot read it ({cause(exc)})", path=name) from None
        raise InputError(
            f"the {compression} data is corrupt or truncated ({exc}): check the file, or "
            "decompress it to find the damage",
            path=name,
        ) from None


def _peekable(stream: IO[bytes]) -> io.BufferedReader:
    if isinstance(stream, io.BufferedReader):
        return stream
    return io.BufferedReader(_RawAdapter(stream))


class _RawAdapter(io.RawIOBase):
    """A raw stream over any object with ``read(n)``, so that BufferedReader can peek it."""

    def __init__(self, stream: IO[bytes]):
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
