"""Which allocator Arrow's buffers come from: jemalloc (else the C library's malloc), not the wheel's mimalloc.

Every import step allocates and frees hundreds of MB of Arrow buffers (parsed cells, cleaned cells, the
normalised rows, their hand-over to DuckDB). mimalloc gives freed pages back to the operating system shortly after
they are freed, so the next step's buffers are faulted in again, page by page. Measured on this project's benchmark
machine (2 cores, shared), one import of a 1M-row file in a fresh process, same code, only the pool changed
(wall / CPU seconds):

* Kaggle layout (447 MB, long multi-line texts), load 1.3: mimalloc 12.3 / 18.2; jemalloc 9.2 / 14.2; malloc
  8.6 / 13.1 (the parse alone 3.1 -> 2.0 s, cutting the normalised rows into whole row groups 1.7 -> 0.2 s).
  At load 7: mimalloc 30.3 / 20.6 and 29.0 / 18.9; jemalloc 21.5 / 14.5 and 24.0 / 15.6; malloc 25.2 / 14.8
  and 24.3 / 17.6.
* Generator's Zendesk file (199 MB), load 1.3: mimalloc 4.8 / 7.8; malloc 3.2 / 5.1.

jemalloc and malloc are equal within the noise; jemalloc is preferred for the long-running dashboard, whose many
threads fragment malloc's per-thread arenas. Peak memory is the same within 5%. A pool the user chose
(``ARROW_DEFAULT_MEMORY_POOL``) is left alone.
"""

from __future__ import annotations

import os

import pyarrow as pa

#: the environment variable with which Arrow lets a user choose its pool (honoured as it is)
POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def preferred_pool() -> pa.MemoryPool:
    """jemalloc when this pyarrow build has it, else the C library's malloc."""
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:
        return pa.system_memory_pool()


def use_preferred_pool() -> None:
    """Make :func:`preferred_pool` Arrow's default pool for this process, unless the user chose one."""
    if os.environ.get(POOL_VARIABLE):
        return
    pa.set_memory_pool(preferred_pool())
