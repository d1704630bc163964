/// The version of eguma-gate: what `eguma-gate --version` prints and the Debian package's version.
///
/// The one place it is written down: `scripts/package` asks the built binary (`--version`) rather
/// than keeping a second copy, so the package can never claim another version than the program.
/// Debian version syntax (digits first; letters, digits, `.`, `+`, `~` only) so it can be used as is.
public enum GateVersion {
    public static let current = "0.9.0"
}
