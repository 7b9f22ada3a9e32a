"""File identity under the crash loop's two exactly-once bugs, reproduced
step by step on real files (no timing, no luck with inode numbers).

Lost lines: a file found empty (or half a line long) and written before it
was read got a checkpoint at its end under the fingerprint of what discovery
saw ("0:..." or the first bytes of a line), which matches other content; a
later file with that inode or those first bytes continued at that offset.
Read twice: an empty file's row at offset 0 claimed, by inode, the
copytruncate copy that was given its inode.
"""

from __future__ import annotations

import os
import shutil
import time

from ingest_helpers import count, counter, ids, line, native, source_config, write_lines

from evaltop.core.ingest.pipeline import Ingestor, commit, ingest_once
from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.ingest.tail.fileid import FP_BYTES, file_key, fingerprint, fp_len
from evaltop.core.ingest.tail.jsonl_tail import Tailer
from evaltop.core.ingest.workers import Preparer
from evaltop.store import checkpoints as store_cp


def _ids(nums):
    return sorted(f"o{i}" for i in nums)


def _read_with_writes_between(cfg, conn, folder, between) -> None:
    """One poll of ``app.jsonl*`` committing batch by batch, calling
    ``between()`` after the first batch: files were planned (their first
    bytes taken) before it ran, and the later ones are read after it."""
    tailer = Tailer("app", folder / "app.jsonl*")
    prep = Preparer(cfg, PriceBook.from_config(cfg), workers=0)
    try:
        for n, batch in enumerate(tailer.batches(conn)):
            now = time.time()
            commit(conn, batch, prep.submit(batch, "native", now).result(), now)
            if n == 0:
                between()
    finally:
        prep.close()
        tailer.close()


def _found_then_written(tmp_path, make_config, conn, start: bytes, nums) -> tuple:
    """``app.jsonl`` (read first) and ``app.jsonl.b`` holding ``start`` when
    the poll plans, then ``nums`` written to it before it is read."""
    cfg = source_config(make_config, "app.jsonl*")
    first, later = tmp_path / "app.jsonl", tmp_path / "app.jsonl.b"
    write_lines(first, [native(i) for i in range(3)])
    later.write_bytes(start)
    os.utime(first, (1_000_000, 1_000_000))  # planned (and read) before the later file

    def write_later():
        with open(later, "ab") as fh:
            fh.write(line(native(nums[0]))[len(start):])
            for i in nums[1:]:
                fh.write(line(native(i)))

    _read_with_writes_between(cfg, conn, tmp_path, write_later)
    assert ids(conn) == _ids([0, 1, 2, *nums])
    (row,) = [r for r in store_cp.load(conn, "app") if r.path == str(later)]
    assert row.offset == later.stat().st_size
    return cfg, later, row


def test_file_found_empty_and_written_before_read_is_fingerprinted_over_what_was_read(
        tmp_path, make_config, conn):
    cfg, later, row = _found_then_written(tmp_path, make_config, conn, b"", range(10, 70))
    # the same inode now holds other, longer content (what inode reuse looks like)
    ino = later.stat().st_ino
    write_lines(later, [native(i, pad=5) for i in range(100, 170)], mode="wb")
    assert later.stat().st_ino == ino and later.stat().st_size > row.offset
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.rejected, s.duplicates) == (70, 0, 0)
    assert ids(conn) == _ids([0, 1, 2, *range(10, 70), *range(100, 170)])
    assert fp_len(row.fingerprint) == FP_BYTES  # over what was read, not the "0:..." discovery saw


def test_half_line_fingerprint_does_not_carry_its_offset_to_other_content(
    tmp_path, make_config, conn
):
    half = line(native(10))[:7]  # '{"id": ' : the first bytes of every line
    cfg, later, row = _found_then_written(tmp_path, make_config, conn, half, range(10, 70))
    os.remove(later)  # gone; another file with other lines appears
    write_lines(tmp_path / "app.jsonl.c", [native(i, pad=5) for i in range(100, 170)])
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.rejected, s.duplicates) == (70, 0, 0)
    assert count(conn, "outputs") == 3 + 60 + 70
    assert fp_len(row.fingerprint) == FP_BYTES


def test_checkpoint_fingerprinted_over_fewer_bytes_than_it_read_is_not_trusted(
    tmp_path, make_config, conn
):
    """A row written before the fix (offset past its fingerprint) that the
    file's first bytes match: the file is read from 0, nothing skipped."""
    cfg = source_config(make_config, "app.jsonl")
    log = tmp_path / "app.jsonl"
    write_lines(log, [native(i) for i in range(10)])
    st, fp = log.stat(), fingerprint(b"")
    store_cp.save(conn, store_cp.Checkpoint("app", file_key(st.st_dev, st.st_ino, fp), str(log),
                                            offset=st.st_size // 2, line_no=5, fingerprint=fp))
    conn.commit()
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.rejected) == (10, 0)
    assert [r.offset for r in store_cp.load(conn, "app")] == [st.st_size]


def test_copytruncate_copy_on_an_empty_files_inode_continues_at_the_originals_offset(
    tmp_path, make_config
):
    """The copy is made into the inode an empty, already-seen file has (here
    the empty file itself, so the inode is the same without luck)."""
    log, empty = tmp_path / "app.jsonl", tmp_path / "app.jsonl.1"
    cfg = source_config(make_config, "app.jsonl*")
    write_lines(log, [native(i, pad=40) for i in range(5)])
    empty.touch()
    ing = Ingestor(cfg, cfg.db_path)
    try:
        assert ing.poll().outputs == 5  # the empty file gets a row at offset 0
        ino = empty.stat().st_ino
        write_lines(log, [native(5)])  # not read yet when the copy is made
        shutil.copyfile(log, empty)
        with open(log, "r+b") as fh:
            fh.truncate(0)
        assert empty.stat().st_ino == ino
        s = ing.poll()
        assert (s.outputs, s.duplicates) == (1, 0)
        write_lines(log, [native(6)])
        assert ing.poll().outputs == 1
        assert ids(ing.conn) == _ids(range(7))
        assert counter(ing.conn, "duplicates") == 0
    finally:
        ing.close()


def _read_once_then_more(tmp_path, make_config, conn) -> tuple:
    """``app.jsonl`` (o0-o2, then o3 unread; planned first) and ``app.jsonl.b``
    (o10-o19), both read once."""
    cfg = source_config(make_config, "app.jsonl*")
    first, later = tmp_path / "app.jsonl", tmp_path / "app.jsonl.b"
    write_lines(first, [native(i) for i in range(3)])
    write_lines(later, [native(i) for i in range(10, 20)])
    assert ingest_once(cfg, conn).outputs == 13
    write_lines(first, [native(3)])
    os.utime(first, (1_000_000, 1_000_000))
    return cfg, later


def test_path_rotated_between_planning_and_reading_is_not_read_at_the_old_files_offset(
        tmp_path, make_config, conn):
    """rename+create after the poll looked at the path: the path now names a
    new file, which must not be read from the renamed file's offset."""
    cfg, later = _read_once_then_more(tmp_path, make_config, conn)
    write_lines(later, [native(i) for i in range(20, 25)])  # not read yet when rotated

    def rotate_later():
        os.rename(later, tmp_path / "app.jsonl.b1")
        write_lines(later, [native(i, pad=5) for i in range(100, 130)])

    _read_with_writes_between(cfg, conn, tmp_path, rotate_later)
    s = ingest_once(cfg, conn)
    assert (s.rejected, s.duplicates) == (0, 0)
    assert ids(conn) == _ids([*range(4), *range(10, 25), *range(100, 130)])
    assert count(conn, "rejects") == 0


def test_symlink_repointed_between_planning_and_reading(tmp_path, make_config, conn):
    cfg = source_config(make_config, "app.jsonl*")
    old, new, link = tmp_path / "app.jsonl.s1", tmp_path / "app.jsonl.s2", tmp_path / "app.jsonl"
    write_lines(tmp_path / "app.jsonl.0", [native(0)])
    write_lines(old, [native(i) for i in range(10, 20)])
    os.symlink(old.name, link)
    assert ingest_once(cfg, conn).outputs == 11
    write_lines(tmp_path / "app.jsonl.0", [native(1)])
    os.utime(tmp_path / "app.jsonl.0", (1_000_000, 1_000_000))

    def repoint():
        write_lines(new, [native(i, pad=5) for i in range(100, 130)])
        os.symlink(new.name, tmp_path / ".tmp")
        os.replace(tmp_path / ".tmp", link)

    write_lines(old, [native(20)])
    _read_with_writes_between(cfg, conn, tmp_path, repoint)
    s = ingest_once(cfg, conn)
    assert (s.rejected, s.duplicates) == (0, 0)
    assert ids(conn) == _ids([0, 1, *range(10, 21), *range(100, 130)])


def test_truncated_and_rewritten_between_planning_and_reading_reads_the_new_content_from_0(
        tmp_path, make_config, conn):
    cfg, later = _read_once_then_more(tmp_path, make_config, conn)

    def truncate_and_write():
        write_lines(later, [native(i, pad=5) for i in range(100, 130)], mode="wb")

    _read_with_writes_between(cfg, conn, tmp_path, truncate_and_write)
    s = ingest_once(cfg, conn)
    assert (s.rejected, s.duplicates) == (0, 0)
    assert ids(conn) == _ids([*range(4), *range(10, 20), *range(100, 130)])
    assert count(conn, "rejects") == 0
