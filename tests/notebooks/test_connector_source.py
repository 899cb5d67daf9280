"""notebooks/connector_source.py: which sources the notebooks folder holds, listed again only when it changes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "notebooks"))

import connector_source  # noqa: E402


def test_the_listing_is_read_again_when_the_folder_changes_and_only_then(tmp_path, monkeypatch):
    monkeypatch.setattr(connector_source, "_HERE", tmp_path)
    (tmp_path / "source_github.py").write_text("")
    (tmp_path / "connector_http.py").write_text("")  # not a source
    os.utime(tmp_path, ns=(1_000_000_000, 1_000_000_000))
    assert connector_source.available_sources() == ("github",)

    (tmp_path / "source_gitlab.py").write_text("")
    os.utime(tmp_path, ns=(1_000_000_000, 1_000_000_000))  # as if within the same clock tick: not seen
    assert connector_source.available_sources() == ("github",)

    os.utime(tmp_path, ns=(2_000_000_000, 2_000_000_000))  # what adding a file does to the folder
    assert connector_source.available_sources() == ("github", "gitlab")
    (tmp_path / "source_github.py").unlink()
    assert connector_source.available_sources() == ("gitlab",)
