"""Hostile and faulty writes: an output lands completely or not at all, and never on
something that is not ours (a device, a FIFO, a folder, a planted symlink).

Each test is named for the failure class it guards against.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supplychain.cli import app
from supplychain.errors import SupplyChainError
from supplychain.io.output import Outputs, write_file

DATA = Path(__file__).parent / "data"
SCENARIO = str(DATA / "canada-stops-gears.yaml")


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.stdout + result.stderr
    return result


def said(result) -> str:
    """stderr with the terminal's wrapping undone."""
    return " ".join(result.stderr.split())


def leftovers(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp"))


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mknod of a device needs root")
def test_device_target_is_refused_and_stays_a_device(tmp_path):
    # a clone of /dev/null (character device 1,3) made in a temp folder
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    result = run("simulate", SCENARIO, "--csv", str(null))
    assert result.exit_code == 1
    assert "is a device; refusing to write onto it" in said(result)
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    assert leftovers(tmp_path) == []


def test_fifo_target_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    began = time.monotonic()
    result = run("simulate", SCENARIO, "--csv", str(fifo))
    assert result.exit_code == 1 and "is a FIFO" in said(result)
    assert time.monotonic() - began < 30
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_folder_target_is_refused(tmp_path):
    (tmp_path / "out.csv").mkdir()
    result = run("simulate", SCENARIO, "--csv", str(tmp_path / "out.csv"))
    assert result.exit_code == 1 and "is a folder" in said(result)


def test_symlink_planted_at_the_temp_name_is_not_followed(tmp_path):
    # the temporary name used to be fixed (.out.csv.tmp): a link planted there
    # redirected the write onto the victim
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious\n")
    (tmp_path / ".out.csv.tmp").symlink_to(victim)
    write_file(tmp_path / "out.csv", b"a,b\n1,2\n")
    assert victim.read_bytes() == b"precious\n"
    assert (tmp_path / "out.csv").read_bytes() == b"a,b\n1,2\n"


def test_symlink_to_a_regular_file_is_written_through(tmp_path):
    real = tmp_path / "real.csv"
    real.write_bytes(b"old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    write_file(link, b"new\n")
    assert link.is_symlink() and real.read_bytes() == b"new\n"


def test_concurrent_writers_each_leave_a_whole_file(tmp_path):
    # two runs writing one output: each writes its own temporary file, the last
    # rename wins, and the file is always one payload whole, never a mix
    target = tmp_path / "out.csv"
    payloads = [bytes([65 + k]) * 200_000 for k in range(2)]
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for _ in range(20):
                write_file(target, payloads[k])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert target.read_bytes() in payloads
    assert leftovers(tmp_path) == []


def test_outputs_of_one_run_are_written_as_a_unit(tmp_path):
    # simulate --csv --stock writes two files; the second cannot be written (its name
    # is a folder), so the first, which existed, must stay as it was
    first = tmp_path / "s.csv"
    first.write_bytes(b"before\n")
    (tmp_path / "s.stock.csv").mkdir()
    result = run("simulate", SCENARIO, "--csv", str(first), "--stock")
    assert result.exit_code == 1
    assert first.read_bytes() == b"before\n"
    assert leftovers(tmp_path) == []


def test_failed_write_inside_a_unit_touches_no_target(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"A0")
    b.write_bytes(b"B0")
    with pytest.raises(RuntimeError), Outputs() as out:
        out.add(a, b"A1")
        out.add(b, b"B1")
        raise RuntimeError("the run fails after both are staged")
    assert (a.read_bytes(), b.read_bytes()) == (b"A0", b"B0")
    assert leftovers(tmp_path) == []


def test_same_output_named_twice_is_refused(tmp_path):
    with pytest.raises(SupplyChainError, match="named twice"), Outputs() as out:
        out.add(tmp_path / "x.csv", b"1")
        out.add(tmp_path / "x.csv", b"2")


def test_sigterm_mid_write_cleans_up_and_exits_143(tmp_path):
    # a run stopped by SIGTERM while its outputs are staged: exit 143, the existing
    # output byte for byte as it was, no temporary file left
    target = tmp_path / "out.csv"
    target.write_bytes(b"before\n")
    ready = tmp_path / "ready"
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from supplychain.io.output import Outputs, exit_on_signals\n"
        "with exit_on_signals():\n"
        "    with Outputs() as out:\n"
        f"        out.add({str(target)!r}, b'after' * 100000)\n"
        f"        Path({str(ready)!r}).write_text('x')\n"
        "        time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert ready.exists(), "the child never staged its output"
    assert len(leftovers(tmp_path)) == 1  # staged, not yet renamed
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 143
    assert target.read_bytes() == b"before\n"
    assert leftovers(tmp_path) == []


def test_replaced_output_keeps_its_permissions(tmp_path):
    target = tmp_path / "out.csv"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    write_file(target, b"new")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640


def test_trials_file_keeps_its_mode_and_a_failed_open_leaves_no_temp(tmp_path):
    from supplychain.io.trials_out import TrialsWriter

    target = tmp_path / "trials.csv"
    target.write_text("old\n", encoding="utf-8")
    os.chmod(target, 0o644)
    with TrialsWriter(target, ["a"], ["int"]) as w:
        w.write([[1]])
    assert target.read_text(encoding="utf-8") == "a\n1\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
    assert leftovers(tmp_path) == []
