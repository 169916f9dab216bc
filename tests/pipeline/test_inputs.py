"""Finding batch items: folders, zips and hostile archives; nothing is extracted or followed."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

from medanon.pipeline import Item, discover
from medanon.pipeline.inputs import MAX_COMPRESSION_RATIO
from tests.conftest import make_ct, write


def ct_bytes(uid: str = "1.2.826.0.1.3680043.2.1125.1.1") -> bytes:
    buffer = io.BytesIO()
    make_ct(SOPInstanceUID=uid).save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def make_zip(path: Path, members: dict[str | zipfile.ZipInfo, bytes],
             compression: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def only(items: list[Item]) -> Item:
    assert len(items) == 1, items
    return items[0]


def by_source(items: list[Item]) -> dict[str, Item]:
    return {item.source: item for item in items}


# --- zip archives --------------------------------------------------------------------------------

def test_zip_member_with_dotdot_path_is_an_error_item(tmp_path):
    archive = make_zip(tmp_path / "a.zip", {"../evil.dcm": ct_bytes()})
    item = only(list(discover([archive])))
    assert item.source == "a.zip!../evil.dcm"
    assert item.error is not None and "'..'" in item.error


def test_zip_member_with_absolute_path_is_an_error_item(tmp_path):
    archive = make_zip(tmp_path / "a.zip", {"/abs.dcm": ct_bytes()})
    item = only(list(discover([archive])))
    assert item.error is not None and "absolute path" in item.error


def test_zip_member_with_windows_drive_path_is_an_error_item(tmp_path):
    archive = make_zip(tmp_path / "a.zip", {"C:/abs.dcm": ct_bytes()})
    assert "absolute path" in (only(list(discover([archive]))).error or "")


def test_zip_symlink_member_is_an_error_item(tmp_path):
    info = zipfile.ZipInfo("link.dcm")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = make_zip(tmp_path / "a.zip", {info: b"/etc/passwd"})
    item = only(list(discover([archive])))
    assert item.error is not None and "symbolic link" in item.error


def test_nested_zip_member_is_an_error_item(tmp_path):
    inner = make_zip(tmp_path / "inner.zip", {"a.dcm": ct_bytes()}).read_bytes()
    archive = make_zip(tmp_path / "outer.zip", {"inner.zip": inner})
    item = only(list(discover([archive])))
    assert item.error is not None and "nested zip" in item.error


def test_highly_compressible_member_is_refused_as_zip_bomb(tmp_path):
    archive = make_zip(tmp_path / "bomb.zip", {"zeros.dcm": bytes(10 * 1024**2)}, zipfile.ZIP_DEFLATED)
    info = zipfile.ZipFile(archive).getinfo("zeros.dcm")
    assert info.file_size / info.compress_size > MAX_COMPRESSION_RATIO
    item = only(list(discover([archive])))
    assert item.error is not None and "zip bomb" in item.error


def test_good_zip_member_is_readable_in_memory(tmp_path):
    data = ct_bytes()
    archive = make_zip(tmp_path / "a.zip", {"study/a.dcm": data}, zipfile.ZIP_DEFLATED)
    item = only(list(discover([archive])))
    assert item.error is None and item.source == "a.zip!study/a.dcm"
    assert item.read_bytes() == data


def test_zip_members_are_never_extracted(tmp_path):
    archive = make_zip(tmp_path / "a.zip", {"study/a.dcm": ct_bytes(), "../evil.dcm": ct_bytes()})
    items = list(discover([archive]))
    for item in items:
        if item.error is None:
            item.read_bytes()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.zip"]


def test_zip_directory_entries_are_not_items(tmp_path):
    archive = make_zip(tmp_path / "a.zip", {"study/": b"", "study/a.dcm": ct_bytes()})
    assert [item.source for item in discover([archive])] == ["a.zip!study/a.dcm"]


def test_bad_members_do_not_hide_good_ones(tmp_path):
    archive = make_zip(tmp_path / "a.zip", {"../evil.dcm": ct_bytes(), "good.dcm": ct_bytes()})
    items = by_source(list(discover([archive])))
    assert items["a.zip!../evil.dcm"].error is not None
    assert items["a.zip!good.dcm"].error is None


def test_zip_member_with_bad_crc_raises_on_read(tmp_path):
    data = ct_bytes()
    raw = bytearray(make_zip(tmp_path / "a.zip", {"a.dcm": data}).read_bytes())
    at = raw.find(b"Acacia")
    raw[at] = ord("X")
    archive = tmp_path / "a.zip"
    archive.write_bytes(bytes(raw))
    item = only(list(discover([archive])))
    with pytest.raises(zipfile.BadZipFile, match="CRC"):
        item.read_bytes()


def test_garbage_named_zip_gives_error_item(tmp_path):
    archive = tmp_path / "broken.zip"
    archive.write_bytes(b"this is not a zip archive\n" * 50)
    item = only(list(discover([archive])))
    assert item.path is None and item.error is not None and "unreadable zip archive" in item.error


def test_truncated_zip_in_folder_gives_error_item(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    whole = make_zip(tmp_path / "whole.zip", {"a.dcm": ct_bytes()}).read_bytes()
    (folder / "cut.zip").write_bytes(whole[:-30])  # end of central directory lost
    item = only(list(discover([folder])))
    assert item.source == "cut.zip" and "unreadable zip archive" in (item.error or "")


# --- folders -------------------------------------------------------------------------------------

def test_folder_walk_recurses_into_subfolders(tmp_path):
    write(make_ct(), tmp_path / "in" / "a.dcm")
    write(make_ct(), tmp_path / "in" / "sub" / "deeper" / "b.dcm")
    sources = [item.source for item in discover([tmp_path / "in"])]
    assert sources == ["a.dcm", os.path.join("sub", "deeper", "b.dcm")]


def test_folder_walk_enters_zip_archives(tmp_path):
    (tmp_path / "in").mkdir()
    make_zip(tmp_path / "in" / "x.zip", {"a.dcm": ct_bytes()})
    assert [item.source for item in discover([tmp_path / "in"])] == ["x.zip!a.dcm"]


def test_folder_walk_skips_hidden_and_system_files(tmp_path):
    folder = tmp_path / "in"
    write(make_ct(), folder / "a.dcm")
    (folder / ".DS_Store").write_bytes(b"x")
    (folder / "Thumbs.db").write_bytes(b"x")
    write(make_ct(), folder / ".hidden" / "b.dcm")
    assert [item.source for item in discover([folder])] == ["a.dcm"]


def test_symlinked_file_in_folder_is_not_followed(tmp_path):
    outside = write(make_ct(), tmp_path / "outside" / "secret.dcm")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "link.dcm").symlink_to(outside)
    item = only(list(discover([folder])))
    assert item.path is None and item.error is not None and "symbolic link" in item.error


def test_symlinked_folder_is_not_entered(tmp_path):
    write(make_ct(), tmp_path / "outside" / "secret.dcm")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "linked").symlink_to(tmp_path / "outside", target_is_directory=True)
    assert list(discover([folder])) == []


def test_excluded_output_folder_is_not_entered(tmp_path):
    folder = tmp_path / "in"
    write(make_ct(), folder / "a.dcm")
    write(make_ct(), folder / "out" / "released.dcm")
    sources = [item.source for item in discover([folder], exclude=(folder / "out",))]
    assert sources == ["a.dcm"]


def test_missing_input_gives_error_item(tmp_path):
    item = only(list(discover([tmp_path / "nope"])))
    assert item.error == "input does not exist" and item.path is None


def test_single_file_input_is_one_item(tmp_path):
    path = write(make_ct(), tmp_path / "a.dcm")
    item = only(list(discover([path])))
    assert item.path == path and item.error is None and item.source == "a.dcm"


def test_item_without_data_refuses_read():
    with pytest.raises(ValueError, match="no data"):
        Item(source="x").read_bytes()
