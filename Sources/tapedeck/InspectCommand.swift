import ArgumentParser
import Dialects
import Foundation
import SSE

/// `tapedeck inspect`: shows the frames of a captured stream or body and the outcome a client gets.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the frames of a .sse stream or .json body and the outcome a client would get."
    )

    @Argument(help: "A captured SSE stream (.sse) or non-stream response body (.json).")
    var file: String

    @Option(help: "Force the dialect instead of detecting it: \(Dialect.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dialect: Dialect?

    @Flag(help: "Print one JSON object with an `outcome` member instead of the human view.")
    var json = false

    func run() async throws {
        let bytes = try readFile(file)
        let inspected = try ResponseInspector.inspect(bytes: bytes, fileName: file, dialect: dialect)
        if json {
            print(try InspectionJSON.render(inspected, file: file))
        } else {
            print(InspectionText.render(inspected, file: file))
        }
    }
}

extension Dialect: ExpressibleByArgument {}
