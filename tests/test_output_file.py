"""`-o` and `--pairs` never clobber what is at the path (issue 15, cases 1 and 3)."""

from __future__ import annotations

import errno
import json
import os
import stat
import threading

import pytest
from click.testing import CliRunner

from dedupe_news.cli import main
from tests.conftest import SEEDS


@pytest.fixture
def runner():
    return CliRunner()


def _device(path, major: int, minor: int):
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
    except PermissionError:
        pytest.skip("creating a device node needs root (CAP_MKNOD)")
    return path


def test_o_writes_through_a_device_node_and_keeps_it(runner, tmp_path):
    null = _device(tmp_path / "null", 1, 3)  # a private /dev/null
    before = null.lstat()
    result = runner.invoke(main, ["cluster", str(SEEDS), "-q", "-o", str(null)])
    assert result.exit_code == 0, result.output
    after = null.lstat()
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_o_writes_through_a_fifo(runner, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    result = runner.invoke(main, ["cluster", str(SEEDS), "-q", "-o", str(fifo)])
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO was replaced"
    reader.join(timeout=60)
    assert [json.loads(line)["id"] for line in received[0].splitlines()][-1] == (
        "004_68ed01b62af08bc0"
    )


def test_o_follows_a_symlink_and_keeps_the_link(runner, tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "out.jsonl"
    target.write_text("old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    result = runner.invoke(main, ["cluster", str(SEEDS), "-q", "-o", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert len(target.read_text().splitlines()) == 5
    dangling = tmp_path / "dangling.jsonl"
    dangling.symlink_to(tmp_path / "real" / "new.jsonl")
    assert runner.invoke(main, ["cluster", str(SEEDS), "-q", "-o", str(dangling)]).exit_code == 0
    assert dangling.is_symlink() and len(dangling.read_text().splitlines()) == 5
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["new.jsonl", "out.jsonl"]


def test_o_keeps_the_mode_of_a_file_and_gives_a_new_one_the_umask_mode(runner, tmp_path):
    existing = tmp_path / "shared.jsonl"
    existing.write_text("old\n")
    existing.chmod(0o644)
    assert runner.invoke(main, ["cluster", str(SEEDS), "-q", "-o", str(existing)]).exit_code == 0
    assert stat.S_IMODE(existing.stat().st_mode) == 0o644
    assert len(existing.read_text().splitlines()) == 5
    old = os.umask(0o027)
    try:
        new = tmp_path / "new.jsonl"
        assert runner.invoke(main, ["cluster", str(SEEDS), "-q", "-o", str(new)]).exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(new.stat().st_mode) == 0o640


def test_o_dash_is_stdout(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["cluster", str(SEEDS), "-q", "-o", "-"])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 5
    assert os.listdir(tmp_path) == []


def _no_run(monkeypatch):
    """Make any clustering run fail loudly: the checks must come before it."""
    from dedupe_news.pipeline import StoryClusterer

    def fit(self, articles):
        raise AssertionError("the run started before the output path was checked")

    monkeypatch.setattr(StoryClusterer, "fit", fit)


@pytest.mark.parametrize("option", ["-o", "--pairs"])
def test_missing_output_directory_is_reported_before_the_run(runner, tmp_path, monkeypatch, option):
    _no_run(monkeypatch)
    out = tmp_path / "nodir" / "out.jsonl"
    args = ["cluster", str(SEEDS), option, str(out)] + (
        ["-o", os.devnull] if option == "--pairs" else []
    )
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {out}: the directory {tmp_path / 'nodir'} does not exist: create it, "
        "or write elsewhere\n"
    )


def test_unwritable_output_directory_is_reported_before_the_run(runner, tmp_path, monkeypatch):
    _no_run(monkeypatch)
    if os.geteuid() == 0:  # root may write anywhere, but not create files in /sys
        if not os.path.isdir("/sys/kernel"):
            pytest.skip("needs /sys when run as root")
        directory = "/sys"
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        directory = str(locked)
    out = os.path.join(directory, "out.jsonl")
    result = runner.invoke(main, ["cluster", str(SEEDS), "-o", out])
    assert result.exit_code == 1
    prefix = f"Error: {out}: cannot create a file in {directory}: "
    assert result.stderr.startswith(prefix)
    cause = result.stderr[len(prefix) :]
    assert cause in ("permission denied\n", "read-only file system\n")


def test_output_that_is_a_directory_is_an_error(runner, tmp_path, monkeypatch):
    _no_run(monkeypatch)
    result = runner.invoke(main, ["cluster", str(SEEDS), "-o", str(tmp_path)])
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {tmp_path}: is a directory: give a file name\n",
    )


class _FullDisk:
    """A text stream whose writes fail as on a full disk."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self._stream, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._stream.close()


def test_full_disk_on_o_is_one_line_and_keeps_the_old_file(runner, tmp_path, monkeypatch):
    from dedupe_news import output_file

    out = tmp_path / "out.jsonl"
    out.write_text("precious\n")
    monkeypatch.setattr(
        output_file, "open", lambda *a, **k: _FullDisk(open(*a, **k)), raising=False
    )
    result = runner.invoke(main, ["cluster", str(SEEDS), "-o", str(out)])
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {out}: cannot write: no space left on device\n",
    )
    assert out.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]  # no temporary left


def test_full_device_is_one_line(runner, tmp_path):
    full = _device(tmp_path / "full", 1, 7)  # a private /dev/full: every write gets ENOSPC
    result = runner.invoke(main, ["cluster", str(SEEDS), "-q", "-o", str(full)])
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {full}: cannot write: no space left on device\n",
    )
    assert stat.S_ISCHR(full.lstat().st_mode)


def test_open_output_replaces_only_on_success(tmp_path):
    from dedupe_news.output_file import OutputFileError, check_output, open_output

    out = tmp_path / "out.txt"
    out.write_text("old")
    with pytest.raises(RuntimeError), open_output(out) as stream:
        stream.write("half")
        raise RuntimeError("the run failed")
    assert out.read_text() == "old"
    with open_output(out) as stream:
        stream.write("new")
    assert out.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    with pytest.raises(OutputFileError, match="does not exist"):
        check_output(tmp_path / "no" / "out.txt")
    check_output("-")
    check_output(out)


def test_full_disk_on_stdout_is_one_line(tmp_path):
    import subprocess
    import sys

    from tests.conftest import REPO

    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "dedupe_news", "cluster", str(SEEDS), "-q"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        )
    assert (done.returncode, done.stderr) == (
        1,
        "Error: stdout: cannot write: no space left on device\n",
    )


def test_o_keeps_the_owner_of_a_file_where_allowed(runner, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("only root may give a file to another user")
    out = tmp_path / "theirs.jsonl"
    out.write_text("old\n")
    os.chown(out, 4321, 4322)
    assert runner.invoke(main, ["cluster", str(SEEDS), "-q", "-o", str(out)]).exit_code == 0
    assert (out.stat().st_uid, out.stat().st_gid) == (4321, 4322)
    assert len(out.read_text().splitlines()) == 5
