DROP TABLE settings;
DROP TABLE api_tokens;
DROP TABLE memberships;
DROP TABLE workspaces;
DROP TABLE users;
