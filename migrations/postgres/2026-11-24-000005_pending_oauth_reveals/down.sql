DROP TABLE pending_oauth_reveals;
