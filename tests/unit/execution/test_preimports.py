"""Which imports a kernel template runs: the import lines of a notebook's leading code cells."""

from __future__ import annotations

from mlops_jupyter.execution.preimports import leading_imports
from tests.support.nbhelpers import make_notebook


def test_leading_cells_give_their_imports_only_in_order():
    nb = make_notebook(
        [
            ("x = 1", ["parameters"]),  # passed over wherever it is
            "%load_ext mlops_jupyter\nimport matplotlib\nmatplotlib.use('agg')\n"
            "import numpy as np, pandas as pd\nfrom sklearn.linear_model import SGDClassifier",
            "from . import sibling\nimport json\nimport numpy as np",
            "data = load()  # the first cell that imports nothing ends the leading cells",
            "import torch",
        ]
    )
    found = leading_imports(nb)
    assert found[0] == "import mlops_jupyter.magics.extension"
    assert "_p.packages()" in found[1]  # provenance warmed once, inherited by the kernels
    assert found[2:] == [
        "import matplotlib",
        "import numpy as np, pandas as pd",
        "from sklearn.linear_model import SGDClassifier",
        "import json",
        "import numpy as np",
    ]
    assert "import torch" not in found and not any("sibling" in s for s in found)
    assert "matplotlib.use('agg')" not in found  # other statements run in the kernel only


def test_a_notebook_without_leading_imports_or_with_bad_syntax_gives_none():
    assert leading_imports(make_notebook(["x = 1", "import json"])) == []
    assert leading_imports(make_notebook(["import json(", "import os"])) == []
