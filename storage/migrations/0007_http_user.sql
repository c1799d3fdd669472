-- The user a proxy authenticated (ICAP's X-Authenticated-User), masked as
-- the other request fields are; NULL when none was sent (the packet path
-- never knows one).
ALTER TABLE incidents ADD COLUMN http_user TEXT;
