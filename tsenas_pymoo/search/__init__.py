"""The search: the pymoo problems (stage 1, stage 2, mixed-variable), TS-ENAS (Alg. 1-4),
regularized evolution, the stock pymoo algorithms on the same problem, and budgets."""
