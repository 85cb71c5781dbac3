import ArgumentParser

/// `tapedeck cassette`: only dispatches to the cassette subcommands.
struct CassetteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cassette",
        abstract: "Import, export, list, show, count and verify cassettes.",
        subcommands: [
            CassetteImportCommand.self, CassetteExportCommand.self, CassetteListCommand.self,
            CassetteShowCommand.self, CassetteStatsCommand.self, CassetteVerifyCommand.self,
        ]
    )
}
