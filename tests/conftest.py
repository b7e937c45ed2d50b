"""Shared fixtures: the gazetteer is loaded once per test session."""

import pytest

from atlas.gazetteer import load_gazetteer


@pytest.fixture(scope="session")
def gaz():
    return load_gazetteer()
