// Protocols: the wire contract between sites and the aggregator (message types, the training
// plan, the delta container, the OpenAPI document). Filled in by the transport issue (#7).
