-- The next agreement number of an owner is MAX(CAST(agreement_number AS INTEGER)) over the
-- owner's users (decision S9). With this index that is one probe instead of a scan of every user
-- of the owner: a sign-up no longer slows down as the user count grows (issue 4).
CREATE INDEX users_agreement ON users (owner_id, CAST(agreement_number AS INTEGER));
