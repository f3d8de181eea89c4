-- What an answer in the frame log says: the PostgreSQL dialect of sqlite/0015 (see its comments).
ALTER TABLE ocpp_messages ADD COLUMN outcome TEXT;
