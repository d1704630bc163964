/// The timed states of the green LED, red LED and buzzer that show one `SignalPattern`.
///
/// Patterns are chosen so that each outcome looks *and* sounds different: a guest who cannot
/// see the LEDs (bright sun) still hears one beep for accepted, two for denied, a long one for
/// out of order. Steps play in order; when `repeats` is set the steps loop until the next
/// pattern, otherwise the last step's outputs stay as they are.
public struct FeedbackPlan: Hashable, Sendable {
    /// The outputs for one stretch of time.
    public struct Step: Hashable, Sendable {
        public var green: Bool
        public var red: Bool
        public var buzzer: Bool
        /// `nil` for the final, held step of a non-repeating plan.
        public var duration: Duration?

        public init(green: Bool = false, red: Bool = false, buzzer: Bool = false, duration: Duration?) {
            self.green = green
            self.red = red
            self.buzzer = buzzer
            self.duration = duration
        }
    }

    public var steps: [Step]
    public var repeats: Bool

    public init(steps: [Step], repeats: Bool) {
        self.steps = steps
        self.repeats = repeats
    }

    static let beep = Duration.milliseconds(120)
    static let gap = Duration.milliseconds(120)

    /// The plan for a pattern.
    public static func plan(for pattern: SignalPattern) -> FeedbackPlan {
        switch pattern {
        case .idle:
            FeedbackPlan(steps: [Step(duration: nil)], repeats: false)
        case .accepted:
            // Green while the turnstile is open; one short beep.
            FeedbackPlan(steps: [
                Step(green: true, buzzer: true, duration: beep),
                Step(green: true, duration: nil),
            ], repeats: false)
        case .denied:
            // Red for ~1.5 s with two short beeps, then dark.
            FeedbackPlan(steps: [
                Step(red: true, buzzer: true, duration: beep),
                Step(red: true, duration: gap),
                Step(red: true, buzzer: true, duration: beep),
                Step(red: true, duration: .milliseconds(1_260)),
                Step(duration: nil),
            ], repeats: false)
        case .awaitingMore:
            // One beep, then green and red blink together (fast) until the next voucher.
            FeedbackPlan(steps: [
                Step(green: true, red: true, buzzer: true, duration: beep),
                Step(green: true, red: true, duration: .milliseconds(130)),
                Step(duration: .milliseconds(250)),
                Step(green: true, red: true, duration: .milliseconds(250)),
                Step(duration: .milliseconds(250)),
            ], repeats: true)
        case .outOfOrder:
            // Red slow blink, silent: it may last hours, a buzzer would annoy everyone.
            FeedbackPlan(steps: [
                Step(red: true, duration: .seconds(1)),
                Step(duration: .seconds(1)),
            ], repeats: true)
        case .emergency:
            // Green steady: walk through. Silent, the fire alarm is loud enough.
            FeedbackPlan(steps: [Step(green: true, duration: nil)], repeats: false)
        }
    }

    /// Number of buzzer beeps in one pass of the plan (a test of distinctness, and documentation).
    public var beepCount: Int {
        var count = 0
        var previous = false
        for step in steps {
            if step.buzzer && !previous { count += 1 }
            previous = step.buzzer
        }
        return count
    }
}
