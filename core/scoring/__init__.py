"""Who gets judged and at what cost: sampling, judges, budgets, judging of runs."""
