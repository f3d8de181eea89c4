-- Indexes for the retention pruner: the PostgreSQL dialect of sqlite/0006 (see its comments).
CREATE INDEX authorization_decisions_at ON authorization_decisions (at);
CREATE INDEX transactions_decision ON transactions (decision_id);
CREATE INDEX transactions_stopped ON transactions (stopped_at);
CREATE INDEX meter_values_unassigned_at ON meter_values (at) WHERE transaction_id IS NULL;
