import Faults
import Testing

/// One canonical spec per kind; `tablesCoverCatalogue` below fails when a kind has none.
private let canonicalSpecs = [
    "ok",
    "http_error:status=429,retry_after=2",
    "http_error:status=500",
    "reset_before_headers",
    "no_response:seconds=30",
    "slow_first_byte:seconds=0.25",
    "error_event:kind=overloaded,after=12",
    "cut:after=40",
    "reset:after=0",
    "stall:after=20,seconds=30",
    "malformed:at=10",
    "drop_terminator",
    "slow_drip:ms=200",
]

@Suite("Fault specs")
struct FaultSpecTests {
    @Test("every canonical spec parses and prints back unchanged", arguments: canonicalSpecs)
    func roundTrip(_ spec: String) throws {
        let fault = try FaultCatalogue.parse(spec)
        #expect(fault.description == spec)
        #expect(try FaultCatalogue.parse(fault.description).isSame(as: fault))
    }

    @Test("every registered kind has a canonical spec in the round-trip table")
    func tablesCoverCatalogue() throws {
        let covered = try Set(canonicalSpecs.map { try FaultCatalogue.parse($0).kind })
        #expect(covered == Set(FaultCatalogue.kindNames))
        #expect(Set(FaultCatalogue.kindNames).count == FaultCatalogue.kinds.count, "kind names must be unique")
    }

    @Test("specs written loosely print in canonical form", arguments: [
        (" http_error : retry_after = 2 , status=429 ", "http_error:status=429,retry_after=2"),
        ("error_event:after=3,kind=rate_limit", "error_event:kind=rate_limit,after=3"),
        ("slow_first_byte:seconds=1.500", "slow_first_byte:seconds=1.5"),
        ("no_response:seconds=0.000001", "no_response:seconds=0.000001"),
        ("stall:seconds=5,after=007", "stall:after=7,seconds=5"),
        ("ok:", "ok"),
    ])
    func canonicalForm(input: String, canonical: String) throws {
        #expect(try FaultCatalogue.parse(input).description == canonical)
    }

    @Test("parsed values reach the fault types")
    func typedValues() throws {
        let error = try #require(try FaultCatalogue.parse("http_error:status=429,retry_after=2") as? HTTPErrorFault)
        #expect(error.status == 429 && error.retryAfter == 2)
        let stall = try #require(try FaultCatalogue.parse("stall:after=20,seconds=0.5") as? StallFault)
        #expect(stall.after == 20 && stall.micros == 500_000)
        let drip = try #require(try FaultCatalogue.parse("slow_drip:ms=200") as? SlowDripFault)
        #expect(drip.intervalMicros == 200_000)
    }

    @Test("every parse error names the spec, the key and what is expected", arguments: [
        ("", "fault spec is empty: write KIND[:key=value,…], e.g. cut:after=40"),
        ("cutt:after=1", "fault spec 'cutt:after=1': unknown kind 'cutt'; known kinds are ok, http_error, "
            + "reset_before_headers, no_response, slow_first_byte, error_event, cut, reset, stall, malformed, "
            + "drop_terminator, slow_drip"),
        ("cut:after=x", "fault spec 'cut:after=x': 'after' must be a non-negative integer"),
        ("cut:after=-1", "fault spec 'cut:after=-1': 'after' must be a non-negative integer"),
        ("cut", "fault spec 'cut': 'after' is required: a non-negative integer"),
        ("cut:after", "fault spec 'cut:after': parameter 'after' must be written key=value"),
        ("cut:after=", "fault spec 'cut:after=': parameter 'after=' must be written key=value"),
        ("cut:after=1,,", "fault spec 'cut:after=1,,': parameter '' must be written key=value"),
        ("cut:after=1,after=2", "fault spec 'cut:after=1,after=2': 'after' is given more than once"),
        ("cut:after=1,seconds=2", "fault spec 'cut:after=1,seconds=2': unknown key 'seconds'; cut takes after"),
        ("ok:after=1", "fault spec 'ok:after=1': unknown key 'after'; ok takes no parameters"),
        ("http_error:status=200", "fault spec 'http_error:status=200': 'status' must be an HTTP error status from 400 to 599"),
        ("http_error:retry_after=2", "fault spec 'http_error:retry_after=2': 'status' is required: an HTTP error status from 400 to 599"),
        ("http_error:status=429,retry_after=soon",
         "fault spec 'http_error:status=429,retry_after=soon': 'retry_after' must be a non-negative integer"),
        ("no_response:seconds=1e3", "fault spec 'no_response:seconds=1e3': 'seconds' must be a non-negative number of seconds, e.g. 30 or 0.5"),
        ("slow_first_byte:seconds=0.0000001",
         "fault spec 'slow_first_byte:seconds=0.0000001': 'seconds' must be a non-negative number of seconds, e.g. 30 or 0.5"),
        ("stall:after=1", "fault spec 'stall:after=1': 'seconds' is required: a non-negative number of seconds, e.g. 30 or 0.5"),
        ("error_event:kind=boom,after=1", "fault spec 'error_event:kind=boom,after=1': 'kind' must be one of rate_limit, "
            + "overloaded, server_error, timeout, context_window, content_policy, auth, bad_request, not_found, "
            + "prefill_rejected, connection, malformed"),
        ("malformed:at=1.5", "fault spec 'malformed:at=1.5': 'at' must be a non-negative integer"),
        ("slow_drip:ms=0.5", "fault spec 'slow_drip:ms=0.5': 'ms' must be a non-negative integer number of milliseconds"),
    ])
    func parseErrors(spec: String, message: String) {
        do {
            let fault = try FaultCatalogue.parse(spec)
            Issue.record("'\(spec)' parsed as \(fault)")
        } catch {
            #expect(error.description == message)
        }
    }
}

@Suite("Scoped faults and the request header")
struct ScopedFaultTests {
    @Test("a MODEL= prefix scopes a fault; model names may contain colons", arguments: [
        ("gpt-4o=cut:after=3", "gpt-4o", "cut:after=3"),
        ("cut:after=3", nil, "cut:after=3"),
        ("llama3:8b=http_error:status=429", "llama3:8b", "http_error:status=429"),
        ("claude-sonnet-4-6 = ok", "claude-sonnet-4-6", "ok"),
        ("reset_before_headers", nil, "reset_before_headers"),
    ] as [(String, String?, String)])
    func scoped(text: String, model: String?, spec: String) throws {
        let scoped = try ScopedFault(parsing: text)
        #expect(scoped.model == model)
        #expect(scoped.fault.description == spec)
        #expect(try ScopedFault(parsing: scoped.description).description == scoped.description)
    }

    @Test("a misspelt kind followed by a value is reported as a misspelt kind, not as a model", arguments: [
        ("cutt:after=1", "fault spec 'cutt:after=1': unknown kind 'cutt'"),
        ("stal:after=1,seconds=2", "fault spec 'stal:after=1,seconds=2': unknown kind 'stal'"),
        ("llama3:8b=cutt:after=3", "fault spec 'cutt:after=3': unknown kind 'cutt'"),
    ])
    func misspeltKind(text: String, message: String) {
        do {
            let parsed = try ScopedFault(parsing: text)
            Issue.record("'\(text)' parsed as \(parsed)")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error)")
        }
    }

    @Test("an empty model is refused")
    func emptyModel() {
        #expect(throws: FaultSpecError.emptyModel(spec: "=ok")) { try ScopedFault(parsing: "=ok") }
        #expect(FaultSpecError.emptyModel(spec: "=ok").description
            == "fault spec '=ok': the model before '=' is empty; write MODEL=SPEC or just SPEC")
    }

    @Test("the header's entry for the request's model wins over an unscoped one")
    func headerResolution() throws {
        let header = try FaultHeader(parsing: "cut:after=1; gpt-4o=http_error:status=429 ;claude=ok;")
        #expect(header.entries.count == 3)
        #expect(header.fault(forModel: "gpt-4o")?.description == "http_error:status=429")
        #expect(header.fault(forModel: "claude")?.description == "ok")
        #expect(header.fault(forModel: "gemini")?.description == "cut:after=1")
        #expect(header.fault(forModel: nil)?.description == "cut:after=1")
        #expect(header.description == "cut:after=1;gpt-4o=http_error:status=429;claude=ok")
    }

    @Test("a header scoped to other models does not concern this request")
    func headerForOthers() throws {
        let header = try FaultHeader(parsing: "gpt-4o=cut:after=1")
        #expect(header.fault(forModel: "claude") == nil)
    }

    @Test("header errors are the spec errors of the part at fault")
    func headerErrors() {
        #expect(throws: FaultSpecError.empty) { try FaultHeader(parsing: " ; ") }
        #expect(throws: FaultSpecError.invalidValue(spec: "cut:after=x", key: "after", expected: "a non-negative integer")) {
            try FaultHeader(parsing: "ok;gpt-4o=cut:after=x")
        }
    }
}
