import AggregatorCore
import Foundation
import PlanBinding
import Security

/// What an operator and the hospitals would set up, in one work directory: a throwaway CA, the
/// server certificate, the ledger key, one bundle per site, the aggregator's configuration and
/// the campaign file.
///
/// ```
/// WORK/pki/ca/           the consortium CA (ca.pem, ca-key.pem, index.json)
/// WORK/pki/server*.pem   the aggregator's TLS certificate and key
/// WORK/pki/ledger*.pem   the ledger key and its certificate
/// WORK/aggregator.toml   the aggregator's configuration (state in WORK/aggregator-state)
/// WORK/campaign.toml     the plan and the number of rounds
/// WORK/sites/site-K/     each hospital: bundle (site.pem, site-key.pem, ca.pem), site.toml, state/
/// WORK/data/             MedSynth: public/, test/, sites/site-K/…
/// ```
struct DemoConsortium {
    let work: URL
    let sites: [String]
    let authority: CertificateAuthority

    var aggregatorConfiguration: URL { work.appendingPathComponent("aggregator.toml") }
    var campaignFile: URL { work.appendingPathComponent("campaign.toml") }
    var data: URL { work.appendingPathComponent("data") }
    var stateDirectory: URL { work.appendingPathComponent("aggregator-state") }
    var caFile: URL { authority.directory.appendingPathComponent("ca.pem") }
    func siteDirectory(_ site: String) -> URL { work.appendingPathComponent("sites").appendingPathComponent(site) }
    func siteConfiguration(_ site: String) -> URL { siteDirectory(site).appendingPathComponent("site.toml") }
    func siteCertificate(_ site: String) -> URL { siteDirectory(site).appendingPathComponent("site.pem") }
    /// MedSynth's directory of site `site-K`.
    func siteData(_ site: String) -> URL { data.appendingPathComponent("sites").appendingPathComponent(site) }

    /// Issues every credential and writes the aggregator's configuration and the campaign file.
    static func create(in work: URL, sites: [String], campaign: String) throws -> DemoConsortium {
        let pki = work.appendingPathComponent("pki")
        try FileManager.default.createDirectory(at: pki, withIntermediateDirectories: true)
        let authority = try CertificateAuthority.initialise(directory: pki.appendingPathComponent("ca"), commonName: "Tessera Demo Consortium CA")
        try authority.writeLoopbackAggregatorCredentials(to: pki)
        let consortium = DemoConsortium(work: work, sites: sites, authority: authority)
        for site in sites {
            let directory = consortium.siteDirectory(site)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try authority.issueSiteCertificate(siteID: site)
                .write(certificateTo: directory.appendingPathComponent("site.pem"), privateKeyTo: directory.appendingPathComponent("site-key.pem"))
            try FileManager.default.copyItem(at: consortium.caFile, to: directory.appendingPathComponent("ca.pem"))
        }
        let aggregator = AggregatorConfiguration.template
            .replacingOccurrences(of: "host = \"0.0.0.0\"", with: "host = \"127.0.0.1\"")
            .replacingOccurrences(of: "port = 8443", with: "port = 0")
            .replacingOccurrences(of: "directory = \"state\"", with: "directory = \"aggregator-state\"")
            .replacingOccurrences(of: "maximum_poll_seconds = 60", with: "maximum_poll_seconds = 20")
        try Data(aggregator.utf8).write(to: consortium.aggregatorConfiguration)
        try Data(campaign.utf8).write(to: consortium.campaignFile)
        return consortium
    }
}
