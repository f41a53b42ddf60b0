"""FACE magics: everything that needs an IPython shell (%%track, %runs, capture, hidden state)."""

from mlops_jupyter.magics.extension import load_ipython_extension, unload_ipython_extension

__all__ = ["load_ipython_extension", "unload_ipython_extension"]
