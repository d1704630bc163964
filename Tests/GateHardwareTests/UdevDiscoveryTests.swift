import Foundation
import GateCore
import GateHardware
import Glibc
import Testing
import TestSupport

extension DeviceAccess {
    /// udev discovery and hotplug under umockdev: fake sysfs devices whose tty nodes are PTYs, and
    /// uevents on the udev monitor. Needs `umockdev-wrapper` (see `UmockdevEnvironment`).
    /// Serialized, and the only umockdev suite of this target: umockdev has one testbed per process.
    @Suite(.serialized, .enabled(if: UmockdevEnvironment.shouldRun))
    struct UdevDiscoveryTests {
        let symbol: [(String, String)] = [("ID_VENDOR_ID", "05e0"), ("ID_MODEL_ID", "1200"), ("ID_SERIAL", "Symbol_DS2208_42")]
        let lane = LaneScannerConfig(kind: .serial, match: ["ID_VENDOR_ID": "05e0"], terminator: .cr)

        private func write(_ testbed: UmockdevTestbed, _ node: String, _ text: String) throws {
            let fd = testbed.deviceFD(node)
            try #require(fd >= 0, "no PTY master for \(node)")
            let n = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            #expect(n == text.utf8.count)
        }

        @Test func aScannerPresentAtStartIsFoundAndRead() async throws {
            let testbed = try UmockdevTestbed()
            try testbed.addSerialDevice(name: "ttyACM0", properties: symbol)
            let watcher = try UdevWatcher()
            let found = try #require(watcher.devices.first { $0.devnode == "/dev/ttyACM0" })
            #expect(found.kind == .serial)
            #expect(found.properties["ID_SERIAL"] == "Symbol_DS2208_42")

            let events = EventQueue(running: LaneScanner(lane: "main", config: lane, watcher: watcher))
            #expect(try await events.next("attached") == .attached(device: "/dev/ttyACM0"))
            try write(testbed, "/dev/ttyACM0", "KJR3-ABCD-EFGH\r")
            #expect(try await events.nextFrame() == "KJR3-ABCD-EFGH")
            await watcher.stop()
        }

        @Test func hotplugAttachesReadsDetachesAndResumes() async throws {
            let testbed = try UmockdevTestbed()
            let watcher = try UdevWatcher()
            let events = EventQueue(running: LaneScanner(lane: "main", config: lane, watcher: watcher))

            let syspath = try testbed.addSerialDevice(name: "ttyACM0", properties: symbol)
            #expect(try await events.next("attached after plug-in") == .attached(device: "/dev/ttyACM0"))
            try write(testbed, "/dev/ttyACM0", "FIRST-1\r")
            #expect(try await events.nextFrame() == "FIRST-1")

            testbed.unplug(syspath)
            guard case .detached(let device, _)? = try await events.next("detached after unplug") else {
                Issue.record("expected detached")
                return
            }
            #expect(device == "/dev/ttyACM0")

            // Plugged in again. umockdev cannot re-create a removed node under the same name (it
            // keeps the old PTY), so it comes back as ttyACM1, as the kernel also does when the old
            // node is still held open somewhere.
            try testbed.addSerialDevice(name: "ttyACM1", properties: symbol, minor: 1)
            #expect(try await events.next("attached after replug") == .attached(device: "/dev/ttyACM1"))
            try write(testbed, "/dev/ttyACM1", "AGAIN-2\r")
            #expect(try await events.nextFrame() == "AGAIN-2")
            await watcher.stop()
        }

        /// `eguma-gate scanners --config` as a technician runs it: the binary (a child process)
        /// sees the same testbed through the inherited umockdev environment.
        @Test func theScannersCommandListsDevicesAndTheLaneEachServes() async throws {
            let testbed = try UmockdevTestbed()
            try testbed.addSerialDevice(name: "ttyACM0", properties: symbol)
            try testbed.addSerialDevice(name: "ttyUSB0", properties: [("ID_VENDOR_ID", "1a86"), ("ID_BUS", "usb")], major: 188, minor: 0)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scanners-\(getpid())").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let config = dir + "/g.toml"
            try """
                [lanes.main]
                scanner = { kind = "serial", match = { ID_VENDOR_ID = "05e0" }, terminator = "cr" }
                [lanes.side]
                scanner = { kind = "hid", match = { ID_SERIAL = "nothing-like-this" } }
                """.write(toFile: config, atomically: true, encoding: .utf8)

            let binary = GateBinary.path
            let output = try await withDeadline(.seconds(30), "eguma-gate scanners") { try await offPool {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: binary)
                process.arguments = ["scanners", "--config", config]
                let out = Pipe()
                process.standardOutput = out
                process.standardError = out
                try process.run()
                let data = out.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                return (process.terminationStatus, String(decoding: data, as: UTF8.self))
            } }
            #expect(output.0 == 0, "\(output.1)")
            let lines = output.1.split(separator: "\n").map(String.init)
            let acm = try #require(lines.first { $0.hasPrefix("/dev/ttyACM0") }, "\(output.1)")
            #expect(acm.contains("serial") && acm.contains("05e0") && acm.hasSuffix("main"))
            let usb = try #require(lines.first { $0.hasPrefix("/dev/ttyUSB0") }, "\(output.1)")
            #expect(usb.hasSuffix("-"))
            #expect(output.1.contains("lane side: hid scanner — no device present matches (ID_SERIAL=nothing-like-this)"))
        }

        @Test func aDeviceOfAnotherVendorIsLeftAlone() async throws {
            let testbed = try UmockdevTestbed()
            let watcher = try UdevWatcher()
            let events = EventQueue(running: LaneScanner(lane: "main", config: lane, watcher: watcher))
            try testbed.addSerialDevice(name: "ttyUSB0", properties: [("ID_VENDOR_ID", "1a86")], major: 188, minor: 0)
            try testbed.addSerialDevice(name: "ttyACM3", properties: symbol, minor: 3)
            #expect(try await events.next("attached") == .attached(device: "/dev/ttyACM3"))
            await watcher.stop()
        }

        @Test func aLaneFindsItsScannerByTheStableSymlink() async throws {
            let testbed = try UmockdevTestbed()
            try testbed.addSerialDevice(
                name: "ttyACM1", properties: symbol + [("DEVLINKS", "/dev/serial/by-id/usb-Symbol_42 /dev/eguma-scanner-main")],
                minor: 1)
            let watcher = try UdevWatcher()
            let byPath = LaneScannerConfig(kind: .serial, path: "/dev/eguma-scanner-main")
            let events = EventQueue(running: LaneScanner(lane: "main", config: byPath, watcher: watcher))
            #expect(try await events.next("attached") == .attached(device: "/dev/ttyACM1"))
            await watcher.stop()
        }

        /// The HID reader's grab under umockdev's ioctl emulation (this machine has no /dev/uinput).
        @Test func stoppingTheHIDReaderReleasesTheGrab() async throws {
            let testbed = try UmockdevTestbed()
            try testbed.addFromString("""
                P: /devices/pci0000:00/usb1/1-2/1-2:1.0/input/input5/event5
                N: input/event5
                E: SUBSYSTEM=input
                E: DEVNAME=/dev/input/event5
                E: ID_INPUT_KEYBOARD=1
                A: dev=13:69

                """)
            let grab = try UmockdevEvdevGrab(testbed: testbed, devnode: "/dev/input/event5")
            let config = LaneScannerConfig(kind: .hid, path: "/dev/input/event5")
            let reader = try ScannerReader.open("/dev/input/event5", config: config) { _ in }
            #expect(grab.isGrabbed)
            // a second reader cannot take the scanner while the first holds it
            #expect(throws: DeviceError.self) { _ = try ScannerReader.open("/dev/input/event5", config: config) { _ in } }

            await reader.stop()
            #expect(!grab.isGrabbed)
            #expect(grab.counts.releases == 1)
            let second = try ScannerReader.open("/dev/input/event5", config: config) { _ in }
            #expect(grab.isGrabbed)
            await second.stop()
        }
    }
}
