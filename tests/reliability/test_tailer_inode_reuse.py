"""Found by the tailer model test (long form, seed 16): the checkpoint of an
empty file that was deleted stays behind with an empty fingerprint, and an
empty fingerprint matches any content. When copytruncate's copy is given
that freed inode (filesystems hand a freed inode out again at once), rule 1
("same inode, same first bytes") claims the copy at offset 0 and every line of
it is read a second time."""

from __future__ import annotations

import os
import shutil

import pytest
from ingest_helpers import counter, native, write_lines

from evaltop.core.ingest.pipeline import Ingestor


def test_copy_on_a_reused_inode_of_a_deleted_empty_file_is_not_read_again(tmp_path, make_config):
    for attempt in range(5):
        folder = tmp_path / f"try{attempt}"
        folder.mkdir()
        log, empty, copy = folder / "app.jsonl", folder / "app.jsonl.empty", folder / "app.jsonl.1"
        cfg = make_config({"store": {"path": str(folder / "evaltop.db")},
                           "sources": [{"name": "app", "path": str(folder / "app.jsonl*"),
                                        "format": "native"}]})
        ing = Ingestor(cfg, cfg.db_path)
        try:
            write_lines(log, [native(i, pad=40) for i in range(5)])
            empty.touch()
            ing.poll()  # reads the log; an empty checkpoint for the empty file
            freed = empty.stat().st_ino
            os.unlink(empty)
            ing.poll()
            shutil.copyfile(log, copy)  # copytruncate: copy, then truncate the original
            with open(log, "r+b") as fh:
                fh.truncate(0)
            if copy.stat().st_ino != freed:
                continue  # the filesystem gave the copy another inode: try again
            ing.poll()
            assert counter(ing.conn, "duplicates") == 0, "the copy was read a second time"
            return
        finally:
            ing.close()
    pytest.skip("this filesystem never reused the freed inode in 5 tries")
