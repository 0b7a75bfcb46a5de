// AggregatorCore: rounds, update intake and the HTTP API behind `tessera-aggregator`.
// Filled in by the aggregator issue (#8).
