import ArgumentParser
import Foundation
import SiteAgent

/// `--config FILE`, shared by the commands that read a site configuration.
struct ConfigurationOption: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp("The site configuration file (see `tessera-site config template`).", valueName: "FILE"))
    var path: String

    /// The configuration, read and checked.
    func load() throws -> SiteConfiguration {
        try SiteConfiguration(contentsOf: URL(fileURLWithPath: path))
    }
}
