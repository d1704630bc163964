/// A port: whatever shows a guest what the lane is doing (kiosk page, pole display, LEDs).
public protocol GuestFeedback: Sendable {
    func show(_ state: GuestState) async
}
