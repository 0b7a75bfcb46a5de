import Security

extension TrainingPlan.Randomness {
    /// The seed site `site` uses in round `round`: every random choice of its local training
    /// (data order, dropout masks, sampling) comes from generators seeded with it.
    ///
    /// `seed = UInt64(big-endian, SHA-256(m)[0..<8])` with the message `m` =
    /// `"tessera.site-seed.v1"` (20 bytes, UTF-8) ‖ `0x00` ‖ campaign seed (8 bytes, big-endian)
    /// ‖ round (8 bytes, big-endian, two's complement) ‖ site id (UTF-8, no terminator).
    /// E.g. campaign seed 7, round 3, site `site-a` gives `0xc60575c7572257f9` (the tests
    /// recompute it with Python's hashlib).
    /// - Throws: `SecurityError.openSSLFailure` if OpenSSL cannot hash.
    public func siteSeed(round: Int, site: String) throws -> UInt64 {
        try Self.seed(label: "tessera.site-seed.v1", fields: [campaignSeed, UInt64(bitPattern: Int64(round))], suffix: Array(site.utf8))
    }

    /// The seed of round 0's global adapter initialisation (`A` Kaiming-uniform, `B` = 0, as
    /// PEFT does), the same for the whole campaign.
    ///
    /// `seed = UInt64(big-endian, SHA-256(m)[0..<8])`, `m` = `"tessera.adapter-init.v1"`
    /// (23 bytes, UTF-8) ‖ `0x00` ‖ campaign seed (8 bytes, big-endian).
    /// - Throws: `SecurityError.openSSLFailure` if OpenSSL cannot hash.
    public func adapterInitializationSeed() throws -> UInt64 {
        try Self.seed(label: "tessera.adapter-init.v1", fields: [campaignSeed], suffix: [])
    }

    private static func seed(label: String, fields: [UInt64], suffix: [UInt8]) throws -> UInt64 {
        var message = Array(label.utf8) + [0]
        for field in fields {
            message += (0..<8).map { UInt8(truncatingIfNeeded: field >> (56 - 8 * $0)) }
        }
        message += suffix
        let digest = try SHA256.hash(message)
        return digest.bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
