-- OAuth 2.0 API tokens, beside the legacy access tokens.

-- One row per generated OAuth API token (a "grant"): whose, in which workspace,
-- until when its refresh tokens work, and whether it was disabled. Deleting the
-- row deletes its refresh tokens; access tokens already issued live out their hour.
CREATE TABLE oauth_grants (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- When the refresh tokens stop working: created_at + 1 to 365 days.
    expires_at BIGINT NOT NULL,
    disabled_at BIGINT,
    last_used_at BIGINT
);

CREATE INDEX oauth_grants_owner ON oauth_grants (workspace_id, user_id, created_at);

-- Every refresh token ever issued for a grant, by the SHA-256 of its secret (the
-- secret itself is never stored). The current one has rotated_at NULL; a rotated
-- one presented again is a reuse, and disables its grant (RFC 9700).
CREATE TABLE oauth_refresh_tokens (
    digest BYTEA PRIMARY KEY NOT NULL,
    grant_id TEXT NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    issued_at BIGINT NOT NULL,
    rotated_at BIGINT
);

CREATE INDEX oauth_refresh_tokens_grant ON oauth_refresh_tokens (grant_id);

-- The keys that sign access tokens. The private key (PKCS#8) is kept like the
-- generated session key: in clear, as the server's own secret. The newest key
-- not retired signs; a retired key still verifies for a grace period.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    algorithm TEXT NOT NULL,
    private_key BYTEA NOT NULL,
    public_key BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
