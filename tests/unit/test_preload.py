"""The frame's preload names Streamlit chunks that exist."""

from __future__ import annotations

from ui import preload


def test_every_preloaded_element_is_a_chunk_of_this_streamlit_build():
    # a Streamlit upgrade that renames a chunk would silently drop it from the preload
    found = {name.split(".")[0] for name in preload.CHUNKS}
    assert found == set(preload.ELEMENTS)
    assert all((preload._JS / name).is_file() for name in preload.CHUNKS)
