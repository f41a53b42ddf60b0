"""Helpers shared by tests of every tier (no tests here): `from tests.support import ROOT`."""

from __future__ import annotations

from pathlib import Path

#: the repository checkout under test
ROOT = Path(__file__).resolve().parents[2]
