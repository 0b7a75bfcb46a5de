import ArgumentParser
import Foundation
import SiteAgent

/// `tessera-site config`: the configuration template, and a check of a configuration.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the commented configuration template, or check a configuration file.",
        subcommands: [Template.self, Check.self])

    struct Template: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the commented site configuration template (TOML) to standard output.")

        @Option(help: ArgumentHelp("The aggregator's https URL to write in.", valueName: "URL"))
        var aggregator = "https://aggregator.consortium.example:8443"

        func run() {
            print(SiteConfiguration.template(aggregatorURL: aggregator), terminator: "")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read a configuration and check that its files and directories exist, its base model loads and its data "
                + "files read, every image in place; print the site id, resolved paths, the base digest and data counts.")

        @OptionGroup var config: ConfigurationOption

        func run() throws {
            let configuration = try config.load()
            try configuration.checkPaths()
            let site = try SiteAgent.siteID(certificate: configuration.bundle.certificate)
            print("site \(site), aggregator \(configuration.bundle.aggregatorURL)")
            print("state \(configuration.stateDirectory.path)")
            print(try configuration.checkBaseModel() ?? "base: downloaded from the aggregator (checked against each round's digest)")
            print(try configuration.checkTrainer())
            print("labelled \(configuration.data.labelled.path), test \(configuration.data.test.path)")
            print("proxy \(configuration.proxy.httpsProxy ?? "from the environment (HTTPS_PROXY)")")
            for line in try SiteData(configuration.data).check() { print(line) }
            print("configuration OK")
        }
    }
}
