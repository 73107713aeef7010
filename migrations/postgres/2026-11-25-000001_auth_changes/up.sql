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
    seq BIGSERIAL PRIMARY KEY,
    changed_at BIGINT NOT NULL,
    token_id TEXT,
    user_id TEXT,
    workspace_id TEXT
);

CREATE INDEX auth_changes_changed_at ON auth_changes (changed_at);

CREATE FUNCTION auth_changes_now() RETURNS BIGINT LANGUAGE SQL AS
$$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT $$;

CREATE FUNCTION note_token_change() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO auth_changes (changed_at, token_id) VALUES (auth_changes_now(), OLD.id);
    RETURN NULL;
END $$;

CREATE FUNCTION note_user_change() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO auth_changes (changed_at, user_id) VALUES (auth_changes_now(), OLD.id);
    RETURN NULL;
END $$;

CREATE FUNCTION note_membership_change() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO auth_changes (changed_at, user_id, workspace_id)
    VALUES (auth_changes_now(), OLD.user_id, OLD.workspace_id);
    RETURN NULL;
END $$;

CREATE FUNCTION note_new_member() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO auth_changes (changed_at, user_id, workspace_id)
    VALUES (auth_changes_now(), NEW.user_id, NEW.workspace_id);
    RETURN NULL;
END $$;

CREATE FUNCTION note_workspace_change() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO auth_changes (changed_at, workspace_id) VALUES (auth_changes_now(), OLD.id);
    RETURN NULL;
END $$;

CREATE TRIGGER api_tokens_deleted AFTER DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION note_token_change();
CREATE TRIGGER api_tokens_changed
    AFTER UPDATE OF id, user_id, workspace_id, secret_digest, expires_at ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION note_token_change();
CREATE TRIGGER users_changed AFTER UPDATE OF id, username, deactivated_at ON users
    FOR EACH ROW EXECUTE FUNCTION note_user_change();
CREATE TRIGGER users_deleted AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION note_user_change();
CREATE TRIGGER memberships_added AFTER INSERT ON memberships
    FOR EACH ROW EXECUTE FUNCTION note_new_member();
CREATE TRIGGER memberships_changed AFTER UPDATE ON memberships
    FOR EACH ROW EXECUTE FUNCTION note_membership_change();
CREATE TRIGGER memberships_deleted AFTER DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION note_membership_change();
CREATE TRIGGER workspaces_changed AFTER UPDATE ON workspaces
    FOR EACH ROW EXECUTE FUNCTION note_workspace_change();
CREATE TRIGGER workspaces_deleted AFTER DELETE ON workspaces
    FOR EACH ROW EXECUTE FUNCTION note_workspace_change();
