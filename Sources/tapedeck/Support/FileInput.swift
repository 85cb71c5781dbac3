import Foundation

/// A failure of the command line itself, reported as one sentence.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Checks that an input file named on the command line exists and is a file, before a loader
/// reads it (their own read errors would only say it "cannot be read").
func requireFile(_ path: String) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw CLIError("\(path) does not exist.")
    }
    guard !isDirectory.boolValue else { throw CLIError("\(path) is a directory, not a file.") }
}

/// Reads a whole file named on the command line, with an error sentence naming it.
func readFile(_ path: String) throws -> [UInt8] {
    try requireFile(path)
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CLIError("\(path) cannot be read (check its permissions).")
    }
    return Array(data)
}

/// Writes a line to standard output at once, not when a buffer fills: servers announce their
/// address this way so a script reading a pipe learns it while they run.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
