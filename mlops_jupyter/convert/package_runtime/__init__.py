"""The runtime copied into every converted package: ``runtime.py`` (the step graph, the cache,
steps run alone), ``outputs.py`` (step outputs as pickles and back), ``runtime_dask.py`` (the
Dask executor) and ``runner.py`` (``execute``, here or on Dask, and the command line). The files
import each other relatively, and otherwise only the standard library (cloudpickle, PyYAML and
dask.distributed when present or asked for), never ``mlops_jupyter``: a converted package runs
where mlops-jupyter is not installed."""
