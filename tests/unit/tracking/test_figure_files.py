"""Figures are recorded as the notebook shows them, and the drawing is reused only while the
figure is unchanged."""

from __future__ import annotations

import matplotlib

matplotlib.use("agg")

from IPython.core.pylabtools import print_figure
from matplotlib.figure import Figure

from mlops_jupyter.tracking.artifact_formats import figure_files, rendered_png


def _figure() -> Figure:
    figure = Figure(figsize=(3, 2), dpi=80, facecolor="#fafafa")
    figure.add_subplot().barh(["a long label", "b"], [1, 2])
    return figure


def test_the_png_is_the_one_the_inline_backend_would_show():
    figure = _figure()
    files = {ext: (data, media) for ext, data, media in figure_files(figure)}
    assert files["png"] == (print_figure(figure, "png"), "image/png")
    assert files["svg"][0].startswith(b"<?xml") and files["svg"][1] == "image/svg+xml"


def test_the_drawing_is_reused_only_until_the_figure_changes():
    figure, untouched = _figure(), _figure()
    png = figure_files(figure)[0][1]
    assert rendered_png(figure) == png and rendered_png(untouched) is None
    figure.axes[0].set_title("changed")
    assert rendered_png(figure) is None
