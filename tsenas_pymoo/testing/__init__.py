"""Helpers the tests and the benchmarks share (no pytest needed): the tiny CLI search
(:mod:`.tiny`) and the fault harness that kills it at named points and compares the resumed
run with an uninterrupted one (:mod:`.harness`)."""
