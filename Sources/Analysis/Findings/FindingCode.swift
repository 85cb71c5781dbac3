/// How bad a finding is; `--fail-on` compares against it.
public enum Severity: String, Codable, Sendable, CaseIterable, Comparable {
    case info
    case warning
    case error

    private var rank: Int {
        switch self {
        case .info: return 0
        case .warning: return 1
        case .error: return 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// The stable codes of every divergence the analyzer reports; documented in the README.
public enum FindingCode: String, Codable, Sendable, CaseIterable {
    case fallbackSkippedInStream = "fallback_skipped_in_stream"
    case fallbackTargetsDiffer = "fallback_targets_differ"
    case retriesDiffer = "retries_differ"
    case truncatedSuccess = "truncated_success"
    case unterminatedStream = "unterminated_stream"
    case duplicatedContent = "duplicated_content"
    case continuationPrefillRejected = "continuation_prefill_rejected"
    case emptyContinuation = "empty_continuation"
    case contentMismatch = "content_mismatch"
    case modelAttributionMismatch = "model_attribution_mismatch"
    case usageMismatch = "usage_mismatch"
    case finishReasonMismatch = "finish_reason_mismatch"
    case errorClassMismatch = "error_class_mismatch"
    case disableFallbacksIgnored = "disable_fallbacks_ignored"
    case hang

    /// The severity a finding of this code carries.
    public var severity: Severity {
        switch self {
        case .fallbackSkippedInStream, .truncatedSuccess, .unterminatedStream, .duplicatedContent,
            .continuationPrefillRejected, .errorClassMismatch, .disableFallbacksIgnored, .hang:
            return .error
        case .fallbackTargetsDiffer, .emptyContinuation, .contentMismatch, .modelAttributionMismatch,
            .finishReasonMismatch:
            return .warning
        case .retriesDiffer, .usageMismatch:
            return .info
        }
    }

    /// One line saying what the code means.
    public var summary: String {
        switch self {
        case .fallbackSkippedInStream:
            return "The non-stream request failed over to a fallback; the stream request did not."
        case .fallbackTargetsDiffer:
            return "Both modes failed over, but to different deployments or in a different order."
        case .retriesDiffer:
            return "The two modes retried the same deployment a different number of times."
        case .truncatedSuccess:
            return "A client got a clean success whose content stops short of the full answer."
        case .unterminatedStream:
            return "The client's stream ended without its terminator and without an error."
        case .duplicatedContent:
            return "Text the client already had was sent again after a fallback."
        case .continuationPrefillRejected:
            return "A continuation with an assistant prefill went to a model that rejects prefill."
        case .emptyContinuation:
            return "A continuation request was sent although no content had reached the client."
        case .contentMismatch:
            return "Both modes succeeded with different text or tool calls."
        case .modelAttributionMismatch:
            return "The reported model differs between modes or from the deployment that answered."
        case .usageMismatch:
            return "Reported token usage differs between the two modes."
        case .finishReasonMismatch:
            return "The two modes report different finish reasons."
        case .errorClassMismatch:
            return "The two modes ended differently: one succeeded and one failed, or with different errors."
        case .disableFallbacksIgnored:
            return "The request disabled fallbacks, yet a fallback deployment was called."
        case .hang:
            return "A client waited past the deadline without the response ending."
        }
    }
}

/// One divergence with its evidence.
public struct Finding: Codable, Sendable, Hashable {
    public var code: FindingCode
    public var severity: Severity
    /// One sentence specific to this scenario.
    public var message: String
    /// The fields that show it: first differing field or frame, per-mode values, attempts.
    public var evidence: [String: String]

    public init(code: FindingCode, message: String, evidence: [String: String] = [:]) {
        self.code = code
        self.severity = code.severity
        self.message = message
        self.evidence = evidence
    }
}
