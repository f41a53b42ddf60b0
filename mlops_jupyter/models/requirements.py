"""The exact package versions a model needs: the distributions behind the modules its pickle
imports, plus its flavour's own packages, pinned to what is installed here."""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version

from mlops_jupyter.models.pickling import distribution_roots

#: Distributions that never belong in a model's requirements (they are the tooling around it).
_SKIP = {"mlops-jupyter", "mlops_jupyter", "pip", "setuptools", "wheel", "ipykernel", "ipython"}


def pinned(distribution: str) -> str | None:
    """``name==version`` for an installed distribution, None when it is not installed."""
    try:
        return f"{distribution}=={version(distribution)}"
    except PackageNotFoundError:
        return None


def requirements_for(modules: Iterable[str], packages: Iterable[str] = ()) -> list[str]:
    """Pinned requirements for top-level `modules` and the distributions in `packages`."""
    roots = distribution_roots()
    names: set[str] = set(packages)
    for module in modules:
        if module in sys.stdlib_module_names:
            continue
        names.update(roots.get(module, []))
    found = {pin for n in names if n.lower() not in _SKIP and (pin := pinned(n))}
    return sorted(found, key=str.lower)


def python_version() -> str:
    """The interpreter version the model was saved with."""
    return platform.python_version()
