-- v16: what stops a configured source from being read (issue 12): one row
-- per path the last poll could not read (a directory, permission denied, a
-- FIFO, a parent that is a file). Written when the state changes; the
-- dashboard shows it, so a watcher sees what the ingester saw.
CREATE TABLE IF NOT EXISTS source_status (
    source TEXT NOT NULL,
    path TEXT NOT NULL,
    reason TEXT NOT NULL,
    since REAL NOT NULL,
    PRIMARY KEY (source, path)
) WITHOUT ROWID;
