extension MetadataStore {
    /// Append-only migrations by name; SQL that SQLite and PostgreSQL both run.
    static let migrations: [(name: String, statements: [String])] = [
        (
            "v1-users-devices-files-changes",
            [
                // People who may sign in; change_seq numbers their change feed.
                """
                CREATE TABLE users (
                    id TEXT PRIMARY KEY,
                    email TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    picture TEXT,
                    change_seq BIGINT NOT NULL DEFAULT 0,
                    created_at DOUBLE PRECISION NOT NULL
                )
                """,
                // Daemons with bearer tokens; only the SHA-256 of a token is kept.
                """
                CREATE TABLE devices (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id),
                    name TEXT NOT NULL,
                    token_hash TEXT NOT NULL UNIQUE,
                    created_at DOUBLE PRECISION NOT NULL,
                    last_seen_at DOUBLE PRECISION,
                    revoked_at DOUBLE PRECISION
                )
                """,
                // Each user's tree: one live row per path; trashed rows keep their content reference.
                """
                CREATE TABLE files (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id),
                    path TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
                    revision BIGINT NOT NULL,
                    size BIGINT NOT NULL,
                    content_hash TEXT,
                    modified_at DOUBLE PRECISION NOT NULL,
                    trashed_at DOUBLE PRECISION
                )
                """,
                "CREATE UNIQUE INDEX files_live_path ON files (user_id, path) WHERE trashed_at IS NULL",
                // The change feed: (user, seq) strictly increasing, never rewritten.
                """
                CREATE TABLE changes (
                    user_id TEXT NOT NULL REFERENCES users(id),
                    seq BIGINT NOT NULL,
                    file_id TEXT NOT NULL,
                    path TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    revision BIGINT NOT NULL,
                    size BIGINT NOT NULL,
                    content_hash TEXT,
                    deleted INTEGER NOT NULL,
                    PRIMARY KEY (user_id, seq)
                )
                """,
            ]
        ),
        (
            "v2-uploads",
            [
                // Uploads presigned and not yet completed; old ones are aborted by the collector.
                """
                CREATE TABLE uploads (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id),
                    path TEXT NOT NULL,
                    size BIGINT NOT NULL,
                    content_hash TEXT NOT NULL,        -- hex SHA-256 the client declared; the object key
                    base_revision BIGINT,              -- the revision the new content replaces; NULL: a new item
                    s3_upload_id TEXT,                 -- the S3 multipart upload; NULL for a single PUT
                    created_at DOUBLE PRECISION NOT NULL
                )
                """
            ]
        ),
        (
            "v3-shares",
            [
                // Share links: the token is the capability (at least 128 random bits); it is kept so
                // that the owner's link list can show the links again. A share follows its file
                // across moves (file_id), and dies with it (trash) or on revocation or expiry.
                """
                CREATE TABLE shares (
                    id TEXT PRIMARY KEY,
                    token TEXT NOT NULL UNIQUE,
                    user_id TEXT NOT NULL REFERENCES users(id),
                    file_id TEXT NOT NULL REFERENCES files(id),
                    created_at DOUBLE PRECISION NOT NULL,
                    expires_at DOUBLE PRECISION,        -- NULL: never
                    revoked_at DOUBLE PRECISION,
                    views BIGINT NOT NULL DEFAULT 0
                )
                """
            ]
        ),
        (
            "v4-revisions",
            [
                // Every version of every file, for history and restore; objects stay referenced.
                """
                CREATE TABLE revisions (
                    file_id TEXT NOT NULL REFERENCES files(id),
                    revision BIGINT NOT NULL,
                    size BIGINT NOT NULL,
                    content_hash TEXT NOT NULL,
                    modified_at DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (file_id, revision)
                )
                """,
                "INSERT INTO revisions (file_id, revision, size, content_hash, modified_at) SELECT id, revision, size, content_hash, modified_at FROM files WHERE kind = 'file' AND content_hash IS NOT NULL",
            ]
        ),
        (
            "v5-sessions-sign-ins-device-codes",
            [
                // Browser sessions; the cookie holds the id, the table only its keyed hash.
                """
                CREATE TABLE sessions (
                    id_hash TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id),
                    created_at DOUBLE PRECISION NOT NULL,
                    expires_at DOUBLE PRECISION NOT NULL
                )
                """,
                // Sign-ins sent to the identity provider and not yet back: PKCE verifier and nonce.
                """
                CREATE TABLE sign_ins (
                    state_hash TEXT PRIMARY KEY,
                    verifier TEXT NOT NULL,
                    nonce TEXT NOT NULL,
                    return_to TEXT NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL
                )
                """,
                // Device authorization (RFC 8628): a daemon's code waiting for a signed-in user.
                """
                CREATE TABLE device_codes (
                    code_hash TEXT PRIMARY KEY,
                    user_code TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL,
                    expires_at DOUBLE PRECISION NOT NULL,
                    last_poll_at DOUBLE PRECISION,
                    approved_by TEXT REFERENCES users(id),
                    denied INTEGER NOT NULL DEFAULT 0
                )
                """,
            ]
        ),
        (
            "auth-provider-identity-device-code-misses",
            [
                // The identity provider's account (OpenID Connect iss, sub) a user signs in as: the
                // key of sign-in; the e-mail is an attribute. NULL until the first sign-in after this
                // migration, which links the row by its verified e-mail (MetadataStore.signInUser).
                "ALTER TABLE users ADD COLUMN oidc_issuer TEXT",
                "ALTER TABLE users ADD COLUMN oidc_subject TEXT",
                "CREATE UNIQUE INDEX users_oidc_identity ON users (oidc_issuer, oidc_subject)",
                // Wrong user codes typed that share this code's first half; at the cap it is burned.
                "ALTER TABLE device_codes ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0",
                // Wrong user codes typed on the approval page, for the per-user and server-wide budgets.
                """
                CREATE TABLE device_code_misses (
                    user_id TEXT NOT NULL,
                    missed_at DOUBLE PRECISION NOT NULL
                )
                """,
                "CREATE INDEX device_code_misses_missed_at ON device_code_misses (missed_at)",
            ]
        ),
        (
            "v6-integrity-block-hash",
            [
                // The SHA-256 signed into each block's URL of an upload in progress (base64), one per
                // part number and never changed: S3 accepts as that part only bytes with this digest,
                // so complete derives the content identity from these, not from the client.
                """
                CREATE TABLE upload_blocks (
                    upload_id TEXT NOT NULL,
                    part_number BIGINT NOT NULL,
                    sha256 TEXT NOT NULL,
                    PRIMARY KEY (upload_id, part_number)
                )
                """,
                // Content recorded under the old identity (plain SHA-256 of the whole file), per user:
                // the collector rehashes each object once (LegacyRehash), stores it under its block
                // hash and renames the rows; until then the rows keep the old hash.
                """
                CREATE TABLE legacy_contents (
                    user_id TEXT NOT NULL,
                    content_hash TEXT NOT NULL,
                    PRIMARY KEY (user_id, content_hash)
                )
                """,
                """
                INSERT INTO legacy_contents (user_id, content_hash)
                SELECT user_id, content_hash FROM files WHERE content_hash IS NOT NULL
                UNION SELECT f.user_id, r.content_hash FROM revisions r JOIN files f ON f.id = r.file_id
                """,
                // Uploads begun under the old scheme cannot be proven under the new one; their S3
                // multipart uploads are aborted by the collector (no row knows them).
                "DELETE FROM uploads",
            ]
        ),
        (
            "v7-upload-begin-seq",
            [
                // The user's change sequence when the upload began: a new item is created only if
                // nothing happened at its path since (a complete that arrives late — held up on the
                // way, or finished by the server after its client gave up — must not make a second
                // item where the client has since uploaded, moved or deleted one). NULL: no check.
                "ALTER TABLE uploads ADD COLUMN begin_seq BIGINT"
            ]
        ),
        (
            "v8-files-by-content",
            [
                // Every begin asks whether the user already stores a content (storesContent): without
                // this index that was a walk over all the user's files, per upload.
                "CREATE INDEX files_user_content ON files (user_id, content_hash)"
            ]
        ),
        (
            "v9-tree-pages-compact-moves",
            [
                // The whole tree a page at a time in id order, which moves never change.
                "CREATE INDEX files_live_id ON files (user_id, id) WHERE trashed_at IS NULL",
                // A folder's move is one entry of the feed: where it was (its items moved with it).
                "ALTER TABLE changes ADD COLUMN moved_from TEXT",
            ]
        ),
        (
            "v10-share-passwords-and-visits",
            [
                // A link's password as a slow hash (LinkPassword: scrypt, its parameters in the
                // text); NULL: no password. Downloads counted apart from page views.
                "ALTER TABLE shares ADD COLUMN password_hash TEXT",
                "ALTER TABLE shares ADD COLUMN downloads BIGINT NOT NULL DEFAULT 0",
                // What happened to each link, with times, for its owner (the newest kept per link).
                """
                CREATE TABLE share_events (
                    share_id TEXT NOT NULL REFERENCES shares(id),
                    at DOUBLE PRECISION NOT NULL,
                    kind TEXT NOT NULL
                )
                """,
                "CREATE INDEX share_events_by_share ON share_events (share_id, at)",
            ]
        ),
        (
            "v11-device-excluded-folders",
            [
                // The folders a device reported it does not sync (a JSON list); NULL: never reported.
                "ALTER TABLE devices ADD COLUMN excluded_folders TEXT"
            ]
        ),
        (
            "v12-file-requests",
            [
                // A file request (upload-only link) is a share of a folder with a title; NULL:
                // a link. Its uploads count apart, and each upload it began names it.
                "ALTER TABLE shares ADD COLUMN request_title TEXT",
                "ALTER TABLE shares ADD COLUMN request_max_bytes BIGINT",
                "ALTER TABLE shares ADD COLUMN uploads BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE uploads ADD COLUMN share_id TEXT",
            ]
        ),
    ]

    /// One folder's items, a page at a time, folders first, then by name without case: a
    /// folder page is one range scan of it.
    static let childrenIndex = "CREATE INDEX files_children ON files (user_id, parent, kind_rank, sort_name, path) WHERE trashed_at IS NULL"

    /// The migrations of this database: the shared ones, then those spelled for its dialect.
    static func migrations(for dialect: SQLDialect) -> [(name: String, statements: [String])] {
        switch dialect {
        case .sqlite:
            migrations + [
                (
                    "v9-sqlite-folder-pages-name-search",
                    [
                        // Each item's folder, sort name and kind's rank (TreeSQL), computed as they are read.
                        "ALTER TABLE files ADD COLUMN parent TEXT GENERATED ALWAYS AS (\(TreeSQL.parentExpression)) VIRTUAL",
                        "ALTER TABLE files ADD COLUMN sort_name TEXT GENERATED ALWAYS AS (\(TreeSQL.sortNameExpression)) VIRTUAL",
                        "ALTER TABLE files ADD COLUMN kind_rank INTEGER GENERATED ALWAYS AS (\(TreeSQL.kindRankExpression)) VIRTUAL",
                        childrenIndex,
                        // Search by name: a prefix is a range of this index; a substring scans it
                        // (the names only, in order, never the table).
                        "CREATE INDEX files_names ON files (user_id, sort_name, path) WHERE trashed_at IS NULL",
                    ]
                )
            ]
        case .postgres:
            migrations + [
                (
                    "v9-postgres-folder-pages-name-search",
                    [
                        // Each item's folder, sort name and kind's rank (TreeSQL), stored with the row.
                        "ALTER TABLE files ADD COLUMN parent TEXT GENERATED ALWAYS AS (\(TreeSQL.parentExpression)) STORED",
                        "ALTER TABLE files ADD COLUMN sort_name TEXT GENERATED ALWAYS AS (\(TreeSQL.sortNameExpression)) STORED",
                        "ALTER TABLE files ADD COLUMN kind_rank INTEGER GENERATED ALWAYS AS (\(TreeSQL.kindRankExpression)) STORED",
                        childrenIndex,
                        // Trigrams of the names serve a prefix and a substring search alike
                        // (pg_trgm ships with PostgreSQL and is a trusted extension: the
                        // database's owner may create it).
                        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                        "CREATE INDEX files_names ON files USING gin (sort_name gin_trgm_ops) WHERE trashed_at IS NULL",
                        // A substring of one or two letters has no trigram: the user's own names, in order.
                        "CREATE INDEX files_names_sorted ON files (user_id, sort_name, path) WHERE trashed_at IS NULL",
                        // Everything inside a folder (a move, the trash): a range of the paths' bytes.
                        "CREATE INDEX files_live_path_bytes ON files (user_id, (path COLLATE \"C\")) WHERE trashed_at IS NULL",
                    ]
                )
            ]
        }
    }
}
