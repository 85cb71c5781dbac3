import Foundation

/// A file in a test's scratch folder that a child process writes its output to, so the logs of
/// `tapedeck serve`, `record` and `route` are kept with the test's other artifacts.
public final class LogFile {
    public let url: URL
    public let handle: FileHandle

    public init(in directory: ScratchDirectory, named name: String) throws {
        url = directory.file(name)
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        handle = try FileHandle(forWritingTo: url)
    }

    deinit { try? handle.close() }
}
