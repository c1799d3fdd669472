-- Migration 3: why an incident's action is not the policy's own decision,
-- when it is not. NULL for most incidents; for a value that cannot be
-- masked in place, which takes the policy's `compressed` action (block by
-- default): 'compressed body' (a value found in an inflated request body)
-- or 'base64 cannot be rewritten' (a value in base64 whose characters are
-- written as references too short for the characters masking makes).
ALTER TABLE incidents ADD COLUMN reason TEXT;
