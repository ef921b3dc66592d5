"""The run: one search in one run directory, resumable (``SearchRun``, ``run_search``)."""

from .search_run import SearchRun, run_search

__all__ = ["SearchRun", "run_search"]
