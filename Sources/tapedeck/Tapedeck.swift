import ArgumentParser

/// The `tapedeck` root command: it only dispatches to subcommands.
@main
struct Tapedeck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tapedeck",
        abstract: "Record, replay and analyze LLM provider streams and gateway fallbacks.",
        subcommands: [InspectCommand.self, CassetteCommand.self, ServeCommand.self, RouteCommand.self, AnalyzeCommand.self]
    )
}
