import Dialects
import Testing

@testable import Routing

/// An upstream's `retry-after` headers are read without trapping, whatever they say.
@Suite("retry-after headers from upstreams")
struct RetryAfterHeaderTests {
    @Test("absurd retry-after values are clamped to a day instead of trapping", arguments: [
        ("retry-after", "9223372036854775807"), ("retry-after", "1e300"), ("retry-after", "inf"),
        ("retry-after-ms", "9223372036854775807000"), ("retry-after-ms", "infinity"),
    ])
    func clamped(name: String, value: String) {
        #expect(RouteRun.retryAfter([HTTPField(name, value)]) == .milliseconds(86_400_000))
    }

    @Test("ordinary and unusable values read as before", arguments: [
        ("retry-after", "2", Duration.milliseconds(2_000) as Duration?), ("retry-after-ms", "1500", .milliseconds(1_500)),
        ("retry-after", "-1", nil), ("retry-after", "nan", nil), ("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT", nil),
    ])
    func ordinary(name: String, value: String, expected: Duration?) {
        #expect(RouteRun.retryAfter([HTTPField(name, value)]) == expected)
    }
}
