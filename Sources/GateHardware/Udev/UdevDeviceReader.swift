import CUdev
import GateCore

/// Reading libudev devices into `ScannerDevice` values. libudev objects never leave this file.
enum UdevDeviceReader {
    /// Subsystems a scanner can appear in.
    static let subsystems = ["tty", "input", "hidraw"]

    /// The device's description, or nil for devices without a node (an input device's parent).
    static func device(_ dev: OpaquePointer) -> ScannerDevice? {
        guard let node = udev_device_get_devnode(dev), let sys = udev_device_get_syspath(dev) else { return nil }
        let subsystem = udev_device_get_subsystem(dev).map { String(cString: $0) } ?? ""
        var properties: [String: String] = [:]
        var entry = udev_device_get_properties_list_entry(dev)
        while let e = entry {
            if let name = udev_list_entry_get_name(e) {
                properties[String(cString: name)] = udev_list_entry_get_value(e).map { String(cString: $0) } ?? ""
            }
            entry = udev_list_entry_get_next(e)
        }
        var tags: [String] = []
        entry = udev_device_get_tags_list_entry(dev)
        while let e = entry {
            if let name = udev_list_entry_get_name(e) { tags.append(String(cString: name)) }
            entry = udev_list_entry_get_next(e)
        }
        // Vendor/model ids of USB scanners live on the parent usb_device when the rules that
        // import them (60-serial, 60-input-id) did not run, e.g. in a container.
        if properties["ID_VENDOR_ID"] == nil,
           let usb = udev_device_get_parent_with_subsystem_devtype(dev, "usb", "usb_device") {
            if let v = udev_device_get_sysattr_value(usb, "idVendor") { properties["ID_VENDOR_ID"] = String(cString: v) }
            if let m = udev_device_get_sysattr_value(usb, "idProduct") { properties["ID_MODEL_ID"] = String(cString: m) }
        }
        return ScannerDevice(
            syspath: String(cString: sys), devnode: String(cString: node), subsystem: subsystem,
            properties: properties, tags: tags)
    }

    /// Every scanner-capable node present now.
    static func enumerate(_ udev: OpaquePointer, device name: String) throws(DeviceError) -> [ScannerDevice] {
        guard let enumerate = udev_enumerate_new(udev) else { throw DeviceError.last("enumerate devices of", name) }
        defer { udev_enumerate_unref(enumerate) }
        for subsystem in subsystems { udev_enumerate_add_match_subsystem(enumerate, subsystem) }
        guard udev_enumerate_scan_devices(enumerate) >= 0 else { throw DeviceError.last("scan devices of", name) }
        var devices: [ScannerDevice] = []
        var entry = udev_enumerate_get_list_entry(enumerate)
        while let e = entry {
            if let path = udev_list_entry_get_name(e), let dev = udev_device_new_from_syspath(udev, path) {
                if let device = device(dev) { devices.append(device) }
                udev_device_unref(dev)
            }
            entry = udev_list_entry_get_next(e)
        }
        return devices
    }
}
