"""Fetching the cross-file suite's projects, without network: a local index stands in for the
registry, and the registries' own clients (pip, npm) do the fetching."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from goldcrest.evaluation.sources import Source, SourceError, fetch


def _wheel(folder: Path) -> Path:
    """A pure-Python wheel of a two-module package, as PyPI would serve it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "shopkit-1.0-py3-none-any.whl"
    info = "shopkit-1.0.dist-info"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("shopkit/__init__.py", "from .core import run\n")
        zf.writestr("shopkit/core.py", "def run(x):\n    return x\n")
        zf.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: shopkit\nVersion: 1.0\n")
        zf.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        zf.writestr(f"{info}/RECORD", "")
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_pinned_wheel_is_fetched_checked_unpacked_and_reused(tmp_path: Path):
    index = tmp_path / "index"
    wheel = _wheel(index)
    source = Source("shopkit", "pypi", "shopkit", "1.0", _digest(wheel), "shopkit", "python")
    cache = tmp_path / "cache"
    root = fetch(source, cache, index)
    assert sorted(p.name for p in root.iterdir()) == ["__init__.py", "core.py"]
    shutil.rmtree(index)  # the second time nothing is downloaded
    assert fetch(source, cache, index) == root
    assert [p.name for p in cache.iterdir()] == ["shopkit-1.0"]  # no temporary left


def test_a_file_that_is_not_the_pinned_one_is_refused(tmp_path: Path):
    index = tmp_path / "index"
    _wheel(index)
    source = Source("shopkit", "pypi", "shopkit", "1.0", "0" * 64, "shopkit", "python")
    with pytest.raises(SourceError, match="not the pinned"):
        fetch(source, tmp_path / "cache", index)
    assert not (tmp_path / "cache" / "shopkit-1.0").exists()


def test_a_missing_package_says_what_failed(tmp_path: Path):
    (tmp_path / "index").mkdir()
    source = Source("nope", "pypi", "nope", "9.9", "0" * 64, "nope", "python")
    with pytest.raises(SourceError, match=r"cannot fetch nope 9\.9 from pypi"):
        fetch(source, tmp_path / "cache", tmp_path / "index")


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_an_npm_tarball_is_packed_by_npm_and_unpacked(tmp_path: Path):
    index = tmp_path / "index"
    index.mkdir()
    files = {
        "package/package.json": '{"name": "tabs", "version": "2.0.0"}',
        "package/lib/util.js": "export const one = () => 1;\n",
    }
    with tarfile.open(index / "tabs-2.0.0.tgz", "w:gz") as tf:
        for name, text in files.items():
            data = text.encode()
            entry = tarfile.TarInfo(name)
            entry.size = len(data)
            tf.addfile(entry, io.BytesIO(data))
    unpinned = Source("tabs", "npm", "tabs", "2.0.0", "0" * 64, "package/lib", "javascript")
    with pytest.raises(SourceError) as refused:
        fetch(unpinned, tmp_path / "cache", index)
    found = re.search(r"SHA-256 ([0-9a-f]{64})", str(refused.value))
    assert found is not None
    pinned = Source("tabs", "npm", "tabs", "2.0.0", found.group(1), "package/lib", "javascript")
    root = fetch(pinned, tmp_path / "cache", index)
    assert (root / "util.js").read_text() == files["package/lib/util.js"]
