"""Which statements a kernel template runs: a notebook's imports (leading cells first, later
cells marked), then the warm-ups for the packages it uses."""

from __future__ import annotations

from mlops_jupyter.execution.preimports import LATER, leading_imports
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
    imports = [s for s in found if not s.startswith(LATER)]
    assert imports == [
        "import mlops_jupyter.magics.extension",
        "import matplotlib",
        "import numpy as np, pandas as pd",
        "from sklearn.linear_model import SGDClassifier",
        "import json",
        "import numpy as np",
    ]
    later = [s.removeprefix(LATER) for s in found if s.startswith(LATER)]
    assert later[0] == "import torch"  # a later cell's import, droppable when unsafe
    warmups = "\n".join(later[1:])
    assert "_p.packages()" in warmups  # provenance warmed once, inherited by the kernels
    assert "distribution" in warmups or "local_modules()" in warmups  # model pickling's
    assert "savefig" in warmups and "pyplot" not in warmups  # fonts and renderers, no figure
    assert "pandas.plotting._matplotlib" in warmups
    assert not any("sibling" in s for s in found)
    assert "matplotlib.use('agg')" not in "\n".join(found)  # other statements: kernel only


def test_a_notebook_without_imports_or_with_bad_syntax_gives_none_or_later_ones():
    assert leading_imports(make_notebook(["x = 1", "y = 2"])) == []
    assert leading_imports(make_notebook(["x = 1", "import json"])) == [LATER + "import json"]
    assert leading_imports(make_notebook(["import json(", "import os"])) == [LATER + "import os"]


def test_warm_ups_follow_the_packages_used_and_nothing_else():
    assert leading_imports(make_notebook(["import json"])) == ["import json"]
    found = leading_imports(make_notebook(["import pandas as pd"]))
    assert found[1:] == [LATER + "import pandas.io.formats.html, pandas.io.formats.string"]
