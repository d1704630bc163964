/// The internal resistor asked of the GPIO controller for an input line.
///
/// `asIs` leaves whatever the firmware or device tree set; a dry contact to ground needs
/// `pullUp`, a contact to 3.3 V needs `pullDown`, an actively driven signal `disabled`.
public enum GPIOBias: String, Hashable, Sendable, CaseIterable {
    case asIs = "as-is"
    case pullUp = "pull-up"
    case pullDown = "pull-down"
    case disabled
}
