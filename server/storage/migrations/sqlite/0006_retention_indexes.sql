-- Indexes for the retention pruner (storage: Db::prune_authorization_decisions, Db::prune_meter_values), so that
-- deleting old rows in chunks reads only the rows it deletes.

-- Decisions by age, across all stations.
CREATE INDEX authorization_decisions_at ON authorization_decisions (at);
-- "Is this decision a transaction's?": a transaction's decision is kept with it.
CREATE INDEX transactions_decision ON transactions (decision_id);
-- Finished transactions by stop time, whose raw meter values expire.
CREATE INDEX transactions_stopped ON transactions (stopped_at);
-- Readings without a transaction, by their own time.
CREATE INDEX meter_values_unassigned_at ON meter_values (at) WHERE transaction_id IS NULL;
