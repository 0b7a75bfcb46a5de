import Foundation
import TOMLKit

/// A site agent's configuration: one TOML file (``template``), relative paths resolved against the
/// file's directory.
///
/// ```toml
/// state_directory = "state"
/// threads = 2
/// [bundle]
/// certificate = "site.pem"
/// private_key = "site-key.pem"
/// ca = "ca.pem"
/// aggregator_url = "https://aggregator.consortium.example:8443"
/// [data]
/// labelled = "data/labelled"
/// test = "data/test"
/// ```
/// Every missing, mistyped or unknown key is a ``SiteConfigurationError`` naming the key and file.
public struct SiteConfiguration: Sendable, Equatable {
    /// The site bundle `tessera ca issue-site` writes.
    public struct Bundle: Sendable, Equatable {
        /// The site certificate (PEM); its subject CN is the site id.
        public var certificate: URL
        public var privateKey: URL
        /// The consortium CA certificate: the only trust anchor, for TLS and for receipts.
        public var certificateAuthority: URL
        /// The aggregator's https URL.
        public var aggregatorURL: String
    }

    /// The site's data, in the layout of docs/DATA_CARD.md (`sites/site-K/…`).
    public struct DataDirectories: Sendable, Equatable {
        /// `llava_instruct.json` (and `vqa.json`, when present): what each round trains on.
        public var labelled: URL
        /// `reports.jsonl`: for the later training methods; may be absent.
        public var reports: URL?
        /// Images without text: the later self-training pool; may be absent.
        public var unlabelled: URL?
        /// `vqa.json`: the held-out split evaluated after each round.
        public var test: URL
        /// The most test questions one evaluation answers (default 64), so it stays quick.
        public var evaluationItems: Int

        public init(labelled: URL, reports: URL?, unlabelled: URL?, test: URL, evaluationItems: Int) {
            self.labelled = labelled
            self.reports = reports
            self.unlabelled = unlabelled
            self.test = test
            self.evaluationItems = evaluationItems
        }
    }

    /// An explicit proxy; nil fields leave libcurl the environment's HTTPS_PROXY and NO_PROXY.
    public struct Proxy: Sendable, Equatable {
        public var httpsProxy: String?
        public var noProxy: String?
    }

    /// How log lines are written.
    public enum LogFormat: String, Sendable, CaseIterable {
        /// Human-readable lines.
        case text
        /// One JSON object per line.
        case json
    }

    /// The file this configuration was read from.
    public var file: URL
    public var bundle: Bundle
    /// A local copy of the base model; nil downloads it from the aggregator into the state directory.
    public var baseModel: URL?
    public var data: DataDirectories
    /// Checkpoints, stored updates, receipts, downloaded models.
    public var stateDirectory: URL
    /// Threads for training and evaluation (default 1): each training batch runs as this many
    /// data-parallel shards, one per thread.
    public var threads: Int
    public var proxy: Proxy
    public var logFormat: LogFormat
    /// Modules this site lets leave in full (`modules_to_save` of a plan); any other whole-module
    /// tensor in a plan's upload list is refused by the privacy guard. Default: the projector.
    public var modulesToSaveAllowed: [String]
    /// A command each round is handed to instead of training in this process (``ExternalRound``):
    /// the program and its first arguments; the job file's path is appended. A program named with a
    /// `/` but not absolute is relative to the configuration file's directory; a bare name is
    /// looked up on PATH. Nil trains here.
    public var trainerCommand: [String]?

    /// The default of `data.evaluation_items`.
    public static let defaultEvaluationItems = 64
    /// The default of `privacy.modules_to_save`.
    public static let defaultModulesToSaveAllowed = ["multi_modal_projector"]

    /// Reads and checks the file at `url` (its paths are not checked here; see ``checkPaths()``).
    /// - Throws: ``SiteConfigurationError``.
    public init(contentsOf url: URL) throws {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw SiteConfigurationError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        try self.init(toml: text, file: url)
    }

    /// Reads configuration text as if it were the file at `file` (relative paths resolve against
    /// its directory).
    /// - Throws: ``SiteConfigurationError``.
    public init(toml text: String, file: URL) throws {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw SiteConfigurationError.notTOML(file: file.path, line: error.source.begin.line, reason: error.description)
        }
        let directory = file.deletingLastPathComponent()
        let top = ConfigurationTable(root, prefix: "", file: file.path, directory: directory)
        try top.allowOnly(["state_directory", "threads", "bundle", "model", "data", "training", "proxy", "log", "privacy"])

        let bundle = try top.table("bundle")
        try bundle.allowOnly(["certificate", "private_key", "ca", "aggregator_url"])
        let aggregatorURL = try bundle.string("aggregator_url")
        guard let parsed = URL(string: aggregatorURL), parsed.scheme?.lowercased() == "https", parsed.host?.isEmpty == false else {
            throw SiteConfigurationError.invalidValue(file: file.path, key: "bundle.aggregator_url", value: aggregatorURL,
                                                      expected: "an https URL such as https://aggregator.example:8443")
        }
        self.bundle = Bundle(certificate: try bundle.path("certificate"), privateKey: try bundle.path("private_key"),
                             certificateAuthority: try bundle.path("ca"), aggregatorURL: aggregatorURL)

        let model = try top.optionalTable("model")
        try model?.allowOnly(["base"])
        baseModel = try model?.optionalPath("base")

        let data = try top.table("data")
        try data.allowOnly(["labelled", "reports", "unlabelled", "test", "evaluation_items"])
        let evaluationItems = try data.optionalInteger("evaluation_items") ?? Self.defaultEvaluationItems
        guard evaluationItems >= 1 else {
            throw SiteConfigurationError.invalidValue(file: file.path, key: "data.evaluation_items", value: "\(evaluationItems)",
                                                      expected: "an integer ≥ 1")
        }
        self.data = DataDirectories(labelled: try data.path("labelled"), reports: try data.optionalPath("reports"),
                                    unlabelled: try data.optionalPath("unlabelled"), test: try data.path("test"),
                                    evaluationItems: evaluationItems)

        stateDirectory = try top.path("state_directory")
        threads = try top.optionalInteger("threads") ?? 1
        guard (1...256).contains(threads) else {
            throw SiteConfigurationError.invalidValue(file: file.path, key: "threads", value: "\(threads)", expected: "an integer from 1 to 256")
        }

        let training = try top.optionalTable("training")
        try training?.allowOnly(["command"])
        if var command = try training?.optionalStrings("command", example: #"["/opt/tessera/train-round"]"#) {
            guard !command.isEmpty else {
                throw SiteConfigurationError.invalidValue(file: file.path, key: "training.command", value: "[]",
                                                          expected: "the trainer program and its first arguments, e.g. [\"/opt/tessera/train-round\"]")
            }
            let program = (command[0] as NSString).expandingTildeInPath
            if program.contains("/") {
                command[0] = (program.hasPrefix("/") ? URL(fileURLWithPath: program) : directory.appendingPathComponent(program)).standardizedFileURL.path
            }
            trainerCommand = command
        }

        let proxy = try top.optionalTable("proxy")
        try proxy?.allowOnly(["https_proxy", "no_proxy"])
        let httpsProxy = try proxy?.optionalString("https_proxy")
        if let httpsProxy, httpsProxy.isEmpty || httpsProxy.contains(where: \.isWhitespace) {
            throw SiteConfigurationError.invalidValue(file: file.path, key: "proxy.https_proxy", value: httpsProxy,
                                                      expected: "a proxy URL such as http://proxy.hospital.example:3128")
        }
        self.proxy = Proxy(httpsProxy: httpsProxy, noProxy: try proxy?.optionalString("no_proxy"))

        let log = try top.optionalTable("log")
        try log?.allowOnly(["format"])
        let format = try log?.optionalString("format") ?? LogFormat.text.rawValue
        guard let logFormat = LogFormat(rawValue: format) else {
            throw SiteConfigurationError.invalidValue(file: file.path, key: "log.format", value: format, expected: "\"text\" or \"json\"")
        }
        self.logFormat = logFormat

        let privacy = try top.optionalTable("privacy")
        try privacy?.allowOnly(["modules_to_save"])
        modulesToSaveAllowed = try privacy?.optionalStrings("modules_to_save", example: #"["multi_modal_projector"]"#) ?? Self.defaultModulesToSaveAllowed
        self.file = file
    }

    /// Checks that the named files and directories exist: the bundle's files, the base model
    /// directory when given, `labelled/llava_instruct.json` or `labelled/vqa.json` (or both),
    /// `test/vqa.json`, and the reports and unlabelled directories when given.
    /// - Throws: ``SiteConfigurationError/missingPath(file:key:path:expected:)`` for the first that does not.
    public func checkPaths() throws {
        let manager = FileManager.default
        func require(_ key: String, _ url: URL?, directory: Bool, expected: String) throws {
            guard let url else { return }
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue == directory,
                  directory || manager.isReadableFile(atPath: url.path) else {
                throw SiteConfigurationError.missingPath(file: file.path, key: key, path: url.path, expected: expected)
            }
        }
        try require("bundle.certificate", bundle.certificate, directory: false, expected: "a readable file (site.pem from the site bundle)")
        try require("bundle.private_key", bundle.privateKey, directory: false, expected: "a readable file (site-key.pem from the site bundle)")
        try require("bundle.ca", bundle.certificateAuthority, directory: false, expected: "a readable file (ca.pem from the site bundle)")
        try require("model.base", baseModel, directory: true, expected: "a directory (config.json, model.safetensors, tokenizer.json)")
        let labelledFiles = [SiteData.instructFile, SiteData.vqaFile].map { data.labelled.appendingPathComponent($0).path }
        guard labelledFiles.contains(where: manager.isReadableFile(atPath:)) else {
            throw SiteConfigurationError.missingPath(file: file.path, key: "data.labelled", path: data.labelled.path,
                                                     expected: "a directory holding \(SiteData.instructFile), \(SiteData.vqaFile) or both")
        }
        try require("data.test", data.test.appendingPathComponent(SiteData.vqaFile), directory: false,
                    expected: "a readable file: data.test must hold \(SiteData.vqaFile)")
        try require("data.reports", data.reports, directory: true, expected: "a directory")
        try require("data.unlabelled", data.unlabelled, directory: true, expected: "a directory")
    }
}

/// One table of the configuration, read key by key with errors that name the dotted key.
private struct ConfigurationTable {
    let table: TOMLTable
    let prefix: String
    let file: String
    let directory: URL

    init(_ table: TOMLTable, prefix: String, file: String, directory: URL) {
        self.table = table
        self.prefix = prefix
        self.file = file
        self.directory = directory
    }

    func key(_ name: String) -> String { prefix + name }

    func allowOnly(_ names: Set<String>) throws {
        if let unknown = table.keys.sorted().first(where: { !names.contains($0) }) {
            throw SiteConfigurationError.unknownKey(file: file, key: key(unknown))
        }
    }

    func table(_ name: String) throws -> ConfigurationTable {
        guard let table = try optionalTable(name) else { throw SiteConfigurationError.missingKey(file: file, key: "[\(key(name))]") }
        return table
    }

    func optionalTable(_ name: String) throws -> ConfigurationTable? {
        guard let value = table[name] else { return nil }
        guard let nested = value.table else { throw SiteConfigurationError.wrongType(file: file, key: key(name), expected: "a table ([\(key(name))])") }
        return ConfigurationTable(nested, prefix: key(name) + ".", file: file, directory: directory)
    }

    func string(_ name: String) throws -> String {
        guard let text = try optionalString(name) else { throw SiteConfigurationError.missingKey(file: file, key: key(name)) }
        return text
    }

    func optionalString(_ name: String) throws -> String? {
        guard let value = table[name] else { return nil }
        guard let text = value.string else { throw SiteConfigurationError.wrongType(file: file, key: key(name), expected: "a string in quotes") }
        return text
    }

    func optionalStrings(_ name: String, example: String) throws -> [String]? {
        guard let value = table[name] else { return nil }
        let wrongType = SiteConfigurationError.wrongType(file: file, key: key(name), expected: "a list of strings, e.g. \(example)")
        guard let array = value.array else { throw wrongType }
        return try array.map { element in
            guard let text = element.string, !text.isEmpty else { throw wrongType }
            return text
        }
    }

    func optionalInteger(_ name: String) throws -> Int? {
        guard let value = table[name] else { return nil }
        guard value.type == .int, let number = value.int else { throw SiteConfigurationError.wrongType(file: file, key: key(name), expected: "an integer") }
        return number
    }

    func path(_ name: String) throws -> URL {
        guard let url = try optionalPath(name) else { throw SiteConfigurationError.missingKey(file: file, key: key(name)) }
        return url
    }

    /// A path, `~` expanded, relative ones resolved against the configuration file's directory.
    func optionalPath(_ name: String) throws -> URL? {
        guard let text = try optionalString(name) else { return nil }
        guard !text.isEmpty else {
            throw SiteConfigurationError.invalidValue(file: file, key: key(name), value: text, expected: "a path")
        }
        let expanded = (text as NSString).expandingTildeInPath
        let url = expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded) : directory.appendingPathComponent(expanded)
        return url.standardizedFileURL
    }
}
