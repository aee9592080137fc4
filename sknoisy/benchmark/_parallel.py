"""Benchmark runs in parallel, behind a progress bar."""

from __future__ import annotations

from joblib import Parallel, delayed


def run_parallel(func, calls, n_jobs, progress, describe):
    """``func(*args, n_threads)`` for each ``args`` of ``calls``, unordered.

    joblib runs them (one torch thread each when ``n_jobs > 1``) behind a
    progress bar that shows ``describe`` of the last result.
    """
    from tqdm.auto import tqdm

    n_threads = None if n_jobs == 1 else 1
    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    results = []
    with tqdm(
        total=len(calls), desc="sknoisy benchmark", unit="run", disable=not progress
    ) as bar:
        for result in parallel(delayed(func)(*args, n_threads) for args in calls):
            results.append(result)
            bar.set_postfix_str(describe(result))
            bar.update()
    return results
