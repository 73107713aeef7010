-- Memberships belong to a workspace (issue 11).
--
-- A workspace admin suspends a membership instead of deactivating the account: while
-- `suspended_at` is set, the member's legacy tokens, OAuth grants and signed-in pages
-- stop in this workspace, and nowhere else. Every query that judges standing treats
-- a suspended membership as no membership. The `memberships_changed` trigger of
-- 2026-11-25-000001_auth_changes fires on any UPDATE of a membership, so the
-- instances' caches hear of a suspension or a restore within a second.
ALTER TABLE memberships ADD COLUMN suspended_at BIGINT;

-- An existing account invited to a workspace: it joins (a membership is made with
-- `role`) only when it accepts, signed in as itself. Nothing here can sign anyone in
-- or set a password, so no trigger is needed: the membership made on acceptance
-- is noted by `memberships_added`.
CREATE TABLE membership_invitations (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    invited_by TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);

CREATE INDEX membership_invitations_user ON membership_invitations (user_id);
