/// The version of the wire contract between sites and the aggregator, and the rule for fields a
/// peer does not know.
///
/// The version travels where a peer must act on it: `protocol_version` in the ``TrainingPlan``
/// (so in every ``RoundStatus``), the `Tessera-Protocol-Version` header on uploads
/// (``UploadMetadata``), `tessera.format_version` in a ``DeltaContainer``'s header. A peer refuses
/// any other version with ``ErrorCode/unsupportedProtocolVersion``: there is no negotiation, the
/// consortium upgrades sites and aggregator together.
///
/// **Unknown fields.** In the ``TrainingPlan`` an unknown field is an error
/// (``TrainingPlanError/unknownField(path:)``): every plan field shapes what a site trains, so a
/// site that silently ignored one would train something else than the consortium decided. Adding a
/// plan field therefore needs a new protocol version. In every other message (round status,
/// receipts, ledger pages, error bodies) unknown fields are ignored, so the aggregator can add
/// informational fields within a version.
public enum ProtocolVersion {
    /// The version this build speaks.
    public static let current = 1
}
