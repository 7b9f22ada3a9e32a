-- v18: full-text search over outputs (issue 12), opt-in by `[store] search`.
-- The FTS5 index (outputs_fts: external content on outputs, so the text is
-- stored once, and the triggers that keep it current) is created when search
-- is turned on, through sqlite-utils (store/search.py). This row records the
-- fill of the outputs that existed at that moment: batches index them newest
-- first, in short transactions, while new outputs are indexed by the triggers.
CREATE TABLE IF NOT EXISTS search_build (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    target_rowid INTEGER NOT NULL,
    next_rowid INTEGER NOT NULL,
    total INTEGER NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    started_at REAL NOT NULL,
    finished_at REAL
);
