"""Regenerate the converter's test corpus: notebooks written to break converters, each with a
YAML file of what must happen to it (`python tests/data/notebooks/build_corpus.py`)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

HERE = Path(__file__).parent
KERNEL = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
          "language_info": {"name": "python"}}


def code(source: str, tags: list[str] | None = None, count: int | None = None) -> dict:
    return {"cell_type": "code", "execution_count": count, "metadata": {"tags": tags} if tags else {},
            "outputs": [], "source": source}


def md(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def counted(cells: list[dict]) -> list[dict]:
    n = 0
    for cell in cells:
        if cell["cell_type"] == "code" and cell["execution_count"] is None:
            n += 1
            cell["execution_count"] = n
    return cells


CORPUS: dict[str, tuple[list[dict], dict]] = {}

CORPUS["magics_policy"] = (counted([
    md("# Magics of every convertible policy kind: drop, translate, requirements"),
    code("%matplotlib inline\n%load_ext autoreload\n%autoreload 2\n%config InlineBackend.figure_format = 'retina'\nimport os"),
    code("%pip install -q --no-index numpy"),
    code("%env MLOPS_DEMO=hello\nprint(os.environ['MLOPS_DEMO'])"),
    code("!echo shell says hi\nfiles = !printf 'a\\nb\\n'\nprint(files)"),
    code("%%bash\necho from bash\necho $((1 + 2))"),
    code("%%time\ntotal = sum(range(1000))\nprint(total)"),
    code("%time squares = [i * i for i in range(10)]\nprint(squares[-1])"),
    code("n = 3\n!echo n is {n}\nif n > 2:\n    !echo indented shell line"),
    code("%%writefile note.txt\nhello file\n  second line"),
    code("%%writefile -a note.txt\nappended"),
    code("print(repr(open('note.txt').read()))"),
    code("%%html\n<b>display only</b>"),
]), {"check": [], "script": "match", "convert": "ok", "requirements": ["numpy"]})

CORPUS["refused_magic"] = (counted([
    code("import math"),
    code("%prun math.sqrt(2)"),
    code("x = 1\n%run helper.py"),
    code("%%ruby\nputs 'hidden'"),
    code("math.sqrt?"),
]), {"check": [["unsupported-magic", 1], ["unsupported-magic", 2], ["unsupported-magic", 3],
               ["unsupported-magic", 4]],
     "script": "refuse", "convert": "refuse", "error": "cell 1, line 1: the magic '%prun'"})

CORPUS["track_magic"] = (counted([
    code("%load_ext mlops_jupyter"),
    code("lr = 0.5  # learning rate", ["parameters"]),
    code("%%track --name baseline --params lr --metrics acc\nacc = 1 - lr / 10\nprint(f'acc={acc:.2f}')"),
]), {"check": [], "script": "stub", "stdout": "acc=0.95\n",
     "convert": "needs-tracking"})

CORPUS["out_of_order"] = ([
    code("start = 10", ["parameters"], 1),
    code("values = [start + i for i in range(3)]\nprint(values)", None, 4),
    code("values.append(99)\nprint(len(values))", None, 2),
    code("total = sum(values)\nprint(total)", None, 3),
], {"check": [["out-of-order", 2], ["out-of-order", 3]], "script": "match", "convert": "ok"})

CORPUS["use_before_def"] = ([
    code("print(greeting)", None, 2),
    code("greeting = 'hello'", None, 1),
    code("print(undefined_thing)", None, 3),
], {"check": [["use-before-def", 0], ["out-of-order", 1], ["undefined-name", 2]],
    "script": "fails", "error_name": "NameError", "convert": "refuse",
    "error": "'greeting' is used before the cell that defines it"})

CORPUS["globals_functions"] = (counted([
    code("factor = 3  # multiplier\noffset = 0.5", ["parameters"]),
    code("def scale(x):\n    return x * factor + offset"),
    code("#| step: compute\nresults = [scale(v) for v in range(4)]\nprint(results)"),
    code("def double(x):\n    return helper(x) * 2"),
    code("def helper(x):\n    return x + 1"),
    code("class Counter:\n    def __init__(self):\n        self.n = 0\n\n    def bump(self):\n        self.n += 1"),
    code("def total_of(values):\n    return sum(double(v) for v in values)"),
    code("#| step: final\ncounter = Counter()\nfor r in results:\n    counter.bump()\nprint(counter.n, total_of(results))"),
]), {"check": [], "script": "match", "convert": "ok"})

CORPUS["ambiguous"] = (counted([
    code("from math import *"),
    code("radius = 2.0\narea = pi * radius ** 2\nprint(round(area, 3))"),
    code("counter = 0\ndef bump():\n    global counter\n    counter += 1"),
    code("bump()\nbump()\nprint(counter)"),
    code("names = sorted(k for k in globals() if k.startswith('are'))\nprint(names)"),
]), {"check": [["ambiguous-dependency", 2], ["ambiguous-dependency", 4]],  # a star import is fine
     "script": "match", "convert": "refuse", "error": "cannot convert"})

CORPUS["inplace_mutation"] = (counted([
    code("threshold = 0.5", ["parameters"]),
    code("import numpy as np\nimport pandas as pd"),
    code("def add_flag(frame, limit):\n    frame['flag'] = frame['value'] > limit"),
    code("#| step: load\ndf = pd.DataFrame({'value': [0.1, 0.7, np.nan, 0.9], 'name': ['a', 'b', 'c', 'd']})\nprint(len(df))"),
    code("#| step: clean\ndf.dropna(inplace=True)\ndf['value'] *= 2\nadd_flag(df, threshold)\nprint(df.to_string())"),
    code("#| step: report\nflagged = df[df['flag']]\nprint(flagged['name'].tolist())"),
    code("assert flagged['flag'].all()\nassert len(df) == 3", ["test"]),
]), {"check": [], "script": "match", "convert": "ok"})

CORPUS["multi_io"] = (counted([
    md("## Several inputs and outputs per step, tuple unpacking, augmented assignment, `del`"),
    code("n_samples = 60  # number of rows\nseed = 42  # random seed\nalpha = 0.1  # ridge penalty\n"
         "features = ['x1', 'x2']  # feature names", ["parameters"]),
    code("import numpy as np\nimport pandas as pd\nfrom sklearn.linear_model import Ridge"),
    code("#| step: make_data\nrng = np.random.default_rng(seed)\nX = rng.normal(size=(n_samples, len(features)))\n"
         "y = X @ np.array([1.5, -2.0]) + rng.normal(scale=0.1, size=n_samples)\nprint(X.shape, y.shape)"),
    code("#| step: split\nn_train = int(0.75 * len(X))\nX_train, X_test = X[:n_train], X[n_train:]\n"
         "y_train, y_test = y[:n_train], y[n_train:]\ndel n_train"),
    code("#| step: fit\nmodel = Ridge(alpha=alpha)\nmodel.fit(X_train, y_train)\n"
         "coef = {name: round(float(c), 3) for name, c in zip(features, model.coef_)}\nprint(coef)"),
    code("#| step: evaluate\npred = model.predict(X_test)\nmse = float(np.mean((pred - y_test) ** 2))\n"
         "scores = [mse]\nscores += [float(np.abs(pred - y_test).max())]\nprint(f'mse={mse:.4f}')"),
    code("#| step: report\n#| after: fit\nreport = pd.DataFrame({'metric': ['mse', 'max_err'], 'value': scores})\n"
         "print(report.round(4).to_string(index=False))"),
    code("#| test\nassert mse < 0.1\nassert set(coef) == set(features)"),
]), {"check": [], "script": "match", "convert": "ok",
     "steps": ["make_data", "split", "fit", "evaluate", "report"],
     "outputs": {"split": ["X_train", "X_test", "y_train", "y_test"], "evaluate": ["scores", "mse"]},
     "inputs": {"evaluate": ["model", "X_test", "y_test"]}})

CORPUS["classes"] = (counted([
    code("from dataclasses import dataclass, field"),
    code("@dataclass\nclass Account:\n    owner: str\n    balance: float = 0.0\n"
         "    history: list = field(default_factory=list)\n\n    def deposit(self, amount):\n"
         "        self.balance += amount\n        self.history.append(amount)"),
    code("class Bank:\n    def __init__(self):\n        self.accounts = {}\n\n    def open(self, owner):\n"
         "        self.accounts[owner] = Account(owner)\n        return self.accounts[owner]"),
    code("#| step: open_accounts\nbank = Bank()\nalice = bank.open('alice')\nbob = bank.open('bob')"),
    code("#| step: transact\nalice.deposit(100)\nbob.deposit(50.5)\nalice.deposit(-20)\nprint(alice, bob)"),
    code("#| step: totals\ntotal = sum(a.balance for a in bank.accounts.values())\nprint(f'total={total}')"),
]), {"check": [], "script": "match", "convert": "ok"})

CORPUS["plot_only"] = (counted([
    code("%matplotlib inline\nimport matplotlib.pyplot as plt\nimport numpy as np"),
    code("#| step: data\nxs = np.linspace(0, 1, 11)\nys = xs ** 2\nprint(round(float(ys.sum()), 3))"),
    code("#| step: plot\nfig, ax = plt.subplots()\nax.plot(xs, ys)\nax.set_title('squares')\nplt.show()"),
    code("plt.close('all')\nprint('plotted')"),
    code("#| step: save\nfig.savefig('squares.png')\nprint(fig.axes[0].get_title())"),
]), {"check": [], "script": "match", "convert": "ok"})

CORPUS["empty"] = ([], {"check": [], "script": "match", "convert": "ok"})

CORPUS["markdown_only"] = ([
    md("# Notes\n\nNothing to run here."),
    {"cell_type": "raw", "metadata": {}, "source": "raw text"},
    md("* a list\n* of things"),
], {"check": [], "script": "match", "convert": "ok"})

CORPUS["non_ascii"] = (counted([
    md("# Données — température °C ☃"),
    code("ville = 'Zürich'  # nom de la ville 🌍\nseuil = 2.5  # seuil en °C", ["parameters"]),
    code("températures = [1.5, 3.0, -0.5, 4.25]\nprint(f'{ville}: {len(températures)} mesures')"),
    code("#| step: analyse\nau_dessus = [t for t in températures if t > seuil]\n"
         "résumé = f'{len(au_dessus)} au-dessus de {seuil}°C ✓'\nprint(résumé)"),
    code('texte = """ligne un — é\n    ligne deux indentée ☃\n"""\nprint(texte)'),
]), {"check": [], "script": "match", "convert": "ok"})

CORPUS["no_parameters"] = (counted([
    code("import statistics"),
    code("data = [3, 1, 4, 1, 5, 9, 2, 6]\nmean = statistics.mean(data)"),
    code("data.sort()\nmedian = statistics.median(data)\nprint(mean, median, data)"),
    code("import this_module_does_not_exist  # exploratory, skipped", ["skip"]),
    code("assert median == 3.5", ["test"]),
]), {"check": [], "script": "match", "convert": "ok"})

CORPUS["unseeded_random"] = (counted([
    code("import random"),
    code("#| step: sample\nvalues = [random.random() for _ in range(3)]\nprint(len(values))"),
    code("#| step: total\ntotal = sum(values)\nprint(total > 0)"),
]), {"check": [["nondeterministic", 1]], "script": "match", "convert": "refuse",
     "error": r"step 'sample' returns 'values', which depends on random without a seed "
              r"\(random.random\(\)\)"})


def main() -> None:
    for name, (cells, expected) in CORPUS.items():
        for index, cell in enumerate(cells):
            cell["id"] = f"{name[:20]}-{index}"
        nb = {"cells": cells, "metadata": KERNEL, "nbformat": 4, "nbformat_minor": 5}
        (HERE / f"{name}.ipynb").write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n",
                                            encoding="utf-8")
        (HERE / f"{name}.yaml").write_text(yaml.safe_dump(expected, sort_keys=False,
                                                          allow_unicode=True), encoding="utf-8")
    bad = HERE / "bad"
    bad.mkdir(exist_ok=True)
    (bad / "invalid_json.ipynb").write_text('{"cells": [ {"cell_type": "code",', encoding="utf-8")
    (bad / "nbformat3.ipynb").write_text(json.dumps({
        "nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"},
        "worksheets": [{"cells": [{"cell_type": "code", "input": "print(1)", "language": "python",
                                   "outputs": []}]}]}, indent=1) + "\n", encoding="utf-8")
    (bad / "r_kernel.ipynb").write_text(json.dumps({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}},
        "cells": [code("print('hello from R')")]}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
