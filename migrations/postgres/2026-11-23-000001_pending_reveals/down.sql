DROP TABLE pending_reveals;
