"""Arrow's buffers come from jemalloc (else malloc), not mimalloc, in every process that imports cx_metrics
(cx_metrics.allocator), unless the user chose a pool. Each check runs in a fresh interpreter: the pool is a
property of the process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cx_metrics.allocator import POOL_VARIABLE, preferred_pool

_SHOW = ("import cx_metrics.ingest.reader, pyarrow as pa; "
         "print(pa.default_memory_pool().backend_name, pa.array(['x' * 100] * 10).buffers()[2].size)")


def _pool(env: dict[str, str]) -> str:
    out = subprocess.run([sys.executable, "-c", _SHOW], capture_output=True, text=True, check=True, env=env)
    return out.stdout.split()[0]


def test_arrow_does_not_allocate_with_mimalloc_by_default() -> None:
    env = {k: v for k, v in os.environ.items() if k != POOL_VARIABLE}
    assert _pool(env) == preferred_pool().backend_name
    assert preferred_pool().backend_name in ("jemalloc", "system")


@pytest.mark.parametrize("chosen", ["jemalloc", "mimalloc"])
def test_a_pool_the_user_chose_is_kept(chosen: str) -> None:
    import pyarrow as pa

    available = {"jemalloc": pa.jemalloc_memory_pool, "mimalloc": pa.mimalloc_memory_pool}[chosen]
    try:
        available()
    except NotImplementedError:
        pytest.skip(f"this pyarrow build has no {chosen}")
    assert _pool({**os.environ, POOL_VARIABLE: chosen}) == chosen
