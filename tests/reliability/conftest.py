"""One uninterrupted tiny search shared by the kill tests (each compares its killed and
resumed runs with it; a search is the slowest thing these tests do)."""

import pytest

from tests.reliability import harness


@pytest.fixture(scope="session")
def tiny_reference(tmp_path_factory):
    return harness.reference_run(tmp_path_factory.mktemp("tiny") / "reference")
