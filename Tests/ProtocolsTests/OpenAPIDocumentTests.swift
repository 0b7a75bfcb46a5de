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

    /// And the other way: every operation under `paths` is one of APIRoute's (so, with the
    /// aggregator's own test, one the server registers): the document promises nothing more.
    @Test func describesNoOtherRoute() throws {
        let methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
        var operations: Set<String> = []
        var path: String?
        var inPaths = false
        for line in try OpenAPIDocument.yaml().split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if !line.hasPrefix(" "), !line.isEmpty { inPaths = line == "paths:"; path = nil; continue }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()); continue }
            if let path, let method = methods.first(where: { line == "    \($0):" }) { operations.insert("\(method.uppercased()) \(path)") }
        }
        #expect(operations == Set(APIRoute.allCases.map(\.rawValue)))
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
