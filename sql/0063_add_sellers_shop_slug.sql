-- The shop's address, /s/<shop_slug>. Set at sign-up; sellers from before this column get theirs the first
-- time a page needs it (DSQL cannot backfill inside DDL, and a NULL here is just "not chosen yet").
ALTER TABLE sellers ADD COLUMN IF NOT EXISTS shop_slug text;
