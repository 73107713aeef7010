-- Grants all of whose access tokens are revoked at once: when a rotated refresh
-- token is presented again (reuse detection, RFC 9700), the grant is disabled and
-- every access token it issued stops within a second on every instance, since one
-- of them may be in a thief's hands. (An ordinary Disable or Delete leaves its
-- access tokens to live out their hour, as the seed promises.)
--
-- The companion of `revoked_access_tokens`, which names single access tokens by
-- `jti`: the grant's access tokens are not stored, so they are named by their
-- grant. Every instance keeps these in memory, loads them at start and polls for
-- new rows every second by `revoked_at`. A row is useless once the last access
-- token the grant could have issued has expired (`expires_at`) and is purged then.
-- No foreign key to the grant: the revocation must outlive the grant's deletion.
CREATE TABLE revoked_grants (
    grant_id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);

CREATE INDEX revoked_grants_revoked ON revoked_grants (revoked_at);
CREATE INDEX revoked_grants_expires ON revoked_grants (expires_at);
