"""The magic policy table: what each IPython magic becomes in plain Python (drop, translate,
requirements, refuse), and the ``Translation`` a translated cell is."""

from __future__ import annotations

from dataclasses import dataclass, field

from mlops_jupyter.errors import UnsupportedMagicError


@dataclass(frozen=True)
class MagicPolicy:
    """What happens to one magic: ``drop``, ``translate``, ``requirements`` or ``refuse``."""

    name: str
    kind: str  # "line" or "cell"
    action: str
    note: str = ""


DROP, TRANSLATE, REQUIREMENTS, REFUSE = "drop", "translate", "requirements", "refuse"
POLICIES: tuple[MagicPolicy, ...] = (
    *(
        MagicPolicy(n, "line", DROP, "notebook housekeeping")
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
    MagicPolicy("timeit", "line", TRANSLATE, "statement timed with timeit, as IPython does"),
    MagicPolicy("timeit", "cell", TRANSLATE, "body timed with timeit, as IPython does"),
    MagicPolicy("capture", "cell", TRANSLATE, "body run with its output captured"),
    MagicPolicy("store", "line", TRANSLATE, "dropped (for other notebooks); `-r` refused"),
    MagicPolicy("time", "line", TRANSLATE, "statement timed with time.perf_counter"),
    MagicPolicy("time", "cell", TRANSLATE, "body timed with time.perf_counter"),
    MagicPolicy("env", "line", TRANSLATE, "os.environ"),
    MagicPolicy("set_env", "line", TRANSLATE, "os.environ"),
    MagicPolicy("cd", "line", TRANSLATE, "os.chdir"),
    MagicPolicy("system", "line", TRANSLATE, "subprocess, like !cmd"),
    MagicPolicy("sx", "line", TRANSLATE, "subprocess, like !cmd"),
    MagicPolicy("bash", "cell", TRANSLATE, "subprocess running bash -c"),
    MagicPolicy("sh", "cell", TRANSLATE, "subprocess running sh -c"),
    MagicPolicy("track", "cell", TRANSLATE, "with mlops_jupyter.start_run(...)"),
    MagicPolicy("track", "line", TRANSLATE, "mlops_jupyter.start_run(...) entered / exited"),
    MagicPolicy("writefile", "cell", TRANSLATE, "file write, printing Writing/Overwriting"),
    *(
        MagicPolicy(n, "cell", DROP, "display only")
        for n in ("html", "javascript", "js", "markdown", "latex", "svg")
    ),
    MagicPolicy("pip", "line", REQUIREMENTS, "moved to the requirements comment"),
    MagicPolicy("conda", "line", REQUIREMENTS, "moved to the requirements comment"),
    MagicPolicy("mamba", "line", REQUIREMENTS, "moved to the requirements comment"),
)
_TABLE = {(p.kind, p.name): p for p in POLICIES}
PYTHON_BODY = frozenset(
    {"time", "track", "timeit", "capture"}
)  # cell magics whose body is Python code


def policy(kind: str, name: str) -> MagicPolicy:
    """Return the policy for a ``line`` or ``cell`` magic; unknown magics are refused."""
    return _TABLE.get((kind, name), MagicPolicy(name, kind, REFUSE, "no plain-Python equivalent"))


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
    ends_notebook: bool = False  # the cell ends with a successful sys.exit() (see rewrite.py)
