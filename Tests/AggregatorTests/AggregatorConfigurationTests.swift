@testable import AggregatorCore
import AggregatorTestSupport
import Foundation
import Protocols
import Testing

@Suite("Aggregator configuration and API surface")
struct AggregatorConfigurationTests {
    let directory = URL(fileURLWithPath: "/etc/tessera")

    @Test("the template parses, with paths relative to the file")
    func template() throws {
        let configuration = try AggregatorConfiguration(toml: AggregatorConfiguration.template, source: "aggregator.toml", directory: directory)
        #expect(configuration.port == 8443 && configuration.host == "0.0.0.0" && configuration.maximumPollSeconds == 60)
        #expect(configuration.maximumConcurrentUploads == 32)
        #expect(configuration.caFile.path == "/etc/tessera/pki/ca/ca.pem")
        #expect(configuration.stateDirectory.path == "/etc/tessera/state")
    }

    @Test("a missing key, an unknown key, a wrong type and a bad value are refused by name", arguments: [
        ("port = 8443", "", "server.port is missing"),
        ("port = 8443", "port = 8443\nprot = 1", "unknown keys: server.prot"),
        ("port = 8443", "port = \"8443\"", "server.port has the wrong type"),
        ("port = 8443", "port = 70000", "server.port must be 0…65535, not 70000"),
        ("log_format = \"text\"", "log_format = \"xml\"", "server.log_format must be \"text\" or \"json\", not \"xml\""),
        ("maximum_concurrent_uploads = 32", "maximum_concurrent_uploads = 0", "server.maximum_concurrent_uploads must be 1…4096, not 0"),
        ("directory = \"state\"", "", "state.directory is missing"),
    ])
    func refused(old: String, new: String, reason: String) throws {
        let toml = AggregatorConfiguration.template.replacingOccurrences(of: old, with: new)
        #expect(throws: AggregatorError.configurationInvalid(file: "aggregator.toml", reason: reason)) {
            try AggregatorConfiguration(toml: toml, source: "aggregator.toml", directory: directory)
        }
    }

    @Test("the server registers exactly the routes of the OpenAPI document")
    func routesMatchTheContract() throws {
        let harness = try AggregatorHarness(sites: [])
        let registered = AggregatorServer(aggregator: harness.aggregator, logger: AggregatorHarness.logger).makeRouter().routes
            .map { "\($0.method.rawValue) \($0.path.description.replacingOccurrences(of: ":digest", with: "{digest}").replacingOccurrences(of: ":file", with: "{file}").replacingOccurrences(of: ":id", with: "{id}"))" }
        #expect(Set(registered) == Set(APIRoute.allCases.map(\.rawValue)))
        #expect(registered.count == APIRoute.allCases.count)
    }
}
