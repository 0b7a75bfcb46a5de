@testable import AggregatorCore
import Foundation
import Testing

/// The round driver pauses a tick between steps; an upload that may complete a round wakes it, and a
/// wake-up that arrives during a step is kept for the pause after it. (Whether a pause ended early
/// is what it returns: a loaded machine may delay when it ends, never whether.)
struct RoundDriverWakeUpTests {
    @Test func aWakeUpEndsThePause() async throws {
        let wakeUp = RoundDriver.WakeUp()
        async let paused = wakeUp.pause(upTo: .seconds(600))
        try await Task.sleep(for: .milliseconds(100))
        wakeUp.wake()
        #expect(await paused)
    }

    @Test func aWakeUpDuringAStepIsKeptForTheNextPause() async {
        let wakeUp = RoundDriver.WakeUp()
        wakeUp.wake()  // arrives while the driver is stepping, before it pauses
        #expect(await wakeUp.pause(upTo: .seconds(600)))
        // Consumed: the pause after it lasts its tick.
        #expect(await !wakeUp.pause(upTo: .milliseconds(100)))
    }

    @Test func cancellationEndsThePause() async {
        let wakeUp = RoundDriver.WakeUp()
        let pausing = Task { await wakeUp.pause(upTo: .seconds(600)) }
        pausing.cancel()
        #expect(await pausing.value)
    }
}
