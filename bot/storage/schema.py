"""The schema: every migration in order (append-only) and the column lists the queries share."""

from __future__ import annotations

# Each entry moves the schema one version up; never edit a released entry, append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE users (
        telegram_id INTEGER PRIMARY KEY,
        role TEXT CHECK (role IN ('admin', 'manager', 'moderator')),
        full_name TEXT NOT NULL DEFAULT '',
        username TEXT,
        granted_by INTEGER,
        knock_alerted_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE invites (
        token TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'moderator')),
        created_by INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_by INTEGER,
        used_at TEXT
    );
    """,
    """
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL DEFAULT 'places',
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        file_name TEXT NOT NULL,
        file_path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        status TEXT NOT NULL,
        sheet TEXT,
        plan TEXT,
        options TEXT,
        message_id INTEGER,
        total INTEGER NOT NULL DEFAULT 0,
        processed INTEGER NOT NULL DEFAULT 0,
        counters TEXT,
        result_path TEXT,
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
    );
    CREATE INDEX jobs_user ON jobs (user_id, created_at);
    CREATE INDEX jobs_sha ON jobs (sha256);
    CREATE TABLE mapping_memory (
        signature TEXT NOT NULL,
        owner INTEGER NOT NULL,
        mapping TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (signature, owner)
    );
    CREATE TABLE header_memory (
        header TEXT PRIMARY KEY,
        field TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE value_memory (
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        result TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (kind, value)
    );
    """,
    """
    CREATE TABLE places (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        category TEXT,
        subcategory TEXT,
        description TEXT,
        address TEXT,
        city TEXT,
        region TEXT,
        district TEXT,
        phone TEXT,
        email TEXT,
        website TEXT,
        working_hours TEXT,
        latitude REAL,
        longitude REAL,
        rating REAL,
        price TEXT,
        social TEXT,
        notes TEXT,
        external_id TEXT,
        extra TEXT NOT NULL DEFAULT '{}',
        name_key TEXT NOT NULL,
        dedupe_key TEXT,
        category_source TEXT,
        needs_review INTEGER NOT NULL DEFAULT 0,
        source_job INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX places_dedupe ON places (dedupe_key);
    CREATE INDEX places_name ON places (name_key);
    CREATE INDEX places_category ON places (category, subcategory);
    CREATE TABLE job_rows (
        job_id INTEGER NOT NULL,
        row INTEGER NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        place_id INTEGER,
        result TEXT NOT NULL,
        PRIMARY KEY (job_id, row)
    );
    CREATE TABLE llm_cache (
        key TEXT PRIMARY KEY,
        answer TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE llm_usage (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER,
        job_id INTEGER,
        purpose TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        total_tokens INTEGER NOT NULL,
        latency_ms INTEGER NOT NULL,
        cause TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX llm_usage_job ON llm_usage (job_id);
    CREATE INDEX llm_usage_user ON llm_usage (user_id, created_at);
    """,
    """
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        text TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        place_id INTEGER REFERENCES places (id) ON DELETE SET NULL,
        place_name TEXT,
        author TEXT,
        review_date TEXT,
        stated_rating INTEGER,
        analysis TEXT NOT NULL,
        sentiment TEXT NOT NULL,
        rating INTEGER NOT NULL,
        verdict TEXT NOT NULL CHECK (verdict IN ('approve', 'needs_review', 'reject')),
        reasons TEXT NOT NULL DEFAULT '[]',
        source TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
        moderator_id INTEGER,
        decided_at TEXT,
        source_job INTEGER,
        created_by INTEGER,
        created_at TEXT NOT NULL
    );
    CREATE INDEX reviews_place ON reviews (place_id, status);
    CREATE INDEX reviews_status ON reviews (status, id);
    CREATE INDEX reviews_hash ON reviews (text_hash);
    """,
    """
    ALTER TABLE llm_usage ADD COLUMN precached_tokens INTEGER NOT NULL DEFAULT 0;
    """,
    """
    CREATE TABLE review_decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        review_id INTEGER NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
        verdict TEXT NOT NULL,
        reasons TEXT NOT NULL DEFAULT '[]',
        moderator_id INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX review_decisions_review ON review_decisions (review_id);
    CREATE TABLE review_marks (
        mark TEXT NOT NULL,
        review_id INTEGER NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
        PRIMARY KEY (mark, review_id)
    ) WITHOUT ROWID;
    CREATE INDEX reviews_decided ON reviews (status, decided_at);
    """,
)

PLACE_COLUMNS = (
    "name", "category", "subcategory", "description", "address", "city", "region", "district", "phone",
    "email", "website", "working_hours", "latitude", "longitude", "rating", "price", "social", "notes",
    "external_id",
)  # fmt: skip
# What a PlaceRow is read from, in its field order.
PLACE_ROW_COLUMNS = "id, " + ", ".join(PLACE_COLUMNS) + ", extra, name_key, dedupe_key"


TEAM = 0  # owner of mappings shared by the whole team

JOB_COLUMNS = (
    "id, kind, user_id, chat_id, file_name, file_path, sha256, status, sheet, plan, options, message_id, "
    "total, processed, counters, result_path, error, created_at, updated_at, started_at, finished_at"
)
USER_COLUMNS = "telegram_id, role, full_name, username, knock_alerted_at"
REVIEW_COLUMNS = (
    "text", "text_hash", "place_id", "place_name", "author", "review_date", "stated_rating", "analysis",
    "sentiment", "rating", "verdict", "reasons", "source", "source_job", "created_by",
)  # fmt: skip
