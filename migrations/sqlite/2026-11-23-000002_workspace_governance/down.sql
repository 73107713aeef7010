DROP TABLE audit_events;
DROP TABLE invites;
ALTER TABLE workspaces DROP COLUMN allow_never_expires;
ALTER TABLE workspaces DROP COLUMN max_lifetime_days;
ALTER TABLE workspaces DROP COLUMN members_may_generate;
ALTER TABLE workspaces DROP COLUMN tokens_enabled;
ALTER TABLE users DROP COLUMN session_epoch;
ALTER TABLE users DROP COLUMN deactivated_at;
