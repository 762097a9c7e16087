-- A drop that sells only to verified fans (issue 17 §1): a purchase needs a fan token, and the fan is the
-- address it proves. NULL (drops made before this) and false are open drops. Fixed once the drop is live.
ALTER TABLE drops ADD COLUMN IF NOT EXISTS verified_fans boolean;
