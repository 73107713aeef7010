-- Workspace governance: per-workspace token policy, deactivated users, sessions
-- that end when the password changes, invitations, and the audit log.

-- A deactivated user cannot sign in and their tokens stop working; nothing of
-- theirs is deleted, so the audit trail stays whole.
ALTER TABLE users ADD COLUMN deactivated_at BIGINT;
-- Bumped when the password changes: sessions signed in under an older epoch end.
ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;

-- "API Access Token" on/off for the workspace.
ALTER TABLE workspaces ADD COLUMN tokens_enabled BOOLEAN NOT NULL DEFAULT TRUE;
-- "Allow users to generate access tokens": off, so only admins can (the seed).
ALTER TABLE workspaces ADD COLUMN members_may_generate BOOLEAN NOT NULL DEFAULT FALSE;
-- "Maximum lifetime for user generated access tokens (days)": -1 = unlimited.
ALTER TABLE workspaces ADD COLUMN max_lifetime_days BIGINT NOT NULL DEFAULT -1;
-- Whether "-1 = never expires" may be chosen at all.
ALTER TABLE workspaces ADD COLUMN allow_never_expires BOOLEAN NOT NULL DEFAULT TRUE;

-- A one-time link that lets a person set their password and join a workspace.
CREATE TABLE invites (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the link's secret; the secret itself is never stored.
    secret_digest BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE INDEX invites_user ON invites (user_id);

-- Who did what, when, from where. Never a token value or a password.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    -- NULL for what no workspace owns, such as an unknown token refused.
    workspace_id TEXT REFERENCES workspaces (id) ON DELETE CASCADE,
    occurred_at BIGINT NOT NULL,
    actor_id TEXT,
    actor_name TEXT,
    action TEXT NOT NULL,
    target_id TEXT,
    target_name TEXT,
    detail TEXT,
    address TEXT
);

CREATE INDEX audit_events_workspace_time ON audit_events (workspace_id, occurred_at);
CREATE INDEX audit_events_time ON audit_events (occurred_at);
