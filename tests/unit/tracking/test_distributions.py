"""The installed-distribution reader gives what importlib.metadata gives, for less."""

from __future__ import annotations

from importlib import metadata

from mlops_jupyter.tracking import distributions


def test_versions_are_the_ones_importlib_metadata_reads():
    expected = {}
    for dist in metadata.distributions():
        names = dist.metadata.get_all("Name") or []
        if names and names[0]:
            expected[names[0].lower()] = dist.version
    assert distributions.installed_versions() == dict(sorted(expected.items()))
    assert distributions.installed_versions()["sqlalchemy"] == metadata.version("sqlalchemy")


def test_every_module_maps_to_the_distributions_the_stdlib_names():
    """Each importable top-level name of ``packages_distributions()`` (Python 3.11 counts only
    .py files, so it has fewer) maps to the same distributions."""
    ours = distributions.module_distributions()
    stdlib = metadata.packages_distributions()
    for module, names in stdlib.items():
        if module.isidentifier():
            assert sorted(ours.get(module, [])) == sorted(names), module
    assert ours["sklearn"] == ["scikit-learn"]
    assert ours["numpy"] == ["numpy"]


def test_headers_end_at_the_first_empty_line(tmp_path):
    """A long description that mentions ``Name:`` does not rename the distribution."""
    info = tmp_path / "demo_pkg-1.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\r\nName: demo-pkg\r\nVersion: 1.2\r\n\r\nName: not-this\n"
    )
    (info / "RECORD").write_text(
        'demo_pkg/__init__.py,,\ndemo_pkg-1.2.dist-info/METADATA,,\nsolo.py,,\n"odd,name/x.py",,\n'
    )
    (dist,) = metadata.distributions(path=[str(tmp_path)])
    assert distributions._name_and_version(dist) == ("demo-pkg", "1.2")
    tops = {distributions._top_level(p) for p in distributions._record_paths(dist)}
    assert {"demo_pkg", "solo", "odd,name"} <= tops
