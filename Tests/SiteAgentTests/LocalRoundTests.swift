import Foundation
import Protocols
@testable import SiteAgent
import Testing

@Suite("Local round")
struct LocalRoundTests {
    /// Round `round` of the fixture's plan on its data, as the agent runs it.
    static func round(_ fixture: SiteFixture, _ round: Int = 1, checkpoint: URL? = nil, trainingLog: URL? = nil) -> LocalRound {
        LocalRound(plan: fixture.plan, round: round, baseDirectory: fixture.baseDirectory, baseDigest: fixture.baseDigest,
                   data: SiteData(fixture.configuration.data), threads: 2,
                   privacyGuard: PrivacyGuard(site: SiteFixture.siteID, modulesToSaveAllowed: ["multi_modal_projector"]),
                   checkpointDirectory: checkpoint, trainingLog: trainingLog)
    }

    @Test("a round stopped at a checkpoint resumes there and builds the same update as an uninterrupted run")
    func resumesFromCheckpoint() throws {
        let fixture = try SiteFixture { $0 = $0.replacingOccurrences(of: "steps = 2", with: "steps = 12") }
        defer { fixture.remove() }
        let global = try ExternalRoundTests.globalTensors(fixture)
        func round(checkpoint: URL?) -> LocalRound {
            Self.round(fixture, checkpoint: checkpoint, trainingLog: checkpoint?.deletingLastPathComponent().appendingPathComponent("log.jsonl"))
        }
        let uninterrupted = try round(checkpoint: nil).run(globalAdapter: global).container.encoded()

        let checkpoint = fixture.directory.appendingPathComponent("round-1/checkpoint")
        var steps: [Int] = []
        #expect(throws: CancellationError.self) {
            try round(checkpoint: checkpoint).run(globalAdapter: global, onStep: { steps.append($0.step) }, shouldStop: { !steps.isEmpty })
        }
        #expect(steps == Array(1...LocalRound.checkpointInterval))
        steps = []
        let resumed = try round(checkpoint: checkpoint).run(globalAdapter: global, onStep: { steps.append($0.step) })
        #expect(steps == Array((LocalRound.checkpointInterval + 1)...12))
        #expect(try resumed.container.encoded() == uninterrupted)
    }

    @Test("a checkpoint of other data (the site's images changed since) is set aside: the round trains from its start, and says so")
    func checkpointOfOtherDataStartsOver() throws {
        let fixture = try SiteFixture { $0 = $0.replacingOccurrences(of: "steps = 2", with: "steps = 12") }
        defer { fixture.remove() }
        let global = try ExternalRoundTests.globalTensors(fixture)
        let checkpoint = fixture.directory.appendingPathComponent("round-1/checkpoint")
        let work = Self.round(fixture, checkpoint: checkpoint)
        var steps: [Int] = []
        #expect(throws: CancellationError.self) {
            try work.run(globalAdapter: global, onStep: { steps.append($0.step) }, shouldStop: { !steps.isEmpty })
        }
        // As if images had been added: the checkpoint's fingerprint no longer matches the data.
        let stateFile = checkpoint.appendingPathComponent("trainer_state.json")
        var state = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: stateFile)) as? [String: Any])
        state["data"] = "0"
        try JSONSerialization.data(withJSONObject: state).write(to: stateFile)
        steps = []
        let outcome = try work.run(globalAdapter: global, onStep: { steps.append($0.step) })
        #expect(steps == Array(1...12))
        #expect(outcome.dataNotes.contains { $0.hasPrefix("the round's checkpoint cannot be resumed (written for other training data") })
    }

    @Test("a damaged checkpoint (a tensor file cut short, as a power loss can leave it) is set aside: the round trains from its start to the uninterrupted run's update")
    func damagedCheckpointStartsOver() throws {
        let fixture = try SiteFixture { $0 = $0.replacingOccurrences(of: "steps = 2", with: "steps = 12") }
        defer { fixture.remove() }
        let global = try ExternalRoundTests.globalTensors(fixture)
        let uninterrupted = try Self.round(fixture).run(globalAdapter: global).container.encoded()
        let checkpoint = fixture.directory.appendingPathComponent("round-1/checkpoint")
        let work = Self.round(fixture, checkpoint: checkpoint)
        var steps: [Int] = []
        #expect(throws: CancellationError.self) {
            try work.run(globalAdapter: global, onStep: { steps.append($0.step) }, shouldStop: { !steps.isEmpty })
        }
        for name in ["trained.safetensors", "optimizer.safetensors"] {
            let file = checkpoint.appendingPathComponent(name)
            let bytes = try Data(contentsOf: file)
            try bytes.prefix(bytes.count - 100).write(to: file)
            steps = []
            let outcome = try work.run(globalAdapter: global, onStep: { steps.append($0.step) })
            #expect(steps == Array(1...12), "\(name)")
            #expect(outcome.dataNotes.contains { $0.hasPrefix("the round's checkpoint cannot be resumed (") }, "\(name)")
            #expect(try outcome.container.encoded() == uninterrupted, "\(name)")
            // The next damage needs a checkpoint again: stop this run at its first.
            try? FileManager.default.removeItem(at: checkpoint)
            steps = []
            #expect(throws: CancellationError.self) {
                try work.run(globalAdapter: global, onStep: { steps.append($0.step) }, shouldStop: { !steps.isEmpty })
            }
        }
    }

    @Test("an objective's own tensor starts from the global adapter's value, trains, and goes out in the update")
    func objectiveTensorsTravel() throws {
        let fixture = try SiteFixture {
            $0 = $0.replacingOccurrences(of: "[schedule]", with: "[[objectives]]\nname = \"infonce\"\nweight = 0.5\n\n[schedule]")
        }
        defer { fixture.remove() }
        let name = "tessera.objective.infonce.logit_scale"
        #expect(fixture.plan.tensors.upload.contains { $0.name == name && $0.shape == [1] })
        var global = try ExternalRoundTests.globalTensors(fixture)
        let index = try #require(global.firstIndex { $0.name == name })
        #expect(global[index].values == [Float(Foundation.log(1 / Float(0.07)))])  // round 0: the objective's initial value
        global[index].values = [1.5]  // as an aggregation would have moved it
        let work = Self.round(fixture, 2)
        let uploaded = try #require(try work.run(globalAdapter: global).container.tensors.first { $0.name == name })
        // Two AdamW steps of at most about the learning rate each, from 1.5 (not from 2.66).
        #expect(uploaded.values[0] != 1.5 && abs(uploaded.values[0] - 1.5) < 0.05, "\(uploaded.values)")
    }
}
