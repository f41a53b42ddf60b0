"""The shared blob store on S3, against a real S3-compatible server (moto) on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid

import boto3
import pytest
import s3fs  # noqa: F401 - the test extra installs it; fail loudly when it is missing
from moto import server as moto_server

import mlops_jupyter as mj
from mlops_jupyter.errors import ArtifactCorruptError, ArtifactNotFoundError
from mlops_jupyter.store import RunStore
from tests.support import ROOT

_ROOT = str(ROOT)


@pytest.fixture(scope="module")
def s3_endpoint() -> str:
    """moto's S3 server in this process, listening on a free port of 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch):
    """A new bucket; the blob options reach the store the documented way, by environment."""
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MLOPS_JUPYTER_BLOBS_OPTIONS", json.dumps({"endpoint_url": s3_endpoint}))
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    name = f"mlops-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return client, name


def _keys(client, bucket: str) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_artifacts_are_logged_to_and_read_from_s3(bucket, tmp_path, monkeypatch) -> None:
    """MLOPS_JUPYTER_BLOBS=s3://bucket/prefix: the blob is an object on the server."""
    client, name = bucket
    monkeypatch.setenv("MLOPS_JUPYTER_BLOBS", f"s3://{name}/team/blobs")
    model = tmp_path / "model.bin"
    model.write_bytes(os.urandom(300_000))
    with mj.start_run("s3") as run:
        sha_file = run.log_artifact(model)
        sha_bytes = run.log_artifact(b"some bytes", name="raw.bin")
    assert sorted(_keys(client, name)) == sorted(
        f"team/blobs/{h[:2]}/{h[2:]}" for h in (sha_file, sha_bytes)
    )
    store = RunStore(os.environ["MLOPS_JUPYTER_STORE"])
    assert store.blobs.root == f"s3://{name}/team/blobs"
    assert store.read_artifact(sha_file) == model.read_bytes()
    assert store.read_artifact(sha_bytes) == b"some bytes"
    store.dispose()


def test_a_corrupt_s3_blob_is_refused_on_read_and_repaired_by_relogging(bucket, tmp_path) -> None:
    """Same-size damage to the object is caught on read; re-logging the content rewrites it."""
    client, name = bucket
    store = RunStore(str(tmp_path / "runs.db"), blob_root=f"s3://{name}/p")
    content = os.urandom(50_000)
    rec = store.log_artifact(store.create_run(), "m.bin", content)
    key = f"p/{rec.sha256[:2]}/{rec.sha256[2:]}"
    tampered = bytearray(content)
    tampered[100:104] = b"\0\0\0\0" if tampered[100:104] != b"\0\0\0\0" else b"\1\1\1\1"
    client.put_object(Bucket=name, Key=key, Body=bytes(tampered))
    with pytest.raises(ArtifactCorruptError):
        store.read_artifact(rec.sha256)
    store.log_artifact(store.create_run(), "m.bin", content)
    assert store.read_artifact(rec.sha256) == content
    assert client.get_object(Bucket=name, Key=key)["Body"].read() == content
    store.dispose()


def test_gc_on_s3_keeps_young_blobs_and_removes_unreferenced_ones(bucket, tmp_path) -> None:
    """gc lists the bucket, honours the grace period, and deletes only unreferenced objects."""
    client, name = bucket
    store = RunStore(str(tmp_path / "runs.db"), blob_root=f"s3://{name}/p")
    kept = store.log_artifact(store.create_run(), "keep", b"keep me")
    doomed = store.create_run()
    store.log_artifact(doomed, "drop", b"drop me")
    store.delete_run(doomed)
    first = store.gc()
    assert (first["removed"], first["young"], first["kept"]) == (0, 1, 1)
    assert len(_keys(client, name)) == 2
    second = store.gc(grace_seconds=0)
    assert (second["removed"], second["bytes"], second["kept"]) == (1, 7, 1)
    assert _keys(client, name) == [f"p/{kept.sha256[:2]}/{kept.sha256[2:]}"]
    assert store.read_artifact(kept.sha256) == b"keep me"
    store.dispose()


_WRITER = textwrap.dedent("""
    import sys, uuid
    from mlops_jupyter.store import RunStore
    db, root, run_id, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    store = RunStore(db, blob_root=root)
    print("ready", flush=True)
    for i in range(n):
        store.log_artifact(run_id, f"a{i}", f"{i}-{uuid.uuid4().hex}".encode())
""")


@pytest.mark.slow
def test_gc_on_s3_in_a_loop_never_deletes_blobs_being_logged(bucket, tmp_path) -> None:
    """D2 on S3, no grace at all: markers and the second check alone protect a live writer."""
    name = bucket[1]
    db, root = str(tmp_path / "runs.db"), f"s3://{name}/p"
    store = RunStore(db, blob_root=root)
    run_id = store.create_run()
    env = {**os.environ, "PYTHONPATH": _ROOT}
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, db, root, run_id, "20"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert writer.stdout.readline().strip() == "ready"
    loops = 0
    while writer.poll() is None:
        store.gc(grace_seconds=0)
        loops += 1
    assert writer.wait() == 0 and loops >= 2
    artifacts = store.get_run(run_id).artifacts
    assert len(artifacts) == 20
    for artifact in artifacts:
        assert store.read_artifact(artifact.sha256)
    store.dispose()


_BIG_WRITER = textwrap.dedent("""
    import sys
    from mlops_jupyter.store import RunStore
    db, root, run_id, source = sys.argv[1:5]
    store = RunStore(db, blob_root=root)
    store.log_artifact(run_id, "big.bin", source)
    print("survived", flush=True)
""")


@pytest.mark.slow
def test_an_upload_killed_halfway_leaves_nothing_served_and_gc_aborts_it(
    bucket, tmp_path, s3_endpoint
) -> None:
    """A real writer process is SIGKILLed while its 40 MB blob is uploaded in 5 MB parts: no
    row, no visible object, nothing served; gc aborts the unfinished upload and removes the
    dead writer's marker."""
    client, name = bucket
    db, root = str(tmp_path / "runs.db"), f"s3://{name}/p"
    store = RunStore(db, blob_root=root)
    run_id = store.create_run()
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(1 << 20) * 40)
    options = {"endpoint_url": s3_endpoint, "default_block_size": 5 << 20}
    env = {**os.environ, "PYTHONPATH": _ROOT, "MLOPS_JUPYTER_BLOBS_OPTIONS": json.dumps(options)}
    writer = subprocess.Popen(
        [sys.executable, "-c", _BIG_WRITER, db, root, run_id, str(source)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    while not client.list_multipart_uploads(Bucket=name).get("Uploads"):
        assert writer.poll() is None, "the upload finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    writer.send_signal(signal.SIGKILL)
    assert writer.wait() == -signal.SIGKILL
    assert not store.get_run(run_id).artifacts
    assert list(store.blobs.iter_hashes()) == []
    assert not [k for k in _keys(client, name) if not k.startswith("p/.inflight/")]
    sha = store.blobs.uploads().__next__().sha256
    with pytest.raises(ArtifactNotFoundError):
        store.blobs.read(sha)
    # (moto reports every upload as started in 2010, so the grace period cannot be shown here;
    # a live writer's upload is kept by its in-flight marker, a dead one's is not)
    result = store.gc(grace_seconds=0)
    assert result["partial"] == 1 and result["removed"] == 0
    assert not client.list_multipart_uploads(Bucket=name).get("Uploads")
    assert _keys(client, name) == []  # the dead writer's in-flight marker is gone too
    store.dispose()
