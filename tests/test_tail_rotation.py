"""Rotation styles with real files: every line stored once, none twice."""

from __future__ import annotations

import gzip
import os
import shutil

from ingest_helpers import count, counter, ids, native, source_config, write_lines

from evaltop.core.ingest.pipeline import Ingestor, ingest_once


def _ids(*nums):
    return sorted(f"o{i}" for i in nums)


def test_rename_create_while_running_drains_old_file(tmp_path, make_config):
    """Glob names only the live file: the held handle finishes the old one."""
    log = tmp_path / "app.jsonl"
    write_lines(log, [native(i) for i in range(3)])
    cfg = source_config(make_config, "app.jsonl")
    ing = Ingestor(cfg, cfg.db_path)
    try:
        assert ing.poll().outputs == 3
        write_lines(log, [native(3), native(4)])  # written after our poll...
        os.rename(log, tmp_path / "app.jsonl.1")  # ...then rotated away
        write_lines(log, [native(5)])
        s = ing.poll()
        assert (s.outputs, s.duplicates) == (3, 0)
        write_lines(log, [native(6)])
        assert ing.poll().outputs == 1
        assert ids(ing.conn) == _ids(*range(7))
    finally:
        ing.close()


def test_rotated_while_stopped_found_by_identity(tmp_path, make_config, conn):
    log = tmp_path / "app.jsonl"
    cfg = source_config(make_config, "app.jsonl*")
    write_lines(log, [native(i) for i in range(3)])
    assert ingest_once(cfg, conn).outputs == 3
    write_lines(log, [native(3)])
    os.rename(tmp_path / "app.jsonl", tmp_path / "app.jsonl.1")
    write_lines(log, [native(4), native(5)])
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.duplicates, s.rejected) == (3, 0, 0)
    assert ids(conn) == _ids(*range(6))
    # the renamed file kept its checkpoint (same inode), under its new path
    paths = {r[0] for r in conn.execute("SELECT path FROM checkpoints")}
    assert paths == {str(log), str(tmp_path / "app.jsonl.1")}


def _copy_with_unread_tail(tmp_path, cfg, conn):
    """Four lines read, a fifth written, then logrotate's copy is made."""
    log = tmp_path / "app.jsonl"
    write_lines(log, [native(i) for i in range(4)])
    assert ingest_once(cfg, conn).outputs == 4
    write_lines(log, [native(4)])  # not read yet when logrotate copies
    shutil.copyfile(log, tmp_path / "app.jsonl.1")
    return log


def _truncate_and_write(log, objs):
    with open(log, "r+b") as fh:
        fh.truncate(0)
    write_lines(log, objs)


def test_copytruncate_continues_copy_then_restarts(tmp_path, make_config, conn):
    cfg = source_config(make_config, "app.jsonl*")
    log = _copy_with_unread_tail(tmp_path, cfg, conn)
    _truncate_and_write(log, [native(5), native(6)])
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.duplicates) == (3, 0)
    assert ids(conn) == _ids(*range(7))


def test_plain_truncation_restarts_at_zero(tmp_path, make_config, conn):
    log = tmp_path / "app.jsonl"
    cfg = source_config(make_config, "app.jsonl")
    write_lines(log, [native(i) for i in range(5)])
    assert ingest_once(cfg, conn).outputs == 5
    ino = log.stat().st_ino
    write_lines(log, [native(10)], mode="wb")  # O_TRUNC, same inode, shorter
    assert log.stat().st_ino == ino
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.duplicates) == (1, 0)
    assert count(conn, "checkpoints") == 1


def test_same_inode_rewritten_longer_is_read_from_zero(tmp_path, make_config, conn):
    """What inode reuse looks like to us: same dev:ino, other first bytes,
    and more bytes than our offset. The fingerprint catches it."""
    log = tmp_path / "app.jsonl"
    cfg = source_config(make_config, "app.jsonl")
    write_lines(log, [native(1), native(2)])
    assert ingest_once(cfg, conn).outputs == 2
    ino = log.stat().st_ino
    write_lines(log, [native(i, pad=20) for i in range(100, 110)], mode="wb")
    assert log.stat().st_ino == ino
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.duplicates) == (10, 0)
    assert len(ids(conn)) == 12


def test_delete_and_recreate(tmp_path, make_config, conn):
    log = tmp_path / "app.jsonl"
    cfg = source_config(make_config, "app.jsonl")
    write_lines(log, [native(1), native(2)])
    ingest_once(cfg, conn)
    os.remove(log)
    write_lines(log, [native(i) for i in range(3, 9)])
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.duplicates) == (6, 0)


def test_symlink_resolves_to_target_identity(tmp_path, make_config, conn):
    (tmp_path / "data").mkdir()
    (tmp_path / "logs").mkdir()
    real = tmp_path / "data" / "real.jsonl"
    write_lines(real, [native(1), native(2)])
    os.symlink(real, tmp_path / "logs" / "current.jsonl")
    os.symlink(real, tmp_path / "logs" / "alias.jsonl")
    cfg = source_config(make_config, "logs/*.jsonl")
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.duplicates, s.files) == (2, 0, 1)
    write_lines(real, [native(3)])
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.duplicates) == (1, 0)
    assert count(conn, "checkpoints") == 1


def _gzip(src, dst):
    with open(src, "rb") as fi, gzip.open(dst, "wb") as fo:
        shutil.copyfileobj(fi, fo)


def test_gz_read_once(tmp_path, make_config, conn):
    plain = tmp_path / "old.jsonl"
    write_lines(plain, [native(i) for i in range(4)])
    _gzip(plain, tmp_path / "app.jsonl.2.gz")
    os.remove(plain)
    cfg = source_config(make_config, "app.jsonl*")
    assert ingest_once(cfg, conn).outputs == 4
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.duplicates, s.lines) == (0, 0, 0)
    assert conn.execute("SELECT finished FROM checkpoints").fetchone()[0] == 1


def test_gz_of_already_read_file_is_not_reread(tmp_path, make_config, conn):
    """logrotate with compress: app.jsonl -> app.jsonl.1 -> app.jsonl.1.gz.
    Lines written after our last read come from the .gz; the rest is skipped."""
    log = tmp_path / "app.jsonl"
    cfg = source_config(make_config, "app.jsonl*")
    write_lines(log, [native(i) for i in range(5)])
    assert ingest_once(cfg, conn).outputs == 5
    write_lines(log, [native(5)])
    os.rename(log, tmp_path / "app.jsonl.1")
    _gzip(tmp_path / "app.jsonl.1", tmp_path / "app.jsonl.1.gz")
    # while both exist, the .gz is a copy of a file still being read
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.duplicates) == (1, 0)
    os.remove(tmp_path / "app.jsonl.1")
    write_lines(log, [native(6)])
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.duplicates) == (1, 0)
    assert ids(conn) == _ids(*range(7))
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.duplicates, s.lines) == (0, 0, 0)


def test_gz_compressed_while_stopped_continues_at_offset(tmp_path, make_config, conn):
    log = tmp_path / "app.jsonl"
    cfg = source_config(make_config, "app.jsonl*")
    write_lines(log, [native(i) for i in range(3)])
    ingest_once(cfg, conn)
    write_lines(log, [native(3), native(4)])
    _gzip(log, tmp_path / "app.jsonl.1.gz")
    os.remove(log)
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.duplicates) == (2, 0)
    assert counter(conn, "duplicates") == 0


def test_corrupt_gz_is_one_reject_not_a_crash(tmp_path, make_config, conn):
    (tmp_path / "app.jsonl.3.gz").write_bytes(b"\x1f\x8b\x08\x00garbage-not-deflate" * 4)
    write_lines(tmp_path / "app.jsonl", [native(1)])
    cfg = source_config(make_config, "app.jsonl*")
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.rejected) == (1, 1)
    reason = conn.execute("SELECT reason FROM rejects").fetchone()[0]
    assert "gzip" in reason
    assert ingest_once(cfg, conn).rejected == 0


def test_copy_seen_before_truncation_is_not_read_twice(tmp_path, make_config, conn):
    """copytruncate polled between its copy and its truncate."""
    cfg = source_config(make_config, "app.jsonl*")
    log = _copy_with_unread_tail(tmp_path, cfg, conn)
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.duplicates) == (1, 0)
    _truncate_and_write(log, [native(5), native(6)])
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.duplicates) == (2, 0)
    assert ids(conn) == _ids(*range(7))
    assert counter(conn, "duplicates") == 0


def test_copytruncate_under_running_ingestor_original_planned_first(tmp_path, make_config):
    """The truncated original is planned before its copy (older mtime): it
    must not drop the old checkpoint the copy is about to continue from."""
    cfg = source_config(make_config, "app.jsonl*")
    ing = Ingestor(cfg, cfg.db_path)
    try:
        log = tmp_path / "app.jsonl"
        write_lines(log, [native(i) for i in range(4)])
        assert ing.poll().outputs == 4
        write_lines(log, [native(4)])
        shutil.copyfile(log, tmp_path / "app.jsonl.1")
        _truncate_and_write(log, [native(5), native(6)])
        copy_mtime = (tmp_path / "app.jsonl.1").stat().st_mtime
        os.utime(log, (copy_mtime - 60, copy_mtime - 60))
        s = ing.poll()
        assert (s.outputs, s.duplicates) == (3, 0)
        s = ing.poll()
        assert (s.outputs, s.duplicates, s.lines) == (0, 0, 0)
        assert counter(ing.conn, "duplicates") == 0
    finally:
        ing.close()
