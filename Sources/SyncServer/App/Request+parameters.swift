import Hummingbird

/// Numeric query parameters, checked at the edge: a value that is not a number, not finite
/// or out of its range is a 400 `invalid_parameter`, never a trap further in.
extension Request {
    /// The integer `?name=`, `fallback` when absent.
    func integerParameter(_ name: String, in range: ClosedRange<Int64>, default fallback: Int64) throws -> Int64 {
        guard let text = uri.queryParameters.get(name) else { return fallback }
        guard let value = Int64(text), range.contains(value) else {
            throw APIError(
                .badRequest,
                code: "invalid_parameter",
                "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), not \(String(text.prefix(40)).debugDescription)"
            )
        }
        return value
    }

    /// The boolean `?name=` (`true` or `false`), `fallback` when absent.
    func booleanParameter(_ name: String, default fallback: Bool) throws -> Bool {
        guard let text = uri.queryParameters.get(name) else { return fallback }
        switch text {
        case "true": return true
        case "false": return false
        default:
            throw APIError(.badRequest, code: "invalid_parameter", "\(name) must be true or false, not \(String(text.prefix(40)).debugDescription)")
        }
    }

    /// The number of seconds `?name=` (a decimal, e.g. 0.5), `fallback` when absent.
    func secondsParameter(_ name: String, in range: ClosedRange<Double>, default fallback: Double) throws -> Double {
        guard let text = uri.queryParameters.get(name) else { return fallback }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw APIError(
                .badRequest,
                code: "invalid_parameter",
                "\(name) must be a number of seconds in \(range.lowerBound)...\(range.upperBound), not \(String(text.prefix(40)).debugDescription)"
            )
        }
        return value
    }
}
