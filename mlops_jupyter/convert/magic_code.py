"""The plain Python each translated magic becomes: shell commands and package installs, the line
magics ``%time``, ``%env``, ``%cd``, ``%system`` and ``%track``, and the cell magics ``%%time``,
``%%bash``, ``%%sh``, ``%%writefile`` and ``%%track``.

Every translator fills in what its code needs (helpers, imports, requirements) on the
``Translation`` and returns the new lines, or None when the magic's arguments have no faithful
translation (the caller then refuses the magic).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

from mlops_jupyter.convert.codegen import indent_code
from mlops_jupyter.convert.magics import Translation
from mlops_jupyter.convert.track_code import track_cell_lines
from mlops_jupyter.value_kinds import logged_kind

CellLines = list[tuple[int, str]]  # (line number in the cell, code) pairs
_NS = "{**globals(), **locals()}"
_PIP = re.compile(r"^\s*(?:python3?\s+-m\s+)?(pip3?|conda|mamba)\s+install\b(.*)$")


def shell_lines(command: str, out: Translation) -> list[str]:
    """A ``!command`` line: a ``pip``/``conda`` install becomes a requirement, anything else a
    subprocess run with the notebook's names expanded."""
    if match := _PIP.match(command):
        out.requirements += pip_packages(match.group(2))
        return [f"pass  # {command.strip()} (see the requirements comment)"]
    out.helpers.add("_sh")
    return [f"_sh({command.strip()!r}, {_NS})"]


def shell_output(target: str, command: str, out: Translation) -> str:
    """``target = !command``: the command's output lines assigned to ``target``."""
    out.helpers.add("_sh_lines")
    return f"{target} = _sh_lines({command!r}, {_NS})"


def env_value(target: str, key: str, out: Translation) -> str:
    """``target = %env KEY``: one environment variable assigned to ``target``."""
    out.imports.add("os")
    return f"{target} = os.environ[{key!r}]"


def pip_packages(args: str) -> list[str]:
    """The requirements an ``install`` command's arguments name (``-r``/``-e`` kept with their
    value, index and constraint options left out)."""
    try:
        words = shlex.split(args)
    except ValueError:
        words = args.split()
    found, skip_next = [], False
    for word in words:
        if skip_next:
            skip_next = False
        elif word in {"-r", "--requirement", "-e", "--editable"}:
            found.append(word)
            skip_next = False
        elif word in {
            "-i",
            "--index-url",
            "--extra-index-url",
            "-f",
            "--find-links",
            "-c",
            "--constraint",
        }:
            skip_next = True
        elif not word.startswith("-"):
            if found and found[-1] in {"-r", "--requirement", "-e", "--editable"}:
                found[-1] = f"{found[-1]} {word}"
            else:
                found.append(word)
    return found


def _time_line(args: str, out: Translation) -> list[str]:
    out.helpers.add("_print_time")
    return ["_time_start = _now()", args, "_print_time(_time_start)"]


def _env_line(args: str, out: Translation) -> list[str] | None:
    out.imports.add("os")
    if not args:
        return ["dict(os.environ)"]
    if "=" in args:
        key, value = (part.strip() for part in args.split("=", 1))
    elif len(args.split(None, 1)) == 2:
        key, value = args.split(None, 1)
    else:
        return [f"os.environ[{args!r}]"]
    value = value.strip()
    return [f"os.environ[{key!r}] = {value!r}", f"print({'env: ' + key + '=' + value!r})"]


def _cd_line(args: str, out: Translation) -> list[str]:
    """``%cd``: a folder that does not exist is an error IPython prints and goes on from."""
    out.helpers.add("_cd")
    return [f"_cd({args.strip() or '~'!r})"]


def _system_line(args: str, out: Translation) -> list[str]:
    return shell_lines(args, out)


def _track_line(args: str, out: Translation) -> list[str] | None:
    try:
        words = shlex.split(args)
    except ValueError:
        return None
    out.imports.add("mlops_jupyter")
    command, rest = (words[0], words[1:]) if words else ("", [])
    if command == "start":
        options: dict[str, list[str]] = {"name": [], "experiment": []}
        if "--experiment" in rest:
            at = rest.index("--experiment")
            if at + 1 >= len(rest):
                return None
            options["experiment"] = [rest[at + 1]]
            rest = rest[:at] + rest[at + 2 :]
        options["name"] = [" ".join(rest)] if rest else []
        return [_start_run_call(options)]
    if command == "stop" and not rest:
        return ["mlops_jupyter.end_run()"]
    if command == "status":
        return []  # housekeeping: nothing in a script
    if command == "log":
        return [_log_call(pair) for pair in rest] or None
    return None


def _log_call(pair: str) -> str:
    import ast

    key, _, text = pair.partition("=")
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        value = text
    return f"mlops_jupyter.log_{logged_kind(value)}({key!r}, {value!r})"


def _timeit_call(code: str, options: str, out: Translation) -> str | None:
    """``_timeit(code, namespace, (names read), number=, repeat=)``: ``timeit`` as IPython
    runs it; the names the code reads are listed so the analysis sees them."""
    from mlops_jupyter.notebook.names import scan
    from mlops_jupyter.notebook.scopes import BUILTINS

    try:
        words = shlex.split(options)
        reads = [n for n in scan(code).reads if n not in BUILTINS]
    except (ValueError, SyntaxError):
        return None
    settings = {"-n": "number", "-r": "repeat"}
    kwargs, index = [], 0
    while index < len(words):
        word = words[index]
        flag, value = word[:2], word[2:]
        if flag in settings:
            if not value and index + 1 < len(words):
                index, value = index + 1, words[index + 1]
            if not value.isdigit():
                return None
            kwargs.append(f", {settings[flag]}={int(value)}")
        elif word not in {"-q", "-p"} and not word.startswith("-p"):
            return None  # -o returns a result object; -t/-c/other options are not translated
        index += 1
    out.helpers.add("_timeit")
    names = "(" + "".join(f"{n}, " for n in reads).rstrip(" ") + ")"
    return f"_timeit({code!r}, {_NS}, {names}{''.join(kwargs)})"


def _timeit_line(args: str, out: Translation) -> list[str] | None:
    options, code = [], args.split()
    while code and code[0].startswith("-"):  # `%timeit -n 10 -r 3 f(x)`
        options.append(code.pop(0))
        if options[-1] in {"-n", "-r"} and code:
            options.append(code.pop(0))
    call = _timeit_call(args[len(" ".join(options)) :].strip(), " ".join(options), out)
    return None if call is None else [call]


def _store_line(args: str, out: Translation) -> list[str] | None:
    """``%store x`` keeps ``x`` for other notebooks (no effect here); ``%store -r`` reads
    values another session stored, which the converted code cannot see: refused."""
    if not args or args.split()[0].startswith("-r") or args.startswith("-"):
        return None if args.split()[:1] != ["-d"] else [f"pass  # %store {args}"]
    return [f"pass  # %store {args} (IPython's store, for other notebooks)"]


LINE_TRANSLATORS: dict[str, Callable[[str, Translation], list[str] | None]] = {
    "timeit": _timeit_line,
    "store": _store_line,
    "time": _time_line,
    "env": _env_line,
    "set_env": _env_line,
    "cd": _cd_line,
    "system": _system_line,
    "sx": _system_line,
    "track": _track_line,
}


def _shell_cell(shell: str) -> Callable[[str, str, CellLines, Translation], CellLines]:
    def translate(args: str, raw: str, body: CellLines, out: Translation) -> CellLines:
        out.helpers.add("_sh")
        return [(1, f"_sh({raw!r}, shell={shell!r})")]

    return translate


def _writefile_cell(args: str, raw: str, body: CellLines, out: Translation) -> CellLines | None:
    words = args.split()
    append = "-a" in words or "--append" in words
    paths = [w for w in words if not w.startswith("-")]
    if len(paths) != 1:
        return None
    out.helpers.add("_write_file")
    return [(1, f"_write_file({paths[0]!r}, {raw!r}, append={append})")]


def _time_cell(args: str, raw: str, body: CellLines, out: Translation) -> CellLines:
    out.helpers.add("_print_time")
    return [(1, "_time_start = _now()"), *body, (1, "_print_time(_time_start)")]


def _track_cell(args: str, raw: str, body: CellLines, out: Translation) -> CellLines | None:
    try:
        words = shlex.split(args)
    except ValueError:
        words = args.split()
    options = _track_options(words)
    if options is None:
        return None
    out.imports.add("mlops_jupyter")
    return track_cell_lines(
        options, body, capture="--no-capture" not in words, models="--no-models" not in words
    )


def _track_options(words: list[str]) -> dict[str, list[str]] | None:
    options: dict[str, list[str]] = {
        "name": [],
        "experiment": [],
        "params": [],
        "metrics": [],
        "tag": [],
    }
    index = 0
    while index < len(words):
        word = words[index]
        key = word[2:]
        if word in ("--no-capture", "--no-models"):
            index += 1
            continue
        if key not in options or index + 1 >= len(words):
            return None
        value = words[index + 1]
        if key in {"params", "metrics"}:
            options[key] += [v.strip() for v in value.split(",") if v.strip()]
        elif key == "tag" and ("=" not in value or value.startswith("=")):
            return None
        else:
            options[key] = options[key] + [value] if key == "tag" else [value]
        index += 2
    if not all(v.isidentifier() for v in options["params"] + options["metrics"]):
        return None
    return options


def _start_run_call(options: dict[str, list[str]]) -> str:
    kwargs = [f"{key}={options[key][0]!r}" for key in ("name", "experiment") if options[key]]
    if options.get("tag"):
        tags = dict(pair.split("=", 1) for pair in options["tag"])
        kwargs.append(f"tags={tags!r}")
    return f"mlops_jupyter.start_run({', '.join(kwargs)})"


def _timeit_cell(args: str, raw: str, body: CellLines, out: Translation) -> CellLines | None:
    options = args.split()
    setup = " ".join(w for w in options if not w.startswith("-") and not w.isdigit())
    if setup:  # `%%timeit setup_statement`: not translated
        return None
    call = _timeit_call("\n".join(text for _, text in body), args, out)
    return None if call is None else [(1, call)]


def _capture_cell(args: str, raw: str, body: CellLines, out: Translation) -> CellLines | None:
    words = args.split()
    flags = {w for w in words if w.startswith("-")}
    names = [w for w in words if not w.startswith("-")]
    if flags - {"--no-stdout", "--no-stderr", "--no-display"} or len(names) > 1:
        return None
    out.helpers.add("_capture")
    options = f"stdout={'--no-stdout' not in flags}, stderr={'--no-stderr' not in flags}"
    target = f" as {names[0]}" if names else ""
    code = indent_code("\n".join(text for _, text in body) or "pass").split("\n")
    numbers = [n for n, _ in body] or [1]
    return [(1, f"with _capture({options}){target}:"), *zip(numbers, code)]


# Cell magic name -> translator(args, raw body, translated Python body, out).
CELL_TRANSLATORS: dict[str, Callable[[str, str, CellLines, Translation], CellLines | None]] = {
    "timeit": _timeit_cell,
    "capture": _capture_cell,
    "time": _time_cell,
    "bash": _shell_cell("bash"),
    "sh": _shell_cell("sh"),
    "writefile": _writefile_cell,
    "track": _track_cell,
}
