"""Store reliability (issue 9): full and dead disks, read-only folders, limits, bad input, a
deleted store, migrations under live writers, killed runs and id prefixes.

Everything runs on real SQLite files (and the real PostgreSQL server where a test is
parametrised over both backends), real mounts (tmpfs, read-only bind) and real processes.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import (
    CorruptStoreError,
    InvalidFilterError,
    InvalidParameterError,
    RunNotFoundError,
    StoreUnavailableError,
)
from mlops_jupyter.store import RunStore, limits, schema

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> RunStore:
    url = (
        str(tmp_path / "s" / "runs.db")
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    opened = RunStore(url, blob_root=str(tmp_path / "blobs"))
    yield opened
    opened.dispose()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlops_jupyter.cli", *args],
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"this machine refuses `mount {' '.join(args)}`: {done.stderr.strip()}")


# -- D13 / D20: a full disk ------------------------------------------------------------------


def test_a_full_disk_is_named_as_such_and_reading_still_works(tmp_path: Path) -> None:
    """The store on a 4 MB tmpfs that a filler file fills up completely."""
    disk = tmp_path / "small"
    disk.mkdir()
    _mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk))
    store = None
    try:
        store = RunStore(disk / "s" / "runs.db", blob_root=str(disk / "blobs"))
        run_id = store.create_run(name="on-a-small-disk")
        store.log_metrics([(run_id, "m", i, float(i), time.time()) for i in range(100)])
        with open(disk / "filler", "wb") as fh:
            try:
                while True:
                    fh.write(b"x" * 65536)
                    fh.flush()
            except OSError:
                pass
        with pytest.raises(StoreUnavailableError) as caught:
            store.log_metrics([(run_id, "m", i, float(i), time.time()) for i in range(100, 50_100)])
        message = str(caught.value)
        assert "disk is full" in message and "free space" in message
        assert "database server" not in message
        listed = _cli("--store", str(disk / "s" / "runs.db"), "runs", "ls")
        assert listed.returncode == 0, listed.stderr
        assert "on-a-small-disk" in listed.stdout
        (disk / "filler").unlink()
        store.log_metrics([(run_id, "m", i, float(i), time.time()) for i in range(100, 1100)])
        assert len(store.metric_history(run_id, "m")) == 1100  # nothing recorded was lost
    finally:
        if store is not None:
            store.dispose()
        subprocess.run(["umount", "-l", str(disk)], check=False)


# -- D13: a dead disk, input errors, no "corrupt" without quick_check ------------------------


def test_a_disk_io_error_is_not_called_a_server_problem_nor_corruption() -> None:
    """/dev/null as the store: SQLite reports 'disk I/O error' on it."""
    with pytest.raises(StoreUnavailableError) as caught:
        RunStore("/dev/null").create_run()
    message = str(caught.value)
    assert "disk I/O error" in message and "disk or filesystem" in message
    assert "database server" not in message and "move this one away" not in message


def test_a_filesystem_shut_down_mid_run_is_a_disk_error_not_a_corrupt_store(tmp_path: Path) -> None:
    """ext4 on a loop device, shut down with EXT4_IOC_SHUTDOWN after a sync (the probe's F16):
    the store is healthy, the disk is gone; no message may call the store corrupt."""
    import fcntl
    import struct

    image, mnt = tmp_path / "fs.img", tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["truncate", "-s", "20M", str(image)], check=True)
    if subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=False).returncode:
        pytest.skip("mkfs.ext4 is not available")
    attach = subprocess.run(
        ["losetup", "-f", "--show", str(image)], capture_output=True, text=True, check=False
    )
    if attach.returncode:
        pytest.skip(f"no loop device: {attach.stderr.strip()}")
    device = attach.stdout.strip()
    try:
        _mount(device, str(mnt))
        store = RunStore(mnt / "s" / "runs.db", blob_root=str(mnt / "blobs"))
        run_id = store.create_run(name="r")
        store.log_metrics([(run_id, "m", i, float(i), time.time()) for i in range(2000)])
        fd = os.open(mnt, os.O_RDONLY)
        try:
            fcntl.ioctl(fd, 0x8004587D, struct.pack("I", 0))  # EXT4_IOC_SHUTDOWN, flush first
        finally:
            os.close(fd)
        calls = [
            lambda: store.log_metrics([(run_id, "m", 5000, 1.0, time.time())]),
            lambda: store.end_run(run_id),
            lambda: store.get_run(run_id),
            lambda: RunStore(mnt / "s" / "runs.db"),
        ]
        for call in calls:
            with pytest.raises(StoreUnavailableError) as caught:
                call()
            assert not isinstance(caught.value, CorruptStoreError)
            assert "disk or filesystem" in str(caught.value)
            assert "move this one away" not in str(caught.value)
        store.dispose()
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)
        subprocess.run(["losetup", "-d", device], check=False)


def test_a_dead_filesystems_oserror_becomes_a_store_error() -> None:
    """A file that exists but cannot be read (a write-only sysfs attribute, which even root
    cannot read) stands in for a store on a filesystem that went away (EIO)."""
    with pytest.raises(StoreUnavailableError, match=r"cannot read it .Permission denied"):
        RunStore("/sys/bus/pci/rescan")


def test_input_the_database_refuses_is_an_input_error_on_both_backends(store: RunStore) -> None:
    run_id = store.create_run(name="r")
    for rows in (
        [(run_id, "m", 2**63, 1.0, time.time())],  # bigint out of range
        [(run_id, "k" * 300, 0, 1.0, time.time())],
    ):  # over VARCHAR(256)
        if store.dialect == "sqlite" and len(rows[0][1]) > 256:
            continue  # SQLite stores long text; the tracking layer checks metric keys
        with pytest.raises(ValueError) as caught:
            store.log_metrics(rows)
        assert not isinstance(caught.value, CorruptStoreError)
        assert "the store is fine" in str(caught.value)
    store.log_metrics([(run_id, "m", 1, 1.0, time.time())])  # and the store goes on
    assert store.get_run(run_id).metrics == {"m": 1.0}


def test_a_damaged_store_is_still_called_corrupt_after_quick_check(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = RunStore(path)
    for i in range(300):
        store.create_run(name=f"r{i}", params={"p": "x" * 500})
    store.dispose()
    with open(path, "r+b") as fh:  # scribble over the middle of the b-tree pages
        fh.seek(path.stat().st_size // 2)
        fh.write(os.urandom(8192))
    with pytest.raises(CorruptStoreError, match="quick_check"):
        RunStore(path).runs_frame()


# -- limits: the same on both backends (D10) --------------------------------------------------


def test_keys_and_values_have_the_same_limits_on_both_backends(store: RunStore) -> None:
    run_id = store.create_run(name="limits")
    store.log_params(run_id, {"k" * limits.KEY_MAX: 1, "p": "v" * limits.PARAM_VALUE_MAX})
    store.set_tags(run_id, {"t": "v" * limits.TAG_VALUE_MAX})
    refused = [
        lambda: store.log_params(run_id, {"k" * (limits.KEY_MAX + 1): 1}),
        lambda: store.log_params(run_id, {"p": "v" * (limits.PARAM_VALUE_MAX + 1)}),
        lambda: store.log_params(run_id, {"p": {"nested": "v" * limits.PARAM_VALUE_MAX}}),
        lambda: store.log_params(run_id, {"a\x00b": 1}),
        lambda: store.log_params(run_id, {"p": "a\x00b"}),
        lambda: store.set_tags(run_id, {"t": "v" * (limits.TAG_VALUE_MAX + 1)}),
        lambda: store.set_tags(run_id, {"k" * 300: "v"}),
        lambda: store.create_run(name="n" * 600),
        lambda: store.create_run(experiment="e" * 300),
    ]
    for call in refused:
        with pytest.raises(InvalidParameterError, match=r"the limit is|NUL"):
            call()
    record = store.get_run(run_id)
    assert record.params["p"] == "v" * limits.PARAM_VALUE_MAX
    assert record.tags["t"] == "v" * limits.TAG_VALUE_MAX
    assert store.count_runs() == 1  # the refused create_run calls wrote nothing


def test_a_run_is_started_without_its_unstorable_captured_values(store: RunStore) -> None:
    """Params captured from a cell or given to `run -p` must not stop the run from being
    recorded: the values over the limits are left out with one warning naming them."""
    with pytest.warns(RuntimeWarning, match="2 of the run's params not recorded.*'big'"):
        run_id = store.create_run(
            name="r", params={"big": "v" * 10_000, "ok": 1, "k" * 300: 2}, tags={"t": "x"}
        )
    record = store.get_run(run_id)
    assert record.params == {"ok": 1} and record.tags == {"t": "x"}


def test_a_huge_int_param_is_refused_by_name(store: RunStore) -> None:
    run_id = store.create_run(name="h")
    with pytest.raises(InvalidParameterError, match=r"'h'.*too large to store as a number"):
        store.log_params(run_id, {"h": 10**400})
    with pytest.raises(InvalidParameterError, match="'h'"):
        store.log_params(run_id, {"h": 10**5000})  # beyond Python's int-to-str limit too
    store.log_params(run_id, {"h": str(10**400)})
    assert store.get_run(run_id).params["h"] == str(10**400)


# -- D14: filters, limits, store URLs, schema rows ---------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "not " * 3000 + "True",
        "(metrics.acc > 0 or " * 500 + "True" + ")" * 500,
        " and ".join(f"metrics.acc > {i}" for i in range(2000)),
        "metrics.acc > 99999999999999999999",
        "params.n in (1, 2, 18446744073709551616)",
    ],
)
def test_huge_or_deep_filters_give_one_message(store: RunStore, expression: str) -> None:
    store.create_run(name="r", params={"n": 1})
    with pytest.raises(InvalidFilterError):
        store.runs_frame(filter=expression)
    assert len(store.runs_frame(filter="params.n in (1, 2)")) == 1


def test_bad_limits_are_refused_in_the_cli_and_the_api(store: RunStore) -> None:
    store.create_run(name="r")
    for limit in (-5, 2**70, 1.5):
        with pytest.raises(ValueError, match="limit"):
            store.runs_frame(limit=limit)
        with pytest.raises(ValueError, match="limit"):
            store.search_runs(limit=limit)
    url = store.url
    for text in ("99999999999999999999", "-5"):
        done = _cli("--store", url, "runs", "ls", "--limit", text)
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert "--limit" in done.stderr and "out of range" in done.stderr


@pytest.mark.parametrize("given", ["", "folder"])
def test_an_empty_store_path_or_a_folder_gives_one_message(tmp_path: Path, given: str) -> None:
    arg = "" if not given else str(tmp_path)
    done = _cli("--store", arg, "runs", "ls")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert ("the store path is empty" if not given else "it is a folder") in done.stderr


@pytest.mark.parametrize(
    "damage", ["UPDATE mlops_schema_info SET value = 'abc'", "DELETE FROM mlops_schema_info"]
)
def test_a_damaged_schema_row_is_a_corrupt_store(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "runs.db"
    RunStore(path).dispose()
    with sqlite3.connect(path) as conn:
        conn.execute(damage)
    with pytest.raises(CorruptStoreError, match="schema version row"):
        RunStore(path)
    done = _cli("--store", str(path), "runs", "ls")
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_a_store_file_emptied_to_0_bytes_is_not_silently_a_new_store(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = RunStore(path)
    store.create_run(name="r")
    store.dispose()
    path.write_bytes(b"")
    os.utime(path, (time.time() - 60, time.time() - 60))
    with pytest.warns(RuntimeWarning, match="is empty .0 bytes.*restore it from a backup"):
        RunStore(path)


def test_a_100000_character_run_id_is_just_not_found(store: RunStore) -> None:
    store.create_run(name="r")  # SQLite evaluates (and refuses) the LIKE only against rows
    with pytest.raises(RunNotFoundError, match="no run with id"):
        store.get_run("a" * 100_000)


# -- D23: id prefixes -------------------------------------------------------------------------


def test_prefix_messages_give_the_true_count_and_the_minimum(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = iter([uuid.UUID("abcd" + c * 28) for c in "0123"])
    monkeypatch.setattr("mlops_jupyter.store.run_lifecycle.uuid.uuid4", lambda: next(ids))
    store.create_run()
    store.create_run()
    with pytest.raises(RunNotFoundError, match=r"\(2 runs start with it\)"):
        store.get_run("abcd")
    store.create_run()
    store.create_run()
    with pytest.raises(RunNotFoundError, match=r"\(3 or more runs start with it\)"):
        store.get_run("abcd")
    with pytest.raises(RunNotFoundError, match="give at least 4 characters"):
        store.get_run("abc")


# -- D20: reading needs no write access and no write lock ---------------------------------------


def test_a_store_on_a_read_only_mount_can_be_read(tmp_path: Path) -> None:
    src, ro = tmp_path / "src", tmp_path / "ro"
    ro.mkdir()
    writer = RunStore(src / "runs.db", blob_root=str(src / "blobs"))
    run_id = writer.create_run(name="kept")
    writer.log_params(run_id, {"a": 1})
    writer.end_run(run_id)
    _mount("--bind", "-o", "ro", str(src), str(ro))
    try:
        for holder_open in (True, False):  # -wal/-shm present (a writer holds it), then absent
            if not holder_open:
                writer.dispose()
            done = _cli("--store", str(ro / "runs.db"), "runs", "ls")
            assert done.returncode == 0, done.stderr
            assert "kept" in done.stdout
        reader = RunStore(ro / "runs.db", blob_root=str(ro / "blobs"))
        assert reader.get_run(run_id).params == {"a": 1}
        with pytest.raises(StoreUnavailableError, match="opened read-only"):
            reader.log_params(run_id, {"b": 2})
        reader.dispose()
    finally:
        writer.dispose()
        subprocess.run(["umount", "-l", str(ro)], check=False)


def test_opening_and_listing_does_not_wait_for_the_write_lock(store_url: str) -> None:
    """Another connection holds SQLite's write lock (what a busy writer does between flushes,
    here for 3 s); opening the store and listing its runs must not wait for it."""
    RunStore(store_url).create_run(name="r")
    holder = sqlite3.connect(store_url, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(3.0, holder.rollback)
    release.start()
    try:
        started = time.monotonic()
        store = RunStore(store_url)
        assert len(store.runs_frame()) == 1
        elapsed = time.monotonic() - started
    finally:
        release.join()
        holder.close()
    assert elapsed < 1.5, f"open + list waited {elapsed:.2f} s behind a writer"


def test_opening_with_a_dead_run_to_mark_does_not_wait_for_the_write_lock(store_url: str) -> None:
    """A run whose process died must be marked killed, but an open that finds it while a
    writer holds the lock must not wait: the marking finishes once the lock is free."""
    store = RunStore(store_url)
    run_id = store.create_run(name="orphan")
    store.dispose()
    with sqlite3.connect(store_url) as conn:  # owned by a pid that is gone
        conn.execute("UPDATE runs SET pid = 2147483646, pid_started = NULL")
    holder = sqlite3.connect(store_url, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(2.0, holder.rollback)
    release.start()
    try:
        started = time.monotonic()
        opened = RunStore(store_url)
        assert len(opened.runs_frame()) == 1
        elapsed = time.monotonic() - started
    finally:
        release.join()
        holder.close()
    assert elapsed < 1.5, f"open + list waited {elapsed:.2f} s behind a writer"
    deadline = time.monotonic() + 10
    while opened.get_run(run_id).status != "killed" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert opened.get_run(run_id).status == "killed"


# -- D21: killed runs keep their duration -------------------------------------------------------

_DIES_AFTER_A_FLUSH = """
import os, sys, time
from mlops_jupyter.store import RunStore
store = RunStore(sys.argv[1])
run_id = store.create_run(name="victim")
time.sleep(1.5)
store.log_metrics([(run_id, "m", 0, 1.0, time.time())])
print(run_id, flush=True)
os._exit(9)  # dies without ending the run
"""


def test_a_killed_run_ends_at_its_last_write(store_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _DIES_AFTER_A_FLUSH, store_url],
        text=True,
        capture_output=True,
        timeout=60,
        check=False,
    )
    run_id = done.stdout.strip()
    record = RunStore(store_url).get_run(run_id)
    assert record.status == "killed"
    assert record.duration >= 1.4, f"duration {record.duration}"


# -- D6: the store deleted while held -----------------------------------------------------------


def test_deleting_the_store_while_held_reopens_it_with_a_warning(tmp_path: Path) -> None:
    """The probe's reproduction: rmtree .mlops between two runs of one process."""
    folder = Path.cwd() / ".mlops"
    with mj.start_run("before-delete"):
        mj.log_metric("a", 1.0)
    shutil.rmtree(folder)
    with pytest.warns(RuntimeWarning, match="was deleted while this process held it") as seen:
        run = mj.start_run("after-delete")
    mj.log_metric("a", 2.0)
    mj.log_param("p", 1)
    run.end()
    assert len([w for w in seen if "was deleted" in str(w.message)]) == 1
    code = "import mlops_jupyter as mj; print(mj.runs()['name'].tolist())"
    fresh = subprocess.run(
        [sys.executable, "-c", code], text=True, capture_output=True, timeout=60, check=False
    )
    assert fresh.stdout.strip() == "['after-delete']", fresh.stderr
    record = RunStore(folder / "runs.db").get_run(mj.runs()["run_id"][0])
    assert record.metrics == {"a": 2.0} and record.params == {"p": 1}


def test_a_run_in_progress_survives_the_deletion_of_its_store(tmp_path: Path) -> None:
    """The run was started before `.mlops/` was deleted and goes on logging afterwards: it is
    copied into the recreated store, with what it had logged, and its later metrics join it."""
    run = mj.start_run("spanning")
    run.log_param("lr", 0.1)
    run.log_metric("loss", 1.0, step=0)
    run.flush()
    shutil.rmtree(Path.cwd() / ".mlops")
    # both calls inside: the background flusher may be the one that notices
    with pytest.warns(RuntimeWarning, match="1 running run.s. were copied into it"):
        run.log_metric("loss", 0.5, step=1)
        run.flush()
    run.end()
    code = (
        "import mlops_jupyter as mj; r = mj.runs(); "
        "print(r['name'].tolist(), r['status'].tolist(), r['metrics.loss'].tolist(), "
        "r['params.lr'].tolist())"
    )
    fresh = subprocess.run(
        [sys.executable, "-c", code], text=True, capture_output=True, timeout=60, check=False
    )
    assert fresh.stdout.strip() == "['spanning'] ['finished'] [0.5] [0.1]", fresh.stderr
    assert len(RunStore(Path.cwd() / ".mlops" / "runs.db").metric_history(run.run_id, "loss")) == 2


def test_a_store_recreated_by_another_process_is_noticed_at_the_next_write(tmp_path: Path) -> None:
    """Another process deletes the folder and starts a fresh store there; this process, which
    still holds the old (deleted) file, must write into the new one."""
    path = tmp_path / "s" / "runs.db"
    store = RunStore(path)
    store.create_run(name="old")
    shutil.rmtree(path.parent)
    code = (
        "import sys; from mlops_jupyter.store import RunStore; "
        "RunStore(sys.argv[1]).create_run(name='theirs')"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=60)
    with pytest.warns(RuntimeWarning, match="replaced by another file"):
        store.create_run(name="mine")
    # "old" is still running in this process, so it was carried into the new file
    assert sorted(RunStore(path).runs_frame()["name"]) == ["mine", "old", "theirs"]
    store.dispose()


# -- D8: store migrate while older processes write ------------------------------------------------


def _v2_store_with_a_running_run(path: Path, pid: int) -> None:
    from sqlalchemy import create_engine, insert

    from mlops_jupyter.store import migrations, schema
    from mlops_jupyter.store.liveness import HOST, process_start

    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        migrations.create_version(conn, 2)
        eid = conn.execute(
            insert(schema.experiments).values(name="old", created=1.0)
        ).inserted_primary_key[0]
        now = time.time()
        conn.execute(
            insert(schema.runs).values(
                run_id="b" * 32,
                experiment_id=eid,
                name="still-writing",
                status="running",
                start_time=now,
                pid=pid,
                pid_started=process_start(pid),
                host=HOST,
                heartbeat=now,
                updated_at=now,
            )
        )
    engine.dispose()


def _version(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT value FROM mlops_schema_info").fetchone()[0]


def test_migrate_is_refused_while_a_live_process_records_a_run(tmp_path: Path) -> None:
    """A live subprocess stands in for the older-version writer: its pid owns a running run."""
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        path, forced_path = tmp_path / "old.db", tmp_path / "forced.db"
        _v2_store_with_a_running_run(path, writer.pid)
        _v2_store_with_a_running_run(forced_path, writer.pid)
        done = _cli("--store", str(path), "store", "migrate")
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert "not migrating" in done.stderr and "bbbbbbbb" in done.stderr
        assert f"pid {writer.pid}" in done.stderr and "--force" in done.stderr
        assert _version(path) == "2"
        forced = _cli("--store", str(forced_path), "store", "migrate", "--force")
        assert forced.returncode == 0, forced.stderr
        assert _version(forced_path) == str(schema.SCHEMA_VERSION)
        writer.kill()
        writer.wait()
        after = _cli("--store", str(path), "store", "migrate")  # the writer is gone now
        assert after.returncode == 0, after.stderr
        assert _version(path) == str(schema.SCHEMA_VERSION)
    finally:
        writer.kill()
        writer.wait()
