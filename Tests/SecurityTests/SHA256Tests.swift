import Foundation
import Security
import Testing

struct SHA256Tests {
    /// FIPS 180-2 appendix B / NIST CSRC example values, one-shot over [UInt8] and Data.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func hashesNISTVectors(message: String, expected: String) throws {
        #expect(try SHA256.hash(Array(message.utf8)).hex == expected)
        #expect(try SHA256.hash(Data(message.utf8)).hex == expected)
    }

    /// One million 'a' fed in 1000 pieces of 1000 bytes equals the NIST value.
    @Test func hashesOneMillionAIncrementally() throws {
        let hasher = try SHA256()
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { try hasher.update(piece) }
        #expect(try hasher.finalize().hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// After `finalize` the hasher starts over: the next message hashes as if alone.
    @Test func startsOverAfterFinalize() throws {
        let hasher = try SHA256()
        try hasher.update(Array("first message".utf8))
        _ = try hasher.finalize()
        try hasher.update(Array("abc".utf8))
        #expect(try hasher.finalize() == SHA256.hash(Array("abc".utf8)))
    }

    /// Incremental hashing over uneven pieces, including empty ones, equals one-shot hashing.
    @Test func incrementalEqualsOneShot() throws {
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let hasher = try SHA256()
        var offset = 0
        for size in [0, 1, 63, 64, 65, 0, 1000, 4096] {
            try hasher.update(bytes[offset..<offset + size])
            offset += size
        }
        try hasher.update(bytes[offset...])
        #expect(try hasher.finalize() == SHA256.hash(bytes))
    }

    /// Hex text round-trips, and upper case parses to the same digest.
    @Test func parsesDigestFromHex() throws {
        let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        let digest = try SHA256.Digest(hex: hex)
        #expect(digest.hex == hex)
        #expect(digest.description == hex)
        #expect(try SHA256.Digest(hex: hex.uppercased()) == digest)
        #expect(digest.bytes.count == 32)
    }

    @Test(arguments: [
        "",
        "ba7816bf",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015adff",
        "za7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a ",
    ])
    func rejectsMalformedDigestHex(text: String) {
        #expect(throws: SecurityError.invalidDigestHex(value: text)) { try SHA256.Digest(hex: text) }
    }

    @Test func rejectsDigestOfWrongLength() {
        #expect(throws: SecurityError.invalidLength(field: "SHA-256 digest", found: 31, expected: 32)) {
            try SHA256.Digest(bytes: [UInt8](repeating: 0, count: 31))
        }
    }
}
