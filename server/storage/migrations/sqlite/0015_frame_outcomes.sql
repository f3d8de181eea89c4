-- What an answer in the frame log says, in a word or two, so that "Logs" shows it without opening the
-- message: an Authorize's or StartTransaction's idTagInfo status ("Accepted", "Invalid" …), a command's status
-- ("Accepted", "Rejected", "Unlocked" …), a CALLERROR's code. Written by the OCPP layer, which reads the
-- frames; NULL for CALLs and for answers without one (e.g. a Heartbeat's).
ALTER TABLE ocpp_messages ADD COLUMN outcome TEXT;
