import GateCore
import Testing

@Suite struct GPIOFeedbackPlanTests {
    @Test func everyPatternHasItsOwnPlan() {
        let plans = SignalPattern.allCases.map { FeedbackPlan.plan(for: $0) }
        #expect(Set(plans).count == SignalPattern.allCases.count)
    }

    @Test func acceptedAndDeniedSoundDifferent() {
        #expect(FeedbackPlan.plan(for: .accepted).beepCount == 1)
        #expect(FeedbackPlan.plan(for: .denied).beepCount == 2)
    }

    @Test func acceptedKeepsGreenOnAndEndsSilent() throws {
        let last = try #require(FeedbackPlan.plan(for: .accepted).steps.last)
        #expect(last.green && !last.red && !last.buzzer && last.duration == nil)
    }

    @Test func deniedShowsRedForAboutOneAndAHalfSecondsThenGoesDark() throws {
        let plan = FeedbackPlan.plan(for: .denied)
        let lit = plan.steps.filter(\.red).compactMap(\.duration).reduce(Duration.zero, +)
        #expect(lit == .milliseconds(1_620))
        let last = try #require(plan.steps.last)
        #expect(!last.green && !last.red && !last.buzzer)
    }

    @Test func blinkingPatternsRepeatAndSteadyOnesDoNot() {
        #expect(FeedbackPlan.plan(for: .awaitingMore).repeats)
        #expect(FeedbackPlan.plan(for: .outOfOrder).repeats)
        #expect(!FeedbackPlan.plan(for: .emergency).repeats)
        #expect(!FeedbackPlan.plan(for: .idle).repeats)
    }

    @Test func outOfOrderAndEmergencyAreSilent() {
        #expect(FeedbackPlan.plan(for: .outOfOrder).beepCount == 0)
        #expect(FeedbackPlan.plan(for: .emergency).beepCount == 0)
    }
}
