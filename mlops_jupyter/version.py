"""The package version (a leaf: anything may import it, it imports nothing of ours but the
build's)."""

try:
    from mlops_jupyter._version import __version__
except ImportError:  # a source tree that was never built by hatch
    __version__ = "0.1.0.dev0"

__all__ = ["__version__"]
