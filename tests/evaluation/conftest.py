import pytest

from tsenas_pymoo.evaluation.data import load_dataset


@pytest.fixture(scope="session")
def digits():
    return load_dataset("digits")
