#!/usr/bin/env bash
# Run every benchmark once, one after the other (they share 2 cores), writing bench/*.md.
# Needs: pip install -e '.[bench]' (MLflow, jupytext) and scripts/setup-browser (chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
"$py" bench/bench_store.py --runs 10000 --write bench/STORE.md
"$py" bench/bench_track.py --repeat 30 --write bench/TRACK.md
"$py" bench/bench_export.py --markdown-out bench/EXPORT.md
"$py" bench/bench_sweep.py --write bench/SWEEP.md
"$py" bench/bench_sweep_imports.py --write bench/SWEEP.md
"$py" bench/bench_optuna.py --write bench/SWEEP.md
"$py" bench/bench_panel.py --out bench/PANEL.md
"$py" bench/bench_pipelines.py --write bench/PIPELINES.md
"$py" bench/bench_models.py --write bench/MODELS.md
"$py" bench/bench_lineage.py --gib 1 --write bench/LINEAGE.md
"$py" bench/bench_ct.py --markdown-out bench/CT.md
