import Dialects
import SSE
import Testing

/// What every dialect promises about its recorded fixtures: they decode to the outcome written by
/// hand for them, are detected as their dialect, survive the SSE parser however they are chunked,
/// and their outcomes survive synthesis in both modes.
@Suite("Every dialect's fixtures")
struct DialectFixtureTests {
    @Test("every fixture decodes to the outcome written for it in outcomes.json", arguments: FixtureFolder.allFixtures)
    func fixtureDecodesToExpectedOutcome(fixture: Fixture) throws {
        let expected = try #require(try fixture.folder.expectedOutcomes()[fixture.name], "outcomes.json has no entry for \(fixture.name)")
        #expect(try fixture.outcome().projected == expected)
    }

    @Test("outcomes.json has an entry for every fixture and a fixture for every entry", arguments: FixtureFolder.all)
    func outcomesCoverFixturesExactly(folder: FixtureFolder) throws {
        let files = Set(folder.fixtureNames)
        let entries = Set(try folder.expectedOutcomes().keys)
        #expect(files.count >= 15)
        #expect(entries.subtracting(files).isEmpty, "entries without a file: \(entries.subtracting(files).sorted())")
        #expect(files.subtracting(entries).isEmpty, "files without an entry: \(files.subtracting(entries).sorted())")
    }

    @Test("every fixture is detected as its dialect, as `tapedeck inspect` needs", arguments: FixtureFolder.allFixtures)
    func fixtureIsDetected(fixture: Fixture) throws {
        let bytes = try fixture.bytes
        let detected = fixture.isStream ? Dialect.detect(frames: SSEParser.parse(bytes)) : Dialect.detect(json: try JSONValue.parse(bytes))
        #expect(detected == fixture.detectedDialect)
    }

    @Test("a fixture stream reparses to the same bytes and frames, whole or byte by byte",
          arguments: FixtureFolder.allFixtures.filter(\.isStream))
    func streamReparses(fixture: Fixture) throws {
        let bytes = try fixture.bytes
        let frames = SSEParser.parse(bytes)
        #expect(frames.flatMap(\.raw) == bytes)
        #expect(frames.contains { $0.event != nil })
        var parser = SSEParser()
        var pieces: [SSEFrame] = []
        for byte in bytes { pieces += parser.feed([byte]) }
        pieces += parser.finish()
        #expect(pieces == frames)
        // Re-encoding the parsed events keeps every event a client sees.
        let reencoded = frames.filter(\.isTerminated).compactMap(\.event).flatMap { fixture.folder.codec.encoder.encode($0) }
        #expect(SSEParser.parse(reencoded).compactMap(\.event) == frames.filter(\.isTerminated).compactMap(\.event))
    }

    @Test("a stream that ended properly is unterminated once its last events are cut, and keeps a prefix of its text",
          arguments: FixtureFolder.allFixtures.filter(\.isStream))
    func cutStreamIsNotTerminated(fixture: Fixture) throws {
        let frames = try fixture.frames
        let codec = fixture.folder.codec
        let whole = codec.outcome(fromFrames: frames)
        guard whole.terminated else { return }
        let eventPositions = frames.indices.filter { frames[$0].event != nil }
        for dropped in 1...min(3, eventPositions.count) {
            let cut = codec.outcome(fromFrames: Array(frames[..<eventPositions[eventPositions.count - dropped]]))
            #expect(!cut.terminated, "minus \(dropped) events")
            if whole.error == nil { #expect(whole.text.hasPrefix(cut.text), "minus \(dropped) events") }
        }
    }

    @Test("a stream fixture and its non-stream twin give the same outcome", arguments: FixtureFolder.all)
    func streamAndBodyTwinsAgree(folder: FixtureFolder) throws {
        #expect(!folder.twins.isEmpty)
        for twin in folder.twins {
            let stream = try Fixture(folder: folder, name: "\(twin).sse").outcome()
            let body = try Fixture(folder: folder, name: "\(twin).json").outcome()
            #expect((folder.sendsArgumentsAsObjects ? stream.withCanonicalArguments : stream) == body, "\(twin)")
        }
    }

    @Test("a synthesized stream of each successful fixture outcome decodes back to it", arguments: FixtureFolder.all)
    func streamRoundTripOfFixtureOutcomes(folder: FixtureFolder) throws {
        let successes = try folder.expectedOutcomes().filter { $0.value.isSuccess }
        #expect(successes.count >= 5)
        for (name, outcome) in successes {
            let frames = SSEParser.parse(folder.codec.streamBytes(for: outcome))
            #expect(folder.codec.outcome(fromFrames: frames) == outcome, "\(name)")
        }
    }

    @Test("a synthesized body of each successful fixture outcome decodes back to it", arguments: FixtureFolder.all)
    func bodyRoundTripOfFixtureOutcomes(folder: FixtureFolder) throws {
        for (name, outcome) in try folder.expectedOutcomes() where outcome.isSuccess {
            let body = JSONWriter.bytes(folder.codec.body(for: outcome))
            let expected = folder.sendsArgumentsAsObjects ? outcome.withCanonicalArguments : outcome
            #expect(folder.codec.outcome(fromBody: body, status: 200) == expected, "\(name)")
        }
    }

    static let handBuiltOutcomes = OpenAIChatTests.handBuiltOutcomes + OpenAIResponsesTests.handBuiltOutcomes
        + AnthropicMessagesTests.handBuiltOutcomes + GeminiTests.handBuiltOutcomes

    @Test("a hand-built outcome, covering what the fixtures do not, survives both round trips", arguments: handBuiltOutcomes)
    func handBuiltOutcomeRoundTrips(outcome: Outcome) {
        let codec = outcome.dialect.codec
        #expect(codec.streamRoundTrip(outcome) == outcome)
        #expect(codec.bodyRoundTrip(outcome) == outcome)
    }
}
