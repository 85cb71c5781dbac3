import ArgumentParser
import Cassettes
import Dialects
import Foundation

/// The filters `ls` and `export` share.
struct CassetteFilterOptions: ParsableArguments {
    @Option(help: "Only this model (a glob such as 'gpt-4o*' works).")
    var model: String?

    @Option(help: "Only this provider (openai, anthropic, gemini, …).")
    var provider: String?

    @Option(help: "Only this ending: \(Ending.allCases.map(\.rawValue).joined(separator: ", ")).")
    var ending: String?

    @Option(help: "Only interactions with this tag.")
    var tag: String?

    @Option(help: "Only interactions recorded since this time: RFC 3339 ('2025-06-01', '2025-06-01T09:00:00Z') or an age ('30m', '2h', '7d').")
    var since: String?

    func validate() throws {
        if let ending, Ending(rawValue: ending) == nil {
            throw ValidationError("--ending '\(ending)' is not one of \(Ending.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        if let since, Self.parseSince(since, now: Date()) == nil {
            throw ValidationError("--since '\(since)' is neither an RFC 3339 time nor an age like 30m, 2h or 7d.")
        }
    }

    /// The library filter these options describe.
    func filter(now: Date = Date()) -> InteractionFilter {
        InteractionFilter(
            model: model, provider: provider, ending: ending.flatMap(Ending.init(rawValue:)), tag: tag,
            since: since.flatMap { Self.parseSince($0, now: now) })
    }

    /// An absolute time, or `now` minus an age in s, m, h or d.
    static func parseSince(_ text: String, now: Date) -> Date? {
        if let date = Timestamp.parse(text) { return date }
        guard let unit = text.last, let amount = Double(text.dropLast()), amount >= 0 else { return nil }
        let seconds: Double
        switch unit {
        case "s": seconds = amount
        case "m": seconds = amount * 60
        case "h": seconds = amount * 3600
        case "d": seconds = amount * 86_400
        default: return nil
        }
        return now.addingTimeInterval(-seconds)
    }
}
