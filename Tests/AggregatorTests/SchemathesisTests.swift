import AggregatorCore
import AggregatorTestSupport
import Foundation
import Protocols
import Testing
import TestSupport

/// Schemathesis (pip, in a virtual environment this test makes) against the live server over
/// mutual TLS with Protocols/openapi.yaml: no 5xx, no response outside the document, and the
/// negative cases (invalid parameters, undeclared methods) refused as documented.
@Suite("OpenAPI contract under schemathesis", .serialized)
struct SchemathesisTests {
    static let version = "4.32.5"

    /// The `st` program of a virtual environment kept across runs; nil when pip cannot install it here.
    static func schemathesis() throws -> URL? {
        let environment = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-schemathesis-\(version)")
        let st = environment.appendingPathComponent("bin/st")
        if FileManager.default.isExecutableFile(atPath: st.path) { return st }
        let venv = try runProcess("/usr/bin/env", ["python3", "-m", "venv", environment.path])
        guard venv.status == 0 else {
            print("SKIPPED schemathesis: python3 -m venv failed here: \(venv.output.suffix(400))")
            return nil
        }
        let install = try runProcess(environment.appendingPathComponent("bin/pip").path,
                                                ["install", "--quiet", "schemathesis==\(version)"])
        guard install.status == 0, FileManager.default.isExecutableFile(atPath: st.path) else {
            print("SKIPPED schemathesis: pip could not install schemathesis \(version) here: \(install.output.suffix(400))")
            return nil
        }
        return st
    }

    @Test("schemathesis finds no server error and no response outside the OpenAPI document")
    func contract() async throws {
        guard let st = try await onOwnThread({ try Self.schemathesis() }) else { return }
        let harness = try AggregatorHarness(maximumPollSeconds: 1)
        try harness.enrol("site-a")
        try harness.aggregator.startCampaign(baseDirectory: harness.baseDirectory, definition: try harness.campaign([("quorum = 2 ", "quorum = 1 ")]))
        try await harness.serve()
        let document = harness.directory.appendingPathComponent("openapi.yaml")
        try Data(try OpenAPIDocument.yaml().utf8).write(to: document)
        // positive_data_acceptance is left out: a schema-valid upload body (any bytes) is rightly
        // refused unless it is a real delta container, which a schema cannot describe.
        let arguments = [
            "run", document.path, "--url", "https://127.0.0.1:\(harness.port)",
            "--request-cert", harness.certificateFile("site-a").path,
            "--request-cert-key", harness.directory.appendingPathComponent("pki/site-a-key.pem").path,
            "--tls-verify", harness.authority.directory.appendingPathComponent("ca.pem").path,
            "--max-examples", "15", "--workers", "2", "--exclude-checks", "positive_data_acceptance", "--no-color",
        ]
        // In the harness directory: schemathesis keeps a .schemathesis cache in its working directory.
        let result = try await onOwnThread { try runProcess(st.path, arguments, in: harness.directory) }
        #expect(result.status == 0, "\(result.output.suffix(6000))")
    }
}
