"""copytruncate landing between the tailer's read and its fingerprint.

Seen in the medium crash loop (1 run in 5 to 10): a live file was empty when
the poll planned it, lines were appended and read, and copytruncate copied
and emptied it before the fingerprint was re-taken over the bytes read. Read
back from a file that was now empty, the fingerprint covered nothing, so on
the next poll the copy, holding exactly the lines already stored, was not
recognised and was read again from 0 (every line counted a duplicate). The
fingerprint is now taken over the bytes as the reader consumed them.

The race is forced by a reader that runs the rotation itself, right after
its read: the real files, store and tailer otherwise."""

from __future__ import annotations

import os
import shutil

from ingest_helpers import count, counter, native, source_config, write_lines

from evaltop.core.ingest.pipeline import ingest_once
from evaltop.core.ingest.tail import jsonl_tail
from evaltop.core.ingest.tail.fileid import file_key, fingerprint
from evaltop.core.ingest.tail.lines import LineReader
from evaltop.store import checkpoints as store_cp
from evaltop.store.checkpoints import Checkpoint


def test_copy_made_right_after_the_read_is_recognised(tmp_path, make_config, conn, monkeypatch):
    log = tmp_path / "app.jsonl"
    log.touch()  # the poll plans an empty file: its fingerprint covers nothing yet
    cfg = source_config(make_config, "app.jsonl*")

    class CopyTruncateAfterRead(LineReader):
        armed = True

        def __init__(self, fh, offset, *args, **kwargs):
            if CopyTruncateAfterRead.armed:  # written after the poll planned the empty file
                write_lines(log, [native(i) for i in range(36)])
            super().__init__(fh, offset, *args, **kwargs)

        def read(self, **kwargs):
            chunk = super().read(**kwargs)
            if CopyTruncateAfterRead.armed and chunk.nbytes:
                CopyTruncateAfterRead.armed = False
                shutil.copyfile(log, tmp_path / "app.jsonl.1")  # copytruncate, between our read
                os.truncate(log, 0)  # and anything the tailer does after it
            return chunk

    monkeypatch.setattr(jsonl_tail, "LineReader", CopyTruncateAfterRead)
    first = ingest_once(cfg, conn)
    assert (first.outputs, first.duplicates) == (36, 0)
    assert not CopyTruncateAfterRead.armed  # the race did happen

    again = ingest_once(cfg, conn)  # the copy: the same 36 lines under a new inode
    assert (again.outputs, again.duplicates) == (0, 0), "the copy was read again from 0"

    write_lines(log, [native(i) for i in range(36, 40)])  # the live file goes on
    last = ingest_once(cfg, conn)
    assert (last.outputs, last.duplicates) == (4, 0)
    assert count(conn, "outputs") == counter(conn, "outputs") == 40
    assert counter(conn, "duplicates") == 0


def test_copy_made_after_the_content_check_is_recognised(tmp_path, make_config, conn, monkeypatch):
    """The same race one step later, on a file that already held a line when
    planned (its checkpoint's fingerprint covers that line): copytruncate
    lands after the check that the file still starts with the planned bytes
    and before the fingerprint is re-taken. The bytes before the reader's
    start were read back from the file then, found gone, and the row got the
    fingerprint of an empty file, which nothing trusts: the copy was read
    again from 0. They now come from the head the poll planned with, which
    that check has just confirmed."""
    log = tmp_path / "app.jsonl"
    write_lines(log, [native(0)])
    cfg = source_config(make_config, "app.jsonl*")
    assert ingest_once(cfg, conn).outputs == 1  # checkpoint: one line, fingerprint over it

    real_same = jsonl_tail._same_content
    armed = {"on": False}

    class AppendAfterPlan(LineReader):
        def __init__(self, fh, offset, *args, **kwargs):
            if offset:  # the second poll planned the one-line file; the app writes on
                write_lines(log, [native(i) for i in range(1, 37)])
                armed["on"] = True
            super().__init__(fh, offset, *args, **kwargs)

    def same_then_rotate(fh, fp):
        ok = real_same(fh, fp)
        if armed["on"]:
            armed["on"] = False
            shutil.copyfile(log, tmp_path / "app.jsonl.1")  # copytruncate, right after the check
            os.truncate(log, 0)
        return ok

    monkeypatch.setattr(jsonl_tail, "LineReader", AppendAfterPlan)
    monkeypatch.setattr(jsonl_tail, "_same_content", same_then_rotate)
    second = ingest_once(cfg, conn)
    assert (second.outputs, second.duplicates) == (36, 0)
    assert (
        tmp_path / "app.jsonl.1"
    ).stat().st_size > 0 and log.stat().st_size == 0  # the race did happen

    monkeypatch.undo()
    again = ingest_once(cfg, conn)  # the copy: the same 37 lines under a new inode
    assert (again.outputs, again.duplicates) == (0, 0), "the copy was read again from 0"
    write_lines(log, [native(i) for i in range(37, 40)])
    last = ingest_once(cfg, conn)
    assert (last.outputs, last.duplicates) == (3, 0)
    assert count(conn, "outputs") == counter(conn, "outputs") == 40
    assert counter(conn, "duplicates") == 0


def test_a_stale_row_under_the_new_files_key_does_not_stall_the_source(tmp_path, make_config, conn):
    """What that race left behind: a row on the live file's inode whose
    fingerprint covers nothing (an empty file's) but whose offset is past 0.
    Untrusted (rule 0), it was dropped as stale, and the file, empty again,
    planned as new under that very key; the store, finding a row there,
    took it for another ingester's and skipped the source, on every poll
    while the file stayed empty (a copy beside it never read). The row is
    now replaced."""
    log = tmp_path / "app.jsonl"
    log.touch()
    write_lines(tmp_path / "app.jsonl.1", [native(i) for i in range(3)])
    cfg = source_config(make_config, "app.jsonl*")
    st = os.stat(log)
    fp = fingerprint(b"")
    store_cp.save(
        conn, Checkpoint("app", file_key(st.st_dev, st.st_ino, fp), str(log), 500, 5, 500, fp)
    )
    conn.commit()
    for _ in range(2):
        ingest_once(cfg, conn)
    assert count(conn, "outputs") == 3, "the source stalled on the stale row"
    assert store_cp.stored_offset(conn, "app", file_key(st.st_dev, st.st_ino, fp)) == 0
    assert counter(conn, "duplicates") == 0
