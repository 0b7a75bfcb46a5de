import Foundation
import Ledger
import Protocols
import Security
import Testing

/// The worked example of docs/LEDGER.md, byte for byte: a verifier written from the document
/// alone must reproduce these values.
struct LedgerEntryTests {
    static let digest = "8822807ed15ded89422780ef7a6fbdc9122f68dfcffe910cff73a738bbc35b11"  // SHA-256("tessera update")
    static let previousHash = "e825764a9f8c0fc5fcc2ae161e98fef78f686fd0ad4d754e502e8e3b5f151dd0"  // SHA-256("tessera previous entry")
    static let canonicalHex = """
        7b226b696e64223a227570646174652d6163636570746564222c227061796c6f6164223a7b22646967657374223a22383832323830\
        37656431356465643839343232373830656637613666626463393132326636386466636666653931306366663733613733386262\
        633335623131222c2273616d706c6573223a3132302c22737465705f6e6f726d223a312e35652d377d2c22726f756e64223a332c\
        2273657175656e6365223a352c2273697465223a22736974652d61222c2274696d65223a22323032352d30332d30315431323a30\
        303a30305a227d
        """
    static let hash = "5aa58a7568ac5c06f1329fc7de86e5b69fc0fdbbbe1273d3184e1eaa187dd1f3"
    /// RFC 8032 §7.1 TEST 1's secret key, whose public key is d75a9801…f707511a.
    static let seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
    static let signature = """
        9999a587b1d6d5f60bb60a77c0c8e5b01f71eedff3cf6e609abc72380a02e6cb\
        facf8d8c6bcaea57ad8232047d4380710ace6eafe9d0cad87b7b6c2b8f375009
        """

    static func bytes(hex: String) -> [UInt8] {
        stride(from: 0, to: hex.count, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
    }

    static func exampleCanonicalBytes() throws -> [UInt8] {
        let event = LedgerEvent.updateAccepted(round: 3, site: "site-a", digest: try SHA256.Digest(hex: digest),
                                               samples: 120, stepNorm: 1.5e-7)
        return try LedgerEntry.canonicalBytes(
            sequence: 5, time: try LedgerTime.date("2025-03-01T12:00:00Z"), kind: event.kind, round: event.round,
            site: event.site, payload: event.payload)
    }

    /// The example entry's canonical bytes are the document's.
    @Test func encodesTheWorkedExample() throws {
        let canonical = try Self.exampleCanonicalBytes()
        #expect(canonical == Self.bytes(hex: Self.canonicalHex))
        #expect(String(decoding: canonical, as: UTF8.self) == """
            {"kind":"update-accepted","payload":{"digest":"\(Self.digest)","samples":120,"step_norm":1.5e-7},\
            "round":3,"sequence":5,"site":"site-a","time":"2025-03-01T12:00:00Z"}
            """)
    }

    /// hash = SHA-256(previous hash ‖ canonical), and the fixed key's signature over it.
    @Test func hashesAndSignsTheWorkedExample() throws {
        let hash = try HashChain.hash(previous: try SHA256.Digest(hex: Self.previousHash), canonical: try Self.exampleCanonicalBytes())
        #expect(hash.hex == Self.hash)
        let key = try Ed25519Key(rawRepresentation: Self.bytes(hex: Self.seed))
        #expect(try key.publicKey().rawRepresentation == Self.bytes(hex: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
        #expect(try key.signature(for: hash.bytes) == Self.bytes(hex: Self.signature))
        #expect(try key.publicKey().isValidSignature(Self.bytes(hex: Self.signature), for: hash.bytes))
    }

    /// Times have one spelling: RFC 3339 UTC, whole seconds.
    @Test func acceptsOnlyOneSpellingOfTime() throws {
        #expect(LedgerTime.text(try LedgerTime.date("2024-02-29T23:59:59Z")) == "2024-02-29T23:59:59Z")
        for text in ["2025-03-01T12:00:00.000Z", "2025-03-01T12:00:00+00:00", "2025-02-30T12:00:00Z", "2025-03-01t12:00:00z"] {
            #expect(throws: LedgerError.invalidTime(value: text)) { try LedgerTime.date(text) }
        }
    }
}
