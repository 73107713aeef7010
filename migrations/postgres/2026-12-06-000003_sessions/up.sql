-- Browser sessions live on the server, so that signing out, a password change or a
-- deactivation ends them at once on every instance. The cookie carries only a
-- random secret (32 bytes from the OS); this table keeps only its SHA-256, so the
-- database alone cannot be turned into a working cookie. `id` names a session in
-- Preferences > Sessions without revealing anything about its secret.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    secret_digest BYTEA NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The workspace the pages act in, as last switched to.
    workspace_id TEXT REFERENCES workspaces (id) ON DELETE SET NULL,
    -- users.session_epoch at sign-in: any password change (even one made by SQL or
    -- by a path that forgets to delete sessions) ends the session.
    epoch BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Written at most once a minute.
    last_seen_at BIGINT NOT NULL,
    address TEXT,
    user_agent TEXT
);

CREATE INDEX sessions_user ON sessions (user_id, created_at);
CREATE INDEX sessions_created ON sessions (created_at);

-- Set when an admin chose the user's password (an initial password): the user must
-- choose their own at the next sign-in before doing anything else. Cleared when
-- they change it. Existing users are not asked.
ALTER TABLE users ADD COLUMN password_must_change BOOLEAN NOT NULL DEFAULT FALSE;
