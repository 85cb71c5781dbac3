import Foundation

/// Shared by every test target: locates files under the repository's `fixtures/` folder, wherever the tests run from.
public enum Fixtures {
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures")

    public static func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

    public static func bytes(_ relativePath: String) throws -> [UInt8] {
        Array(try Data(contentsOf: url(relativePath)))
    }

    /// Every file under a fixtures subfolder with one of the given extensions, sorted by path.
    public static func files(under folder: String, extensions: Set<String>) -> [URL] {
        let base = url(folder)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }
            .filter { extensions.contains($0.pathExtension) }
            .sorted { $0.path < $1.path }
    }
}
