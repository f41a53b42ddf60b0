"""``mlops-jupyter models ...``: list, show, register, promote, predict with and serve models."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mlops_jupyter.cli.output import print_json
from mlops_jupyter.errors import InvalidArgumentError
from mlops_jupyter.formatting import fmt_time, table

_TABLES = (".csv", ".parquet", ".json")


def register(subparsers: Any) -> None:
    """Add the `models` command group."""
    models = subparsers.add_parser("models", help="registered models: list, promote, serve")
    sub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    ls = sub.add_parser("ls", help="registered models with their latest version and aliases")
    ls.add_argument("--format", choices=("table", "json"), default="table")
    ls.set_defaults(func=_ls)
    show = sub.add_parser("show", help="a model's versions, aliases, signature and alias moves")
    show.add_argument("name")
    show.add_argument("--format", choices=("text", "json"), default="text")
    show.set_defaults(func=_show)
    reg = sub.add_parser("register", help="register a logged model as the next version")
    reg.add_argument("uri", help="runs:/RUN_ID/NAME (or models:/NAME/VERSION)")
    reg.add_argument("name", help="the registered model's name")
    reg.set_defaults(func=_register)
    alias = sub.add_parser("alias", help="point an alias at a version (through the gate)")
    alias.add_argument("name")
    alias.add_argument("alias", help="e.g. champion")
    alias.add_argument("version", nargs="?", type=int, help="the version (omit with --delete)")
    alias.add_argument("--force", action="store_true", help="move it even if the gate refuses")
    alias.add_argument("--delete", action="store_true", help="remove the alias")
    alias.set_defaults(func=_alias)
    predict = sub.add_parser("predict", help="predict a CSV, Parquet or JSON file's rows")
    predict.add_argument("uri", help="runs:/..., models:/NAME/VERSION or models:/NAME@ALIAS")
    predict.add_argument("input", help="a .csv, .parquet or .json file of rows")
    predict.add_argument("-o", "--output", required=True, help="a .csv, .parquet or .json file")
    predict.set_defaults(func=_predict)
    serve = sub.add_parser("serve", help="serve a model over HTTP (MLflow's scoring protocol)")
    serve.add_argument("uri")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=5000, help="port (default 5000; 0 = any)")
    auth = serve.add_mutually_exclusive_group()
    auth.add_argument(
        "--token",
        help="require 'Authorization: Bearer TOKEN' on all but GET /ping, /health (default: "
        "$MLOPS_JUPYTER_SERVE_TOKEN, which `ps` does not show; needed off 127.0.0.1)",
    )
    auth.add_argument(
        "--generate-token",
        action="store_true",
        help="require a fresh random token, printed once on stderr",
    )
    serve.set_defaults(func=_serve)


def _ls(args: argparse.Namespace) -> int:
    from mlops_jupyter.models.loading import store_of

    found = store_of(args.store).list_registered_models()
    if args.format == "json":
        print_json([m.to_dict() for m in found])
        return 0
    if not found:
        print("no registered models (register one: mlops-jupyter models register URI NAME)")
        return 0
    rows = [
        [
            m.name,
            m.latest_version or "-",
            _aliases(m.aliases),
            fmt_time(m.updated),
            (m.description or "")[:40],
        ]
        for m in found
    ]
    print(table(["name", "latest", "aliases", "updated", "description"], rows))
    return 0


def _aliases(aliases: dict[str, int]) -> str:
    return ", ".join(f"{a}=v{v}" for a, v in sorted(aliases.items())) or "-"


def _show(args: argparse.Namespace) -> int:
    from mlops_jupyter.models.loading import store_of
    from mlops_jupyter.models.panel_data import model_detail

    detail = model_detail(store_of(args.store), args.name)
    if args.format == "json":
        print_json(detail)
        return 0
    model = detail["model"]
    print(f"{model['name']}: {model['description'] or '(no description)'}")
    print(f"aliases: {_aliases(model['aliases'])}")
    rows = [
        [
            v["version"],
            ", ".join(v["aliases"]) or "-",
            v["run_id"][:8],
            v["run_status"],
            v["flavor"],
            fmt_time(v["created"]),
            v["signature_text"][:60],
        ]
        for v in detail["versions"]
    ]
    print(table(["version", "aliases", "run", "status", "flavor", "created", "signature"], rows))
    if detail["alias_history"]:
        print("\nalias moves:")
        for e in detail["alias_history"]:
            moved = f"v{e['from_version'] or '-'} -> v{e['to_version'] or '-'}"
            forced = f" FORCED ({e['reason']})" if e["forced"] else ""
            print(f"  {fmt_time(e['at'])}  {e['alias']}: {moved} by {e['by_user']}{forced}")
    return 0


def _register(args: argparse.Namespace) -> int:
    from mlops_jupyter.models.registry import register_model

    version = register_model(args.uri, args.name, store=args.store)
    print(
        f"registered {version.name} version {version.version} (models:/{version.name}/"
        f"{version.version}) from {version.source}"
    )
    return 0


def _alias(args: argparse.Namespace) -> int:
    from mlops_jupyter.models.registry import delete_model_alias, set_model_alias

    if args.delete:
        event = delete_model_alias(args.name, args.alias, store=args.store)
        print(f"deleted {args.name}@{args.alias} (was version {event.from_version})")
        return 0
    if args.version is None:
        raise InvalidArgumentError(
            "models alias NAME ALIAS VERSION: give the version (or --delete)"
        )
    event = set_model_alias(args.name, args.alias, args.version, force=args.force, store=args.store)
    was = f" (was version {event.from_version})" if event.from_version else ""
    forced = f"; FORCED past the gate: {event.reason}" if event.forced else ""
    print(f"{args.name}@{args.alias} -> version {event.to_version}{was}{forced}")
    return 0


def _table_kind(path: str, what: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in _TABLES:
        raise InvalidArgumentError(f"{what} {path!r}: give a file ending in {', '.join(_TABLES)}")
    return suffix


def _predict(args: argparse.Namespace) -> int:
    import pandas as pd

    from mlops_jupyter.models.loading import load_model
    from mlops_jupyter.models.scoring import FORMATS, parse_request

    kind, out_kind = _table_kind(args.input, "input"), _table_kind(args.output, "output")
    if not Path(args.input).is_file():
        raise InvalidArgumentError(f"input {args.input!r} is not a file")
    model = load_model(args.uri, store=args.store)
    if kind == ".csv":
        data: Any = pd.read_csv(args.input)
    elif kind == ".parquet":
        data = pd.read_parquet(args.input)
    else:
        raw = Path(args.input).read_bytes()
        text = raw.decode(errors="replace").lstrip()
        data = (
            parse_request(raw, "application/json")
            if text.startswith("{") and any(f'"{k}"' in text[:200] for k in FORMATS)
            else pd.read_json(args.input, orient="records")
        )
    frame = _as_table(model.predict(data))
    if out_kind == ".csv":
        frame.to_csv(args.output, index=False)
    elif out_kind == ".parquet":
        frame.to_parquet(args.output, index=False)
    else:
        frame.to_json(args.output, orient="records")
    print(f"wrote {len(frame)} predictions to {args.output}", file=sys.stderr)
    return 0


def _as_table(predictions: Any) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        return predictions
    array = np.asarray(predictions)
    if array.ndim == 2:
        return pd.DataFrame(array, columns=[f"prediction_{i}" for i in range(array.shape[1])])
    return pd.DataFrame({"prediction": array.reshape(-1)})


def _serve(args: argparse.Namespace) -> int:
    from mlops_jupyter.models.loading import load_model
    from mlops_jupyter.models.serve_auth import serve_token
    from mlops_jupyter.models.serving import ModelServer

    token, generated = serve_token(args.host, args.token, args.generate_token)  # before loading
    server = ModelServer(load_model(args.uri, store=args.store), args.host, args.port, token)
    if generated:
        print(f"serving token (shown once): {token}", file=sys.stderr, flush=True)
    auth = "; send 'Authorization: Bearer TOKEN'" if token else ""
    print(f"serving {args.uri} at {server.url} (POST /invocations{auth}; Ctrl-C stops)", flush=True)
    server.serve_forever()
    return 0
