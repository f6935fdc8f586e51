-- table events
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    sandbox_id  TEXT,
    sandbox_uid TEXT,
    action      TEXT    NOT NULL,
    data_json   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(data_json))
) STRICT;
-- table leases
CREATE TABLE leases (
    ip          TEXT    PRIMARY KEY,
    sandbox_uid TEXT    NOT NULL UNIQUE REFERENCES sandboxes (uid) ON DELETE RESTRICT,
    mac         TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
) STRICT;
-- table operations
CREATE TABLE operations (
    op_id       TEXT    PRIMARY KEY,
    kind        TEXT    NOT NULL,
    subject_uid TEXT,
    status      TEXT    NOT NULL CHECK (status IN ('running', 'done', 'failed', 'rolled_back')),
    steps_json  TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(steps_json)),
    reason      TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    crash_point TEXT
) STRICT;
-- table sandboxes
CREATE TABLE sandboxes (
    uid            TEXT    PRIMARY KEY CHECK (length(uid) = 8 AND uid NOT GLOB '*[^a-z0-9]*'),
    id             TEXT    NOT NULL UNIQUE CHECK (length(id) > 0),
    spec_json      TEXT    NOT NULL CHECK (json_valid(spec_json)),
    state          TEXT    NOT NULL,
    generation     INTEGER NOT NULL CHECK (generation >= 1),
    reason         TEXT,
    labels_json    TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(labels_json)),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    ttl_deadline   INTEGER,
    idle_deadline  INTEGER,
    vm_json        TEXT    CHECK (vm_json IS NULL OR json_valid(vm_json)),
    resources_json TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(resources_json))
) STRICT;
-- table snapshots
CREATE TABLE snapshots (
    id            TEXT    PRIMARY KEY,
    name          TEXT    NOT NULL,
    sandbox_uid   TEXT    REFERENCES sandboxes (uid) ON DELETE SET NULL,
    parent        TEXT    REFERENCES snapshots (id) ON DELETE RESTRICT,
    manifest_json TEXT    NOT NULL CHECK (json_valid(manifest_json)),
    size_bytes    INTEGER NOT NULL CHECK (size_bytes >= 0),
    labels_json   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(labels_json)),
    created_at    INTEGER NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('staged', 'published'))
) STRICT;
-- table sqlite_sequence
CREATE TABLE sqlite_sequence(name,seq);
-- index events_sandbox
CREATE INDEX events_sandbox ON events (sandbox_id, seq);
-- index operations_status
CREATE INDEX operations_status ON operations (status);
-- index sandboxes_state
CREATE INDEX sandboxes_state ON sandboxes (state);
-- index snapshots_parent
CREATE INDEX snapshots_parent ON snapshots (parent);
-- index snapshots_sandbox
CREATE INDEX snapshots_sandbox ON snapshots (sandbox_uid);
-- index sqlite_autoindex_leases_1
null;
-- index sqlite_autoindex_leases_2
null;
-- index sqlite_autoindex_leases_3
null;
-- index sqlite_autoindex_operations_1
null;
-- index sqlite_autoindex_sandboxes_1
null;
-- index sqlite_autoindex_sandboxes_2
null;
-- index sqlite_autoindex_snapshots_1
null;
