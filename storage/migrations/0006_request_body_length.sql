-- The request body's length as its head declared it (Content-Length), for
-- EVE's http.request_body_length: how much the request carried. NULL when
-- not known (a chunked body, or no request head parsed).
ALTER TABLE incidents ADD COLUMN http_body_length INTEGER;
