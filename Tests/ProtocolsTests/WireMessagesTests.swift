import Foundation
import Protocols
import Security
import Testing

struct WireMessagesTests {
    let digest = try! SHA256.Digest(hex: String(repeating: "ab", count: 32))
    let other = try! SHA256.Digest(hex: String(repeating: "0f", count: 32))

    @Test func errorBodyHasTheDocumentedShape() throws {
        let json = try WireJSON.encode(ErrorBody(code: .staleBase, message: "trained from another base"))
        #expect(String(decoding: json, as: UTF8.self) == #"{"error":{"code":"stale-base","message":"trained from another base"}}"#)
        #expect(try WireJSON.decode(ErrorBody.self, from: json).error.code == .staleBase)
    }

    /// Round status round-trips with sorted keys and RFC 3339 dates; unknown fields are ignored.
    @Test func roundStatusIsStableAndLenient() throws {
        let status = RoundStatus(id: 3, state: .collecting, baseDigest: digest, globalAdapterDigest: other,
                                 plan: try PlanFixtures.plan(), deadline: Date(timeIntervalSince1970: 1_740_830_400))
        let json = try WireJSON.encode(status)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.hasPrefix(#"{"base_digest":"abab"#))
        #expect(text.contains(#""deadline":"2025-03-01T12:00:00Z","global_adapter_digest":"0f0f"#))
        #expect(try WireJSON.decode(RoundStatus.self, from: json) == status)
        var object = try #require(JSONSerialization.jsonObject(with: json) as? [String: Any])
        object["progress"] = ["uploads": 2]
        #expect(try WireJSON.decode(RoundStatus.self, from: JSONSerialization.data(withJSONObject: object)) == status)
    }

    @Test func receiptRoundTrips() throws {
        let receipt = Receipt(round: 3, site: "site-a", digest: digest, sequence: 42, entryHash: other, previousHash: digest,
                              entry: #"{"kind":"update-accepted"}"#, ledgerKeyFingerprint: digest, signature: Data(repeating: 7, count: 64))
        let json = try WireJSON.encode(receipt)
        #expect(String(decoding: json, as: UTF8.self).contains(#""entry_hash":"0f0f"#))
        #expect(try WireJSON.decode(Receipt.self, from: json) == receipt)
    }

    @Test func ledgerEntryReadsKindsItDoesNotKnow() throws {
        let entry = LedgerEntryMessage(sequence: 1, time: Date(timeIntervalSince1970: 0), kind: LedgerEntryKind(rawValue: "privacy-spent"),
                                       round: nil, site: "site-a", payload: .object(["epsilon": .number(0.5)]),
                                       previousHash: digest, hash: other, canonical: Data("{}".utf8), signature: Data([1, 2]))
        let page = LedgerPage(entries: [entry], nextAfter: nil)
        #expect(try WireJSON.decode(LedgerPage.self, from: WireJSON.encode(page)) == page)
    }

    @Test func uploadMetadataTravelsInHeaders() throws {
        let metadata = UploadMetadata(digest: digest, baseDigest: other, sampleCount: 120, encoding: .bf16)
        var fields = metadata.httpHeaderFields
        #expect(fields["Tessera-Content-Digest"] == digest.hex)
        #expect(try UploadMetadata(httpHeaderFields: fields) == metadata)
        // Names are case-insensitive, as HTTP says.
        let lowered = Dictionary(uniqueKeysWithValues: fields.map { ($0.key.lowercased(), $0.value) })
        #expect(try UploadMetadata(httpHeaderFields: lowered) == metadata)
        fields["Tessera-Sample-Count"] = "0"
        #expect(throws: UploadMetadataError.invalidHeader(name: "Tessera-Sample-Count", value: "0", expected: "an integer ≥ 1")) {
            try UploadMetadata(httpHeaderFields: fields)
        }
        fields["Tessera-Protocol-Version"] = "2"
        #expect(throws: UploadMetadataError.unsupportedProtocolVersion(found: 2, expected: 1)) { try UploadMetadata(httpHeaderFields: fields) }
        fields.removeValue(forKey: "Tessera-Protocol-Version")
        #expect(throws: UploadMetadataError.missingHeader(name: "Tessera-Protocol-Version")) { try UploadMetadata(httpHeaderFields: fields) }
    }

    @Test func routesSplitIntoMethodAndPath() {
        #expect(APIRoute.upload.method == "PUT")
        #expect(APIRoute.upload.path == "/v1/rounds/{id}/updates")
        #expect(APIRoute.allCases.count == 9)
    }
}
