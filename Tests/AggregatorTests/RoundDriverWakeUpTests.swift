@testable import AggregatorCore
import Foundation
import Testing

/// The round driver pauses a tick between steps; an upload that may complete a round wakes it, and a
/// wake-up that arrives during a step is kept for the pause after it.
struct RoundDriverWakeUpTests {
    @Test func aWakeUpEndsThePause() async throws {
        let wakeUp = RoundDriver.WakeUp()
        let start = ContinuousClock.now
        async let paused: Void = wakeUp.pause(upTo: .seconds(60))
        try await Task.sleep(for: .milliseconds(100))
        wakeUp.wake()
        await paused
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func aWakeUpDuringAStepIsKeptForTheNextPause() async {
        let wakeUp = RoundDriver.WakeUp()
        wakeUp.wake()  // arrives while the driver is stepping, before it pauses
        let start = ContinuousClock.now
        await wakeUp.pause(upTo: .seconds(60))
        #expect(ContinuousClock.now - start < .seconds(30))
        // Consumed: the pause after it lasts its tick.
        let second = ContinuousClock.now
        await wakeUp.pause(upTo: .milliseconds(200))
        #expect(ContinuousClock.now - second >= .milliseconds(200))
    }

    @Test func cancellationEndsThePause() async {
        let wakeUp = RoundDriver.WakeUp()
        let start = ContinuousClock.now
        let pausing = Task { await wakeUp.pause(upTo: .seconds(60)) }
        pausing.cancel()
        await pausing.value
        #expect(ContinuousClock.now - start < .seconds(30))
    }
}
