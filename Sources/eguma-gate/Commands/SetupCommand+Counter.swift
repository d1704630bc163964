import GateDaemon

// Setup's questions for SPEC §10 "Counter": the guest keypad and receipts of the lane.
extension SetupCommand {
    /// Asks for `keypad`, `receipt` and `printer`; writes a key only when it is set or was in the
    /// file already, so re-running setup with every default leaves the file as it was. The keypad
    /// and the receipt button need the kiosk page: `[gate] display` is set to 127.0.0.1:8080 if off.
    func askCounter(io: SetupIO, lane: String, existing: GateConfig?, set: (String, String) throws -> Void) throws {
        let old = existing?.lane(lane)?.guestInput
        let keypad = io.confirm("Keypad on the guest screen, for codes a scanner cannot read?", default: old?.keypad ?? false)
        if keypad || old?.keypad == true { try set("lanes.\(lane).keypad", String(keypad)) }
        let receipt = io.ask("Receipts: off, always, or ask (a button on the guest screen)", default: old?.receipt.rawValue ?? "off") {
            ["off", "always", "ask"].contains($0) ? nil : "off, always or ask"
        }
        if receipt != "off" || (old.map { $0.receipt != .off } ?? false) { try set("lanes.\(lane).receipt", SetupAnswers.string(receipt)) }
        if receipt != "off" {
            let path = io.ask("Receipt printer: its USB node or serial port", default: old?.printer?.path ?? "/dev/usb/lp0") {
                $0.hasPrefix("/") ? nil : "a device path such as /dev/usb/lp0 or /dev/ttyUSB2"
            }
            let kind = path.hasPrefix("/dev/usb/lp") ? "usblp" : "serial"
            try set("lanes.\(lane).printer", "{ kind = \"\(kind)\", path = \(SetupAnswers.string(path)) }")
        }
        if (keypad || receipt == "ask"), existing?.gate.display == nil {
            try set("gate.display", SetupAnswers.string("127.0.0.1:8080"))
            io.say("  the kiosk page is on http://127.0.0.1:8080/lanes/\(lane)?key=… — the key is in keypad-\(lane).key beside the journal (docs/display.md)")
        }
    }
}
