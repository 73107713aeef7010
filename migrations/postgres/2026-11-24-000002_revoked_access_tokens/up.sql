-- OAuth access tokens revoked before their hour is up (RFC 7009), by `jti`.
--
-- Checking an access token reads no database: every instance keeps the revoked
-- `jti`s in memory, loads them at start, and polls for new rows every second by
-- `revoked_at`. A row is useless once its token has expired (`expires_at`, the
-- token's `exp`) and is purged then. No foreign key to the grant: a revoked access
-- token must stay revoked even if its grant is deleted within the hour.
CREATE TABLE revoked_access_tokens (
    jti TEXT PRIMARY KEY NOT NULL,
    grant_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);

CREATE INDEX revoked_access_tokens_revoked ON revoked_access_tokens (revoked_at);
CREATE INDEX revoked_access_tokens_expires ON revoked_access_tokens (expires_at);
