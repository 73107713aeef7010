-- Every change that can end a verified token's right to act, or change what a check
-- answers for it, as the instances' caches of verified tokens need to hear of it.
--
-- Triggers write the rows, so no path can forget to: the pages, the API, the command
-- line, another instance, or an operator's hand-written SQL. Each instance reads the
-- rows written since its last read several times a second and drops the cached
-- entries they name: a token (`token_id`), a user's tokens in one workspace
-- (`user_id` and `workspace_id`), all of a user's (`user_id`), or all of a
-- workspace's (`workspace_id`). `changed_at` is the database's clock in
-- milliseconds; old rows are purged. Not written: a token's "last used", a new
-- token (nothing cached is made wrong by them). A new member is written: an
-- OAuth access token's subject may be cached as "not a member".
CREATE TABLE auth_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    changed_at BIGINT NOT NULL,
    token_id TEXT,
    user_id TEXT,
    workspace_id TEXT
);

CREATE INDEX auth_changes_changed_at ON auth_changes (changed_at);

CREATE TRIGGER api_tokens_deleted AFTER DELETE ON api_tokens
BEGIN
    INSERT INTO auth_changes (changed_at, token_id)
    VALUES (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), OLD.id);
END;

CREATE TRIGGER api_tokens_changed
AFTER UPDATE OF id, user_id, workspace_id, secret_digest, expires_at ON api_tokens
BEGIN
    INSERT INTO auth_changes (changed_at, token_id)
    VALUES (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), OLD.id);
END;

CREATE TRIGGER users_changed AFTER UPDATE OF id, username, deactivated_at ON users
BEGIN
    INSERT INTO auth_changes (changed_at, user_id)
    VALUES (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), OLD.id);
END;

CREATE TRIGGER users_deleted AFTER DELETE ON users
BEGIN
    INSERT INTO auth_changes (changed_at, user_id)
    VALUES (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), OLD.id);
END;

CREATE TRIGGER memberships_added AFTER INSERT ON memberships
BEGIN
    INSERT INTO auth_changes (changed_at, user_id, workspace_id)
    VALUES (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), NEW.user_id, NEW.workspace_id);
END;

CREATE TRIGGER memberships_changed AFTER UPDATE ON memberships
BEGIN
    INSERT INTO auth_changes (changed_at, user_id, workspace_id)
    VALUES (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), OLD.user_id, OLD.workspace_id);
END;

CREATE TRIGGER memberships_deleted AFTER DELETE ON memberships
BEGIN
    INSERT INTO auth_changes (changed_at, user_id, workspace_id)
    VALUES (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), OLD.user_id, OLD.workspace_id);
END;

CREATE TRIGGER workspaces_changed AFTER UPDATE ON workspaces
BEGIN
    INSERT INTO auth_changes (changed_at, workspace_id)
    VALUES (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), OLD.id);
END;

CREATE TRIGGER workspaces_deleted AFTER DELETE ON workspaces
BEGIN
    INSERT INTO auth_changes (changed_at, workspace_id)
    VALUES (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), OLD.id);
END;
