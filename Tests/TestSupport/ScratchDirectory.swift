import Foundation

/// A folder for one test's files (cassettes, reports, exports, logs).
///
/// When `TAPEDECK_TEST_ARTIFACTS` names a folder, the scratch folder is made inside it and kept
/// after the test, so CI can scan everything the tests wrote for secrets; otherwise it is made in
/// the system's temporary folder and `remove()` deletes it as before.
public struct ScratchDirectory: Sendable {
    /// What the folder holds, which decides whether the secret scan sees it and how.
    public enum Purpose: Sendable {
        /// What Tapedeck writes (cassettes, exports, reports, logs): kept and scanned strictly.
        case artifacts
        /// Secrets written unredacted on purpose, by a test proving its own check can fail: kept
        /// and marked, so the scan expects findings here (and fails if it finds none, since then
        /// it would be blind) instead of reporting a leak.
        case secretsOnPurpose
        /// Inputs a test writes for Tapedeck to read (e.g. a router config with API keys copied
        /// from a fixture): never kept, since they hold keys by design and are not output.
        case inputs
    }

    /// The environment variable naming the folder where test artifacts are kept.
    public static let artifactsVariable = "TAPEDECK_TEST_ARTIFACTS"

    /// The file that marks a kept folder as holding secrets on purpose.
    public static let controlMarker = "SECRET-SCAN-CONTROL"

    /// The folder that keeps test artifacts, when the environment asks for one.
    public static var artifactsRoot: URL? {
        guard let value = ProcessInfo.processInfo.environment[artifactsVariable], !value.isEmpty else { return nil }
        return URL(fileURLWithPath: value, isDirectory: true)
    }

    public let url: URL
    /// Whether the folder outlives the test (artifacts are being kept).
    public let isKept: Bool

    /// Creates a fresh folder whose name starts with `label` (e.g. the suite's name).
    public init(_ label: String = "tapedeck-tests", purpose: Purpose = .artifacts) throws {
        let name = "\(label)-\(UUID().uuidString)"
        if let root = Self.artifactsRoot, purpose != .inputs {
            url = root.appendingPathComponent(name, isDirectory: true)
            isKept = true
        } else {
            url = FileManager.default.temporaryDirectory.appendingPathComponent(name, isDirectory: true)
            isKept = false
        }
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        if isKept && purpose == .secretsOnPurpose {
            let note = "This test writes secrets unredacted on purpose; the secret scan must find them here.\n"
            try Data(note.utf8).write(to: url.appendingPathComponent(Self.controlMarker))
        }
    }

    /// The path of a file in the folder.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// The URL of a file in the folder.
    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Deletes the folder, unless artifacts are being kept for the secret scan.
    public func remove() {
        guard !isKept else { return }
        try? FileManager.default.removeItem(at: url)
    }
}
