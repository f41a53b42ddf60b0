"""The magic policy table: what each IPython magic becomes in plain Python (drop, translate,
requirements, refuse)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from mlops_jupyter.convert.codegen import indent_code, string_continuation_lines
from mlops_jupyter.errors import UnsupportedMagicError
from mlops_jupyter.notebook.roles import Cell
from mlops_jupyter.value_kinds import logged_kind


@dataclass(frozen=True)
class MagicPolicy:
    """What happens to one magic: ``drop``, ``translate``, ``requirements`` or ``refuse``."""

    name: str
    kind: str  # "line" or "cell"
    action: str
    note: str = ""


_DROP, _TRANSLATE, _REQUIREMENTS = "drop", "translate", "requirements"
POLICIES: tuple[MagicPolicy, ...] = (
    *(
        MagicPolicy(n, "line", _DROP, "notebook housekeeping")
        for n in (
            "matplotlib",
            "load_ext",
            "reload_ext",
            "unload_ext",
            "autoreload",
            "aimport",
            "config",
            "precision",
            "xmode",
            "colors",
            "autosave",
            "lsmagic",
            "who",
            "whos",
            "who_ls",
            "runs",
            "pdb",
            "autocall",
            "automagic",
            "doctest_mode",
            "pprint",
        )
    ),
    MagicPolicy("time", "line", _TRANSLATE, "statement timed with time.perf_counter"),
    MagicPolicy("time", "cell", _TRANSLATE, "body timed with time.perf_counter"),
    MagicPolicy("env", "line", _TRANSLATE, "os.environ"),
    MagicPolicy("set_env", "line", _TRANSLATE, "os.environ"),
    MagicPolicy("cd", "line", _TRANSLATE, "os.chdir"),
    MagicPolicy("system", "line", _TRANSLATE, "subprocess, like !cmd"),
    MagicPolicy("sx", "line", _TRANSLATE, "subprocess, like !cmd"),
    MagicPolicy("bash", "cell", _TRANSLATE, "subprocess running bash -c"),
    MagicPolicy("sh", "cell", _TRANSLATE, "subprocess running sh -c"),
    MagicPolicy("track", "cell", _TRANSLATE, "with mlops_jupyter.start_run(...)"),
    MagicPolicy("track", "line", _TRANSLATE, "mlops_jupyter.start_run(...) entered / exited"),
    MagicPolicy("writefile", "cell", _TRANSLATE, "file write, printing Writing/Overwriting"),
    *(
        MagicPolicy(n, "cell", _DROP, "display only")
        for n in ("html", "javascript", "js", "markdown", "latex", "svg")
    ),
    MagicPolicy("pip", "line", _REQUIREMENTS, "moved to the requirements comment"),
    MagicPolicy("conda", "line", _REQUIREMENTS, "moved to the requirements comment"),
    MagicPolicy("mamba", "line", _REQUIREMENTS, "moved to the requirements comment"),
)
_TABLE = {(p.kind, p.name): p for p in POLICIES}
_PYTHON_BODY = frozenset({"time", "track"})  # cell magics whose body is Python code


def policy(kind: str, name: str) -> MagicPolicy:
    """Return the policy for a ``line`` or ``cell`` magic; unknown magics are refused."""
    return _TABLE.get((kind, name), MagicPolicy(name, kind, "refuse", "no plain-Python equivalent"))


@dataclass
class Translation:
    """A cell's code with magics translated, plus what the translation needs around it."""

    code: str
    line_map: list[int]
    requirements: list[str] = field(default_factory=list)
    helpers: set[str] = field(default_factory=set)
    imports: set[str] = field(default_factory=set)
    magics: list[tuple[int, str, str]] = field(default_factory=list)  # (line, magic, action)
    refused: list[UnsupportedMagicError] = field(default_factory=list)


_CANDIDATE = re.compile(r"^\s*(?:[%!?]|[\w.,\s()\[\]]+?=\s*[!%])|\?\s*$", re.MULTILINE)
_LINE_MAGIC = re.compile(r"^(\s*)%(\w+)(.*)$")
_SHELL = re.compile(r"^(\s*)!(.*)$")
_ASSIGN = re.compile(r"^(\s*)([A-Za-z_][\w.,\s()\[\]]*?)\s*=\s*([!%])(.*)$")
_HELP = re.compile(r"^\s*(?:\?\??[\w.]+|[\w.]+\?\??)\s*$")
_NS = "{**globals(), **locals()}"
_PIP = re.compile(r"^\s*(?:python3?\s+-m\s+)?(pip3?|conda|mamba)\s+install\b(.*)$")


def translate_cell(cell: Cell, collect: bool = False) -> Translation:
    """Translate the IPython-only syntax of a cell into plain Python, following ``POLICIES``.

    Args:
        cell: The cell, with its role comment lines already removed.
        collect: Record refused magics in ``refused`` instead of raising the first one.

    Returns:
        The translation; ``code`` is plain Python when nothing was refused.

    Raises:
        UnsupportedMagicError: a refused magic, when ``collect`` is false.
    """
    source = cell.source
    lines = source.split("\n")
    out = Translation(code=source, line_map=list(range(1, len(lines) + 1)))
    if not _CANDIDATE.search(source) and cell.magic_line is None:
        return out
    if cell.magic_line is None and _parses(source):
        return out
    body: list[tuple[int, str]] = []
    start = 2 if cell.magic_line is not None else 1
    magic = (cell.magic_line or "")[2:].split(" ", 1)[0]
    if cell.magic_line is None or magic in _PYTHON_BODY:
        _translate_lines(cell, lines[start - 1 :], start, body, out, collect)
    if cell.magic_line is not None:
        body = _cell_magic(cell, body, out, collect)
    out.code = "\n".join(text for _, text in body)
    out.line_map = [number for number, _ in body]
    return out


def _parses(source: str) -> bool:
    try:
        compile(source, "<cell>", "exec", flags=0x400, dont_inherit=True)  # PyCF_ONLY_AST
    except (SyntaxError, ValueError):
        return False
    return True


def _refuse(cell: Cell, magic: str, line: int, out: Translation, collect: bool) -> None:
    err = UnsupportedMagicError(magic, cell.index, cell.original_line(line))
    out.magics.append((cell.original_line(line), magic, "refuse"))
    if not collect:
        raise err
    out.refused.append(err)


def _string_lines(lines: list[str], first: int) -> set[int]:
    """Line numbers (as in the cell) that lie inside multi-line strings, magic lines aside."""
    probe = [
        line[: len(line) - len(line.lstrip())] + "pass"
        if _SHELL.match(line) or _LINE_MAGIC.match(line) or _HELP.match(line)
        else line
        for line in lines
    ]
    return {n + first - 1 for n in string_continuation_lines("\n".join(probe))}


def _translate_lines(
    cell: Cell,
    lines: list[str],
    first: int,
    body: list[tuple[int, str]],
    out: Translation,
    collect: bool,
) -> None:
    pending = ""
    inside = _string_lines(lines, first)
    for offset, line in enumerate(lines):
        number = first + offset
        if number in inside and not pending:
            body.append((number, line))
            continue
        if pending:
            line, pending = pending + line.lstrip(), ""
        stripped = line.strip()
        if stripped[:1] in "%!" and line.endswith("\\"):
            pending = line[:-1] + " "
            body.append((number, ""))
            continue
        result = _translate_line(cell, line, number, out, collect)
        body.extend((number, text) for text in result)


def _translate_line(
    cell: Cell, line: str, number: int, out: Translation, collect: bool
) -> list[str]:
    if match := _SHELL.match(line):
        indent, command = match.groups()
        return [indent + text for text in _shell(command, out)]
    if match := _LINE_MAGIC.match(line):
        indent, name, args = match.groups()
        return [
            indent + text for text in _line_magic(cell, name, args.strip(), number, out, collect)
        ]
    if match := _ASSIGN.match(line):
        indent, target, kind, rest = match.groups()
        if kind == "!" and "=" not in target and not target.strip().endswith(("=", "!", "<", ">")):
            out.helpers.add("_sh_lines")
            return [f"{indent}{target.strip()} = _sh_lines({rest.strip()!r}, {_NS})"]
        if kind == "%":
            name, _, args = rest.strip().partition(" ")
            if name in {"sx", "system"} and args.strip():
                out.helpers.add("_sh_lines")
                out.magics.append((cell.original_line(number), "%" + name, _TRANSLATE))
                return [f"{indent}{target.strip()} = _sh_lines({args.strip()!r}, {_NS})"]
            if name == "env" and len(args.split()) == 1:
                out.imports.add("os")
                out.magics.append((cell.original_line(number), "%env", _TRANSLATE))
                return [f"{indent}{target.strip()} = os.environ[{args.strip()!r}]"]
            _refuse(cell, "%" + name if name else "%", number, out, collect)
            return [indent + "pass"]
    if _HELP.match(line):
        _refuse(cell, "?", number, out, collect)
        return [line[: len(line) - len(line.lstrip())] + "pass"]
    return [line]


def _shell(command: str, out: Translation) -> list[str]:
    if match := _PIP.match(command):
        out.requirements += _packages(match.group(2))
        return [f"pass  # {command.strip()} (see the requirements comment)"]
    out.helpers.add("_sh")
    return [f"_sh({command.strip()!r}, {_NS})"]


def _packages(args: str) -> list[str]:
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


def _line_magic(
    cell: Cell, name: str, args: str, number: int, out: Translation, collect: bool
) -> list[str]:
    rule = policy("line", name)
    out.magics.append((cell.original_line(number), "%" + name, rule.action))
    if rule.action == _DROP:
        return [f"pass  # %{name} {args}".rstrip()]
    if rule.action == _REQUIREMENTS:
        if args.split()[:1] == ["install"]:
            out.requirements += _packages(args.split(None, 1)[1] if " " in args else "")
        return [f"pass  # %{name} {args} (see the requirements comment)"]
    handler = _LINE_HANDLERS.get(name)
    if rule.action == "refuse" or handler is None:
        _refuse(cell, "%" + name, number, out, collect)
        return ["pass"]
    result = handler(args, out)
    if result is None:
        _refuse(cell, f"%{name} {args}".strip(), number, out, collect)
        return ["pass"]
    return result


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
    out.imports.add("os")
    return [f"os.chdir(os.path.expanduser({args.strip() or '~'!r}))"]


def _system_line(args: str, out: Translation) -> list[str]:
    return _shell(args, out)


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
        return ["pass  # %track status"]
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


_LINE_HANDLERS: dict[str, Callable[[str, Translation], list[str] | None]] = {
    "time": _time_line,
    "env": _env_line,
    "set_env": _env_line,
    "cd": _cd_line,
    "system": _system_line,
    "sx": _system_line,
    "track": _track_line,
}


def _cell_magic(
    cell: Cell, body: list[tuple[int, str]], out: Translation, collect: bool
) -> list[tuple[int, str]]:
    header = (cell.magic_line or "")[2:]
    name, _, args = header.partition(" ")
    rule = policy("cell", name)
    out.magics.append((cell.original_line(1), "%%" + name, rule.action))
    raw = "\n".join(cell.source.split("\n")[1:]) + "\n"  # the body is not Python
    if rule.action == _DROP:
        return [(1, f"pass  # %%{name} cell ({rule.note})")]
    if rule.action == "refuse" or name not in {"time", "bash", "sh", "track", "writefile"}:
        _refuse(cell, "%%" + name, 1, out, collect)
        return [(1, "pass")]
    if name in {"bash", "sh"}:
        out.helpers.add("_sh")
        return [(1, f"_sh({raw!r}, shell={name!r})")]
    if name == "writefile":
        words = args.split()
        append = "-a" in words or "--append" in words
        paths = [w for w in words if not w.startswith("-")]
        if len(paths) != 1:
            _refuse(cell, f"%%writefile {args}".strip(), 1, out, collect)
            return [(1, "pass")]
        out.helpers.add("_write_file")
        return [(1, f"_write_file({paths[0]!r}, {raw!r}, append={append})")]
    if name == "time":
        out.helpers.add("_print_time")
        return [(1, "_time_start = _now()"), *body, (1, "_print_time(_time_start)")]
    return _track_cell(cell, args, body, out, collect)


def _track_cell(
    cell: Cell, args: str, body: list[tuple[int, str]], out: Translation, collect: bool
) -> list[tuple[int, str]]:
    try:
        words = shlex.split(args)
    except ValueError:
        words = args.split()
    options = _track_options(words)
    if options is None:
        _refuse(cell, f"%%track {args}".strip(), 1, out, collect)
        return body
    out.imports.add("mlops_jupyter")
    lines = [(1, f"with {_start_run_call(options)}:")]
    inner = [f"mlops_jupyter.log_param({p!r}, {p})" for p in options["params"]]
    code = "\n".join([*inner, *(text for _, text in body)] or ["pass"])
    code += "".join(f"\nmlops_jupyter.log_metric({m!r}, {m})" for m in options["metrics"])
    numbers = [1] * len(inner) + [n for n, _ in body] + [1] * len(options["metrics"])
    for number, text in zip(numbers or [1], indent_code(code).split("\n")):
        lines.append((number, text))
    return lines


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
        if word == "--no-capture":
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
