"""Which store file a workspace's index lives in, and which code its records were made by."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from goldcrest import __version__
from goldcrest.context import declarations, symbols

from . import extract as extract_module
from . import imports as imports_module
from . import store as store_module


def store_version() -> str:
    """Stored records are valid only for the code that extracted them: a change to any of these
    modules (or a new release) re-indexes everything once."""
    digest = hashlib.blake2b(__version__.encode(), digest_size=8)
    for module in (declarations, symbols, extract_module, imports_module, store_module):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()


def store_path(cache_dir: Path, roots: Sequence[Path]) -> Path:
    """One SQLite file per workspace, beside the answer cache."""
    key = "\n".join(sorted(r.as_posix() for r in roots)).encode()
    return cache_dir.parent / "index" / f"{hashlib.blake2b(key, digest_size=8).hexdigest()}.sqlite"
