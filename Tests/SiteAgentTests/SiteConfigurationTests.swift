import Foundation
@testable import SiteAgent
import Testing

@Suite("Site configuration")
struct SiteConfigurationTests {
    static let file = URL(fileURLWithPath: "/srv/tessera/site.toml")

    static func parse(_ text: String) throws -> SiteConfiguration {
        try SiteConfiguration(toml: text, file: file)
    }

    /// The template minus one line, or with one line replaced.
    static func template(replacing old: String, with new: String) -> String {
        let template = SiteConfiguration.template()
        precondition(template.contains(old), "the template has no \(old)")
        return template.replacingOccurrences(of: old, with: new)
    }

    @Test("the template parses, with paths resolved against the file's directory and defaults filled in")
    func templateParses() throws {
        let configuration = try Self.parse(SiteConfiguration.template(aggregatorURL: "https://agg.example:8443"))
        #expect(configuration.bundle.certificate.path == "/srv/tessera/site.pem")
        #expect(configuration.bundle.certificateAuthority.path == "/srv/tessera/ca.pem")
        #expect(configuration.bundle.aggregatorURL == "https://agg.example:8443")
        #expect(configuration.baseModel == nil)
        #expect(configuration.data.labelled.path == "/srv/tessera/data/labelled" && configuration.data.test.path == "/srv/tessera/data/test")
        #expect(configuration.data.reports == nil && configuration.data.unlabelled == nil && configuration.data.evaluationItems == 64)
        #expect(configuration.stateDirectory.path == "/srv/tessera/state" && configuration.threads == 2)
        #expect(configuration.proxy == .init(httpsProxy: nil, noProxy: nil) && configuration.logFormat == .text)
        #expect(configuration.modulesToSaveAllowed == ["multi_modal_projector"])
    }

    @Test("optional keys and absolute paths are read as given")
    func optionalKeys() throws {
        let text = Self.template(replacing: "# base = \"/srv/tessera/base-model\"", with: "base = \"/models/base\"")
            .replacingOccurrences(of: "# https_proxy = \"http://proxy.hospital.example:3128\"", with: "https_proxy = \"http://proxy:3128\"")
            .replacingOccurrences(of: "# reports = \"data/reports\"", with: "reports = \"../reports\"")
            .replacingOccurrences(of: "format = \"text\"", with: "format = \"json\"")
        let configuration = try Self.parse(text)
        #expect(configuration.baseModel?.path == "/models/base")
        #expect(configuration.proxy.httpsProxy == "http://proxy:3128")
        #expect(configuration.data.reports?.path == "/srv/reports")
        #expect(configuration.logFormat == .json)
    }

    @Test("each bad or missing field is refused with the key and file named")
    func badFields() throws {
        let file = Self.file.path
        let cases: [(String, SiteConfigurationError)] = [
            (Self.template(replacing: "certificate = \"site.pem\"", with: ""), .missingKey(file: file, key: "bundle.certificate")),
            (Self.template(replacing: "[data]", with: "[dat]"), .unknownKey(file: file, key: "dat")),
            (Self.template(replacing: "threads = 2 ", with: "threads = \"two\" "), .wrongType(file: file, key: "threads", expected: "an integer")),
            (Self.template(replacing: "threads = 2 ", with: "threads = 0 "),
             .invalidValue(file: file, key: "threads", value: "0", expected: "an integer from 1 to 256")),
            (Self.template(replacing: "https://aggregator.consortium.example:8443", with: "http://aggregator:80"),
             .invalidValue(file: file, key: "bundle.aggregator_url", value: "http://aggregator:80",
                           expected: "an https URL such as https://aggregator.example:8443")),
            (Self.template(replacing: "format = \"text\"", with: "format = \"xml\""),
             .invalidValue(file: file, key: "log.format", value: "xml", expected: "\"text\" or \"json\"")),
            (Self.template(replacing: "evaluation_items = 64", with: "evaluation_items = 6.5"),
             .wrongType(file: file, key: "data.evaluation_items", expected: "an integer")),
            (Self.template(replacing: "ca = \"ca.pem\"", with: "ca = \"ca.pem\"\ncertificate_authority = \"x\""),
             .unknownKey(file: file, key: "bundle.certificate_authority")),
            (Self.template(replacing: "modules_to_save = [\"multi_modal_projector\"]", with: "modules_to_save = \"multi_modal_projector\""),
             .wrongType(file: file, key: "privacy.modules_to_save", expected: "a list of strings, e.g. [\"multi_modal_projector\"]")),
            (Self.template(replacing: "[bundle]", with: "[bundle_]").replacingOccurrences(of: "[bundle_]", with: ""),
             .unknownKey(file: file, key: "aggregator_url")),
        ]
        for (text, expected) in cases {
            #expect(throws: expected) { try Self.parse(text) }
        }
        let noState = Self.template(replacing: "state_directory = \"state\"", with: "")
        #expect(throws: SiteConfigurationError.missingKey(file: file, key: "state_directory")) { try Self.parse(noState) }
        do {
            _ = try Self.parse("threads = [")
            Issue.record("broken TOML was accepted")
        } catch let SiteConfigurationError.notTOML(errorFile, line, _) {
            #expect(errorFile == file && line == 1)
        }
    }

    @Test("checking paths names the first missing file by key")
    func missingPaths() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-site-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = try SiteConfiguration(toml: SiteConfiguration.template(), file: directory.appendingPathComponent("site.toml"))
        #expect(throws: SiteConfigurationError.missingPath(file: configuration.file.path, key: "bundle.certificate",
                                                           path: directory.appendingPathComponent("site.pem").path,
                                                           expected: "a readable file (site.pem from the site bundle)")) {
            try configuration.checkPaths()
        }
        for name in ["site.pem", "site-key.pem", "ca.pem"] {
            try Data("x".utf8).write(to: directory.appendingPathComponent(name))
        }
        #expect(throws: SiteConfigurationError.missingPath(file: configuration.file.path, key: "data.labelled",
                                                           path: directory.appendingPathComponent("data/labelled").path,
                                                           expected: "a directory holding llava_instruct.json, vqa.json or both")) {
            try configuration.checkPaths()
        }
        // Either file will do; the test split is next.
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("data/labelled"), withIntermediateDirectories: true)
        try Data("[]".utf8).write(to: directory.appendingPathComponent("data/labelled/vqa.json"))
        #expect(throws: SiteConfigurationError.missingPath(file: configuration.file.path, key: "data.test",
                                                           path: directory.appendingPathComponent("data/test/vqa.json").path,
                                                           expected: "a readable file: data.test must hold vqa.json")) {
            try configuration.checkPaths()
        }
    }
}
