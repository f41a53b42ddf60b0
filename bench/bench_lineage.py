"""Data lineage costs, beside `sha256sum`, MLflow's dataset digest and `dvc add` / `dvc status`.

    python bench/bench_lineage.py [--gib 1] [--write bench/LINEAGE.md]

Everything runs in one process on files under /tmp (deleted at the end):

- the added time per unchanged input when a ``%%track`` cell is re-run, in a real IPython shell
  (``InteractiveShell.run_cell``: the same path as a kernel), with a 1 GiB file among the inputs,
  and the bytes the process read during that re-run (/proc/self/io) to show it is not re-read;
- hashing a new 1 GiB file (`input_files.sha256_of`) beside ``sha256sum`` on the same file, both
  from the page cache, best of 3;
- the fingerprint of a 1,000,000 x 20 DataFrame beside ``mlflow.data.from_pandas(df).digest``
  (which hashes a sample of rows only);
- recording the inputs the first time (hash every file) beside ``dvc add``, and checking them
  again unchanged beside ``dvc status``, both as fresh processes (dvc is a CLI).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import print_table, timed

SMALL_FILES = 20


def _read_bytes_so_far() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    return 0


def make_files(root: Path, gib: float) -> list[Path]:
    """A GiB-sized binary file and 20 small CSVs (1 MB each) under root/data."""
    import numpy as np

    data = root / "data"
    data.mkdir(parents=True)
    big = data / "big.bin"
    chunk = np.random.default_rng(0).bytes(64 << 20)
    with open(big, "wb") as fh:
        for _ in range(int(gib * 16)):
            fh.write(chunk)
    small = []
    for i in range(SMALL_FILES):
        path = data / f"part{i:02d}.csv"
        path.write_text("a,b\n" + "".join(f"{j},{i * j}\n" for j in range(90_000))[: 1 << 20])
        small.append(path)
    return [big, *small]


def rerun_cost(root: Path, files: list[Path]) -> dict[str, float]:
    """ms added per unchanged input on a re-run of a %%track cell, and MB read by that re-run."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "mlops_jupyter")
    shell.user_ns["paths"] = [str(p) for p in files]
    opens = "for p in paths:\n    open(p, 'rb').close()\n"
    variants = {
        "plain0": "pass",
        "plainN": opens,
        "track0": "%%track --name bench\npass",
        "trackN": "%%track --name bench\n" + opens,
    }

    def run(src: str) -> None:
        result = shell.run_cell(src, store_history=True)
        assert result.success, result.error_in_exec

    for src in variants.values():
        run(src)  # warm: imports, store, the first hash of every input
    before = _read_bytes_so_far()
    run(variants["trackN"])
    read_mb = (_read_bytes_so_far() - before) / 1e6
    samples: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(21):  # interleaved, so a machine that slows down slows every variant alike
        for k, src in variants.items():
            samples[k].append(timed(lambda s=src: run(s)) * 1e3)
    ms = {k: statistics.median(v) for k, v in samples.items()}
    added = ((ms["trackN"] - ms["track0"]) - (ms["plainN"] - ms["plain0"])) / len(files)
    return {"added_ms_per_input": added, "rerun_read_mb": read_mb, **ms}


def hash_speed(big: Path) -> tuple[float, float]:
    """Seconds to hash the big file: ours, then sha256sum (best of 3 each, warm page cache)."""
    from mlops_jupyter.tracking.input_files import sha256_of

    ours = min(timed(lambda: sha256_of(big)) for _ in range(3))
    theirs = min(
        timed(lambda: subprocess.run(["sha256sum", str(big)], check=True, capture_output=True))
        for _ in range(3)
    )
    assert (
        sha256_of(big)
        == subprocess.run(
            ["sha256sum", str(big)], check=True, capture_output=True, text=True
        ).stdout.split()[0]
    )
    return ours, theirs


def fingerprint_speed(tmp: Path) -> tuple[float, float, bool]:
    """Seconds for our fingerprint of a 1,000,000 x 20 frame, and for MLflow's digest."""
    import numpy as np
    import pandas as pd
    from common import quiet_mlflow

    from mlops_jupyter.tracking.fingerprint import frame_fingerprint

    frame = pd.DataFrame(
        np.random.default_rng(1).random((1_000_000, 20)), columns=[f"c{i}" for i in range(20)]
    )
    ours = min(timed(lambda: frame_fingerprint(frame)) for _ in range(3))
    mlflow = quiet_mlflow(f"sqlite:///{tmp}/mlflow.db")
    theirs = min(timed(lambda: mlflow.data.from_pandas(frame).digest) for _ in range(3))
    changed = frame.copy()
    changed.iloc[777_777, 13] += 1e-9
    assert frame_fingerprint(changed)["fingerprint"] != frame_fingerprint(frame)["fingerprint"]
    same = mlflow.data.from_pandas(changed).digest == mlflow.data.from_pandas(frame).digest
    return ours, theirs, same


_OURS_CHECK = (
    "import sys; from mlops_jupyter.tracking.input_files import describe_file; "
    "[describe_file(p) for p in sys.argv[1:]]"
)


def versus_dvc(root: Path, files: list[Path]) -> dict[str, float]:
    """Fresh processes: first record (hash all) vs dvc add; unchanged check vs dvc status."""
    dvc = str(Path(sys.executable).with_name("dvc"))
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    names = [str(p.relative_to(root)) for p in files]

    def ours() -> None:
        subprocess.run([sys.executable, "-c", _OURS_CHECK, *names], cwd=root, check=True, env=env)

    cache = root / ".mlops" / "input-hashes.json"
    cache.unlink(missing_ok=True)
    first = timed(ours)
    again = timed(ours, repeat=3)
    subprocess.run([dvc, "init", "--no-scm", "-q"], cwd=root, check=True, env=env)
    start = time.perf_counter()
    subprocess.run([dvc, "add", "-q", *names], cwd=root, check=True, env=env)
    dvc_add = time.perf_counter() - start
    dvc_status = timed(
        lambda: subprocess.run(
            [dvc, "status", "-q"], cwd=root, check=True, env=env, capture_output=True
        ),
        repeat=3,
    )
    return {"first": first, "again": again, "dvc_add": dvc_add, "dvc_status": dvc_status}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=1.0, help="size of the big file (GiB)")
    parser.add_argument("--write", help="write the markdown table here")
    args = parser.parse_args()
    write = Path(args.write).resolve() if args.write else None
    tmp = Path(tempfile.mkdtemp(prefix="mj-lineage-bench-", dir="/tmp"))
    root = tmp / "project"
    os.environ["MLOPS_JUPYTER_STORE"] = str(root / ".mlops" / "runs.db")
    try:
        files = make_files(root, args.gib)
        big_mb = files[0].stat().st_size / 1e6
        os.chdir(root)
        rerun = rerun_cost(root, files)
        ours_hash, sum_hash = hash_speed(files[0])
        ours_fp, mlflow_fp, mlflow_same = fingerprint_speed(tmp)
        dvc = versus_dvc(root, files)
    finally:
        os.chdir("/")
        shutil.rmtree(tmp, ignore_errors=True)
    size = f"{args.gib:g} GiB file + {SMALL_FILES} x 1 MB CSVs"
    tables = [
        print_table(
            "Inputs of a %%track cell",
            [
                (
                    "re-run, added time per unchanged input",
                    "ms",
                    rerun["added_ms_per_input"],
                    5.0,
                    "< 5 ms (the goal is the anchor)",
                    True,
                ),
                (
                    f"re-run, bytes read ({size})",
                    "MB",
                    max(rerun["rerun_read_mb"], 1e-3),
                    big_mb,
                    "the big file is not read again",
                    True,
                ),
                (
                    f"hash a new {args.gib:g} GiB file vs sha256sum",
                    "s",
                    ours_hash,
                    sum_hash,
                    ">= 90 % of sha256sum's speed (ratio >= 0.9x)",
                    True,
                ),
                (
                    "fingerprint of a 1,000,000 x 20 frame vs MLflow digest",
                    "s",
                    ours_fp,
                    mlflow_fp,
                    "< 1 s; every row (MLflow samples)",
                    True,
                ),
            ],
            "anchor",
        ),
        print_table(
            f"Beside DVC ({size}, fresh processes)",
            [
                (
                    "first record (hash every file) vs dvc add",
                    "s",
                    dvc["first"],
                    dvc["dvc_add"],
                    "faster",
                    True,
                ),
                (
                    "unchanged check vs dvc status",
                    "s",
                    dvc["again"],
                    dvc["dvc_status"],
                    "faster",
                    True,
                ),
            ],
            "dvc",
        ),
    ]
    raw = "raw (ms): " + ", ".join(
        f"{k}={v:.2f}" for k, v in rerun.items() if k not in ("rerun_read_mb",)
    )
    raw += (
        f"; MLflow's digest unchanged by one changed value in row 777,777: {mlflow_same}"
        " (ours changed)"
    )
    raw += (
        f"; bytes the re-run read: {rerun['rerun_read_mb'] * 1e6:,.0f} (shown as at least 0.001"
        f" MB); sha256sum ran at {big_mb / sum_hash:,.0f} MB/s (the machine's load: compare"
        " ratios)"
    )
    print(raw)
    if write:
        write.write_text(
            "\n\n".join(tables)
            + f"\n\nOne `python bench/bench_lineage.py --gib {args.gib:g}` run. {raw}.\n"
        )


if __name__ == "__main__":
    main()
