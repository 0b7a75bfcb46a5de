import Foundation
import Protocols
import Security
import Testing

struct OpenAPIDocumentTests {
    /// Every route of APIRoute appears under `paths` with its method.
    @Test func describesEveryRoute() throws {
        let lines = try OpenAPIDocument.yaml().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for route in APIRoute.allCases {
            let pathLine = try #require(lines.firstIndex(of: "  \(route.path):"), "openapi.yaml lacks path \(route.path)")
            let block = lines[(pathLine + 1)...].prefix { $0.hasPrefix("    ") }
            #expect(block.contains("    \(route.method.lowercased()):"), "openapi.yaml lacks \(route.rawValue)")
        }
        #expect(lines.first == "openapi: 3.1.0")
    }

    /// Every JSON key the message types write is named in the document, and every upload header.
    @Test func namesEveryFieldTheTypesWrite() throws {
        let yaml = try OpenAPIDocument.yaml()
        let digest = try SHA256.Digest(hex: String(repeating: "ab", count: 32))
        let plan = try PlanFixtures.plan()
        let messages: [any Encodable] = [
            plan,
            RoundStatus(id: 1, state: .open, baseDigest: digest, globalAdapterDigest: digest, plan: plan, deadline: Date()),
            Receipt(round: 1, site: "a", digest: digest, sequence: 2, entryHash: digest, previousHash: digest, entry: "{}",
                    ledgerKeyFingerprint: digest, signature: Data()),
            ErrorBody(code: .wrongRound, message: "m"),
            LedgerPage(entries: [LedgerEntryMessage(sequence: 1, time: Date(), kind: .roundOpened, round: 1, site: "a", payload: .null,
                                                    previousHash: digest, hash: digest, canonical: Data(), signature: Data())], nextAfter: 1),
            LedgerHead(sequence: 1, hash: digest, time: Date(), ledgerKeyFingerprint: digest, signature: Data()),
        ]
        for message in messages {
            let object = try JSONSerialization.jsonObject(with: WireJSON.encode(message))
            for key in Self.keys(of: object) where !["options", "temperature"].contains(key) {
                #expect(yaml.contains("\(key):") || yaml.contains("[\(key)") || yaml.contains(", \(key)"), "openapi.yaml does not name \(key) of \(type(of: message))")
            }
        }
        for header in UploadMetadata(digest: digest, baseDigest: digest, sampleCount: 1, encoding: .fp32).httpHeaderFields.keys {
            #expect(yaml.contains("name: \(header)"), "openapi.yaml lacks header \(header)")
        }
    }

    private static func keys(of object: Any) -> Set<String> {
        if let dictionary = object as? [String: Any] {
            return dictionary.reduce(into: Set(dictionary.keys)) { $0.formUnion(keys(of: $1.value)) }
        }
        if let array = object as? [Any] { return array.reduce(into: Set()) { $0.formUnion(keys(of: $1)) } }
        return []
    }
}
