"""Bad values, unknown kernels and invalid sweep points are refused before any kernel starts,
and nothing is recorded."""

from __future__ import annotations

import time

import pytest

from mlops_jupyter.errors import InvalidParameterError, UnknownParameterError
from mlops_jupyter.execution import kernels as kernels_module
from mlops_jupyter.execution import run_notebook, sweep_notebook
from mlops_jupyter.store import open_store
from tests.support.nbhelpers import copy_notebook


@pytest.mark.parametrize(
    "values, message",
    [
        ({"epochs": "three"}, "'three' is not a valid int"),
        ({"lrr": 0.2}, "unknown parameter 'lrr'"),
        ({"flag": 2}, "2 is not a valid bool"),
    ],
)
def test_bad_values_are_refused_before_any_kernel_starts(tmp_path, monkeypatch, values, message):
    def no_kernels(*args, **kwargs):
        raise AssertionError("a kernel pool was created for invalid parameters")

    monkeypatch.setattr(kernels_module.KernelPool, "__init__", no_kernels)
    nb = copy_notebook("typed.ipynb", tmp_path)
    started = time.perf_counter()
    with pytest.raises(InvalidParameterError, match=message):
        run_notebook(nb, values)
    assert time.perf_counter() - started < 3.0  # no kernel boot, no execution
    assert open_store().count_runs() == 0


def test_unknown_kernel_is_refused_before_anything_is_recorded(tmp_path):
    from mlops_jupyter.errors import UnknownKernelError

    with pytest.raises(
        UnknownKernelError, match=r"no kernel named 'nope'; installed kernels:.*'python3'"
    ):
        run_notebook(copy_notebook("typed.ipynb", tmp_path), kernel_name="nope")
    assert open_store().count_runs() == 0


def test_invalid_point_is_refused_before_any_kernel(tmp_path, monkeypatch):
    monkeypatch.setattr(
        kernels_module.KernelPool, "__init__", lambda *a, **k: pytest.fail("kernel pool created")
    )
    nb = copy_notebook("typed.ipynb", tmp_path)
    with pytest.raises(UnknownParameterError, match="'depth'"):
        sweep_notebook(nb, [{"lr": 0.1}, {"depth": 3}])
    assert open_store().count_runs() == 0
