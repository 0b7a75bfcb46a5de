import Foundation
import InMemoryLogging
import Logging
import Model
import Protocols
import Security
import Subprocesses
@testable import SiteAgent
import Testing
import TestSupport
import Training
import Transport

@Suite("Site agent rounds")
struct SiteAgentTests {
    static func timing() -> SiteAgent.Timing {
        var timing = SiteAgent.Timing()
        timing.idlePoll = 0.001
        timing.retry = RetryPolicy(maximumAttempts: Int.max, initialDelay: 0.001, maximumDelay: 0.002)
        return timing
    }

    /// An agent on `fixture`'s configuration, or on `configuration` when given.
    static func agent(_ fixture: SiteFixture, _ aggregator: FakeAggregator, configuration: SiteConfiguration? = nil) throws -> SiteAgent {
        try SiteAgent(configuration: configuration ?? fixture.configuration, connection: aggregator, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                      timing: timing())
    }

    /// The state directory on a 1 MB tmpfs, filled to the last block.
    @Test("a full disk: the round fails naming the checkpoint and the system's reason before anything is sent, leaves no partial file, and finishes once there is space")
    func fullDisk() async throws {
        let fixture = try SiteFixture()
        defer { fixture.remove() }
        let global = try fixture.initialGlobalAdapter()
        let status = fixture.status(round: 1, state: .collecting, globalAdapterDigest: global.digest)
        let aggregator = FakeAggregator(ledger: fixture.ledger, site: SiteFixture.siteID, rounds: [], models: [global.digest: global.bytes])
        let agent = try Self.agent(fixture, aggregator)
        let stateDirectory = agent.state.directory
        guard let disk = try FullDisk.mount(over: stateDirectory, test: "site full-disk test") else { return }
        defer { disk.unmount() }
        // The global adapter is already here, so what fails is the agent's own writes (training
        // log, checkpoints, metrics, the update), not a download.
        let adapterFile = agent.state.globalAdapterFile(digest: global.digest)
        try FileManager.default.createDirectory(at: adapterFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(global.bytes).write(to: adapterFile)
        try disk.fill()

        await #expect(throws: TrainingError.checkpointWriteFailed(directory: agent.state.checkpointDirectory(1).path,
                                                                  reason: "No space left on device")) {
            try await agent.participate(in: status)
        }
        #expect(aggregator.recordedUploads.isEmpty)
        #expect(try agent.state.storedUpdate(1) == nil)
        let files = FileManager.default.enumerator(atPath: stateDirectory.path)?.compactMap { $0 as? String } ?? []
        #expect(files.filter { $0.hasSuffix(".tmp") }.isEmpty, "\(files)")

        // Space again: the same agent finishes the round.
        try disk.makeRoom()
        try await agent.participate(in: status)
        #expect(aggregator.recordedUploads.count == 1)
        #expect(try agent.state.receipt(1) != nil)
    }

    @Test("a plan asking for the token embeddings is refused before anything is downloaded, trained or sent")
    func privacyGuardStopsRound() async throws {
        let fixture = try SiteFixture {
            $0 = $0.replacingOccurrences(of: #"modules_to_save = ["multi_modal_projector"]"#,
                                         with: #"modules_to_save = ["multi_modal_projector", "embed_tokens"]"#)
        }
        defer { fixture.remove() }
        let digest = try SHA256.hash(Array("global".utf8))
        let aggregator = FakeAggregator(ledger: fixture.ledger, site: SiteFixture.siteID, rounds: [], models: [:])
        let agent = try Self.agent(fixture, aggregator)
        await #expect(throws: PrivacyGuardError.moduleNotAllowed(tensor: "base_model.model.model.language_model.embed_tokens.weight",
                                                                 allowed: ["multi_modal_projector"])) {
            try await agent.participate(in: fixture.status(round: 1, state: .open, globalAdapterDigest: digest))
        }
        #expect(aggregator.recordedUploads.isEmpty && aggregator.recordedDownloads.isEmpty)
        #expect(try agent.state.storedUpdate(1) == nil)
    }

    /// The stored update is what a restarted agent sends; one changed on disk to carry the token
    /// embeddings is refused by the guard before a byte leaves, and is left for the operator to see.
    @Test("a stored update changed on disk to carry another tensor is refused before anything is sent")
    func privacyGuardChecksStoredUpdate() async throws {
        let fixture = try SiteFixture()
        defer { fixture.remove() }
        let global = try fixture.initialGlobalAdapter()
        let model = try LlavaModel.load(from: fixture.baseDirectory)
        _ = try model.initialGlobalAdapter(plan: fixture.plan)  // attaches the plan's adapter
        let header = DeltaContainer.Header(round: 1, site: SiteFixture.siteID, baseDigest: fixture.baseDigest, sampleCount: 4,
                                           encoding: fixture.plan.wire.encoding)
        let embeddings = NamedTensor(name: "base_model.model.model.language_model.embed_tokens.weight", shape: [1, 2], values: [0.5, 0.25])
        let tampered = try DeltaContainer(header: header, tensors: try model.adapterTensors(fixture.plan.tensors.upload) + [embeddings]).encoded()
        let aggregator = FakeAggregator(ledger: fixture.ledger, site: SiteFixture.siteID, rounds: [], models: [global.digest: global.bytes])
        let agent = try Self.agent(fixture, aggregator)
        try agent.state.storeUpdate(tampered.bytes, round: 1)
        await #expect(throws: PrivacyGuardError.unexpectedTensor(tensor: embeddings.name)) {
            try await agent.participate(in: fixture.status(round: 1, state: .collecting, globalAdapterDigest: global.digest))
        }
        #expect(aggregator.recordedUploads.isEmpty)
        #expect(try agent.state.storedUpdate(1) == tampered.bytes && agent.state.receipt(1) == nil)
    }

    @Test("the loop waits after 404, skips round 0 and settled rounds, long-polls after the last round, and records a refusal")
    func loopBookkeeping() async throws {
        let fixture = try SiteFixture()
        defer { fixture.remove() }
        let global = try fixture.initialGlobalAdapter()
        let notStarted = TransportError.httpStatus(url: "/v1/rounds/current", status: 404, code: "not-found", message: "no campaign")
        let rounds: [Result<RoundStatus, TransportError>] = [
            .failure(notStarted),
            .success(fixture.status(round: 0, state: .published, globalAdapterDigest: global.digest)),
            .success(fixture.status(round: 1, state: .collecting, globalAdapterDigest: global.digest)),
            .success(fixture.status(round: 1, state: .collecting, globalAdapterDigest: global.digest)),
        ]
        let closed = TransportError.httpStatus(url: "/v1/rounds/1/updates", status: 409, code: "wrong-round", message: "round 1 is closed")
        let aggregator = FakeAggregator(ledger: fixture.ledger, site: SiteFixture.siteID, rounds: rounds,
                                        models: [global.digest: global.bytes], uploadFailures: [closed])
        let agent = try Self.agent(fixture, aggregator)
        await #expect(throws: CancellationError.self) { try await agent.pollRounds() }

        let polls = aggregator.recordedPolls.map { "\($0.after.map(String.init) ?? "-")/\($0.wait.map(String.init) ?? "-")" }
        #expect(polls == ["-/-", "-/-", "0/30", "1/30", "1/30"])
        #expect(aggregator.recordedUploads.count == 1)  // round 1 once; the second answer finds it settled
        let refusal = try #require(try agent.state.refusal(1))
        #expect(refusal.status == 409 && refusal.code == "wrong-round" && refusal.message == "round 1 is closed")
        #expect(try agent.state.receipt(1) == nil && agent.state.currentRound()?.round.id == 1)
        #expect(try agent.state.knownRounds() == [1])
    }

    @Test("a round that keeps failing is retried with a growing backoff, although the polls between succeed")
    func backoffGrowsAcrossPolls() async throws {
        let fixture = try SiteFixture()
        defer { fixture.remove() }
        let global = try fixture.initialGlobalAdapter()
        // The aggregator lists a global adapter it cannot serve: every attempt at round 1 fails.
        let status = fixture.status(round: 1, state: .collecting, globalAdapterDigest: global.digest)
        let aggregator = FakeAggregator(ledger: fixture.ledger, site: SiteFixture.siteID, rounds: Array(repeating: .success(status), count: 3), models: [:])
        let logs = InMemoryLogHandler()
        let agent = try SiteAgent(configuration: fixture.configuration, connection: aggregator, logger: Logger(label: "test") { _ in logs },
                                  timing: Self.timing())
        await #expect(throws: CancellationError.self) { try await agent.pollRounds() }
        let retries = logs.entries.filter { $0.message == "this site could not finish the round; retrying" }
        #expect(retries.map { $0.metadata["retry.failures"]?.description } == ["1", "2", "3"])
    }

    @Test("a second agent on the same state directory is refused, naming the first one's process")
    func oneAgentPerStateDirectory() async throws {
        let fixture = try SiteFixture()
        defer { fixture.remove() }
        let directory = fixture.configuration.stateDirectory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let aggregator = FakeAggregator(ledger: fixture.ledger, site: SiteFixture.siteID, rounds: [], models: [:])
        do {
            let held = try DirectoryLock(directory: directory, name: "agent.lock")
            await #expect(throws: SiteAgentError.stateInUse(directory: directory.path, holder: getpid())) {
                try await Self.agent(fixture, aggregator).run()
            }
            withExtendedLifetime(held) {}
        }
        // Released (as when the first agent's process ends), the directory is free again.
        _ = try DirectoryLock(directory: directory, name: "agent.lock")
    }

    @Test("each site and round trains with its own seed from the campaign seed")
    func seeds() throws {
        let fixture = try SiteFixture()
        defer { fixture.remove() }
        let seeds = try [("site-a", 1), ("site-a", 2), ("site-b", 1)].map {
            try fixture.plan.trainerConfiguration(round: $0.1, site: $0.0, threads: 1, checkpointInterval: 10).seed
        }
        #expect(Set(seeds).count == 3)
        #expect(try fixture.plan.trainerConfiguration(round: 1, site: "site-a", threads: 1, checkpointInterval: 10).seed == seeds[0])
    }
}
