-- Instance administrators: who may deactivate or reactivate an account, set another
-- account's password, and see every account and the events of no workspace. Until
-- now the admins of the workspace `default` did that (the instance's own workspace,
-- where its first admin is), so they become the instance administrators: an upgrade
-- takes nobody's rights away and gives nobody new ones.
ALTER TABLE users ADD COLUMN instance_admin BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE users SET instance_admin = TRUE
WHERE id IN (
    SELECT m.user_id
    FROM memberships m
    JOIN workspaces w ON w.id = m.workspace_id
    WHERE w.name = 'default' AND m.role = 'admin'
);
