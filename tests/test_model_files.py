"""The embedded model is assembled from its slices once and refused unless it is the real file."""

from __future__ import annotations

import hashlib

import pytest

from goldcrest.backends import model_files


def _parts(tmp_path, blobs):
    paths = []
    for i, blob in enumerate(blobs):
        path = tmp_path / f"part{i:02d}.bin"
        path.write_bytes(blob)
        paths.append(path)
    return paths


def test_assembles_verified_file_once(tmp_path, monkeypatch):
    blobs = [b"abc" * 1000, b"def" * 1000]
    whole = b"".join(blobs)
    monkeypatch.setattr(model_files, "part_paths", lambda: _parts(tmp_path, blobs))
    monkeypatch.setattr(model_files, "EXPECTED_SIZE", len(whole))
    monkeypatch.setattr(model_files, "EXPECTED_SHA256", hashlib.sha256(whole).hexdigest())
    target = model_files.ensure_default_model(tmp_path / "models")
    assert target.read_bytes() == whole
    monkeypatch.setattr(model_files, "part_paths", lambda: pytest.fail("reassembled"))
    assert model_files.ensure_default_model(tmp_path / "models") == target


def test_refuses_slices_that_are_not_the_official_file(tmp_path, monkeypatch):
    blobs = [b"abc" * 1000, b"xyz" * 1000]
    monkeypatch.setattr(model_files, "part_paths", lambda: _parts(tmp_path, blobs))
    monkeypatch.setattr(model_files, "EXPECTED_SIZE", 6000)
    monkeypatch.setattr(model_files, "EXPECTED_SHA256", "0" * 64)
    with pytest.raises(model_files.ModelFileError, match="do not add up"):
        model_files.ensure_default_model(tmp_path / "models")
    assert not (tmp_path / "models" / model_files.MODEL_FILE).exists()


def test_a_tampered_assembled_file_is_rebuilt(tmp_path, monkeypatch):
    blobs = [b"abc" * 1000]
    whole = b"".join(blobs)
    monkeypatch.setattr(model_files, "part_paths", lambda: _parts(tmp_path, blobs))
    monkeypatch.setattr(model_files, "EXPECTED_SIZE", len(whole))
    monkeypatch.setattr(model_files, "EXPECTED_SHA256", hashlib.sha256(whole).hexdigest())
    target = model_files.ensure_default_model(tmp_path / "models")
    target.write_bytes(b"x" * len(whole))  # same size, new mtime: the marker no longer matches
    assert model_files.ensure_default_model(tmp_path / "models").read_bytes() == whole


def test_missing_slices_say_how_to_install(monkeypatch):
    monkeypatch.setattr(model_files.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(model_files.ModelFileError, match=r"goldcrest\[embedded\]"):
        model_files.part_paths()
