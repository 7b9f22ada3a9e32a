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

from evaltop.core.ingest import ingest_once
from evaltop.core.sources import jsonl_tail
from evaltop.core.sources.lines import LineReader


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
