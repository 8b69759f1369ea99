"""Files the platform keeps for a while only (uploads waiting for a job, error reports)."""

from __future__ import annotations

import time
from collections.abc import Collection
from pathlib import Path


def delete_older_than(directory: Path, seconds: float, *, keep: Collection[str] = (),
                      now: float | None = None) -> int:
    """Delete the files of ``directory`` last written more than ``seconds`` ago, but
    those whose path is in ``keep``; how many were deleted (none if there is no such
    directory). A file deleted meanwhile by another process is skipped."""
    if not directory.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - seconds
    deleted = 0
    for path in directory.iterdir():
        try:
            if path.is_file() and str(path) not in keep and path.stat().st_mtime < cutoff:
                path.unlink()
                deleted += 1
        except FileNotFoundError:
            continue
    return deleted
