import Foundation

extension ConfigDecoder {
    static let outcomeKeys = OutcomeRules.Outcome.allCases.map(\.rawValue)

    /// `success_on`, `retry_on` and `dead_on`: lists of status codes and ranges (`[200-299, 409]`),
    /// each code in 100–599 and named by one list at most.
    func decodeOutcomes(_ fields: Fields) -> OutcomeRules {
        var rules: [OutcomeRules.Rule] = []
        for outcome in OutcomeRules.Outcome.allCases {
            guard let node = fields[outcome.rawValue] else { continue }
            guard case .sequence(let items) = node.kind else {
                reader.error("'\(outcome.rawValue)' must be a list of status codes and ranges such as [200-299, 409]", at: node.mark)
                continue
            }
            for item in items {
                guard let codes = statusCodes(item, outcome.rawValue) else { continue }
                if let clash = rules.first(where: { $0.codes.overlaps(codes) }) {
                    let shared = max(clash.codes.lowerBound, codes.lowerBound)
                    let where_ = clash.outcome == outcome ? "twice in '\(outcome.rawValue)'" : "in both '\(clash.outcome.rawValue)' and '\(outcome.rawValue)'"
                    reader.error("status \(shared) is \(where_)", at: item.mark)
                    continue
                }
                rules.append(OutcomeRules.Rule(codes: codes, outcome: outcome))
            }
        }
        return OutcomeRules(rules)
    }

    /// One entry: `409` or `500-504`.
    private func statusCodes(_ node: YAMLNode, _ key: String) -> ClosedRange<Int>? {
        let text = node.scalar ?? ""
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let numbers = parts.compactMap { Int($0) }
        guard case .scalar = node.kind, !text.isEmpty, parts.count <= 2, numbers.count == parts.count else {
            reader.error("each entry of '\(key)' is a status code or a range such as 500-504, found \(node.scalar.map { "'\($0)'" } ?? node.kindName)", at: node.mark)
            return nil
        }
        let low = numbers[0], high = numbers.last!
        let valid = OutcomeRules.validCodes
        guard valid.contains(low), valid.contains(high) else {
            reader.error("status codes in '\(key)' are between \(valid.lowerBound) and \(valid.upperBound), found \(text)", at: node.mark)
            return nil
        }
        guard low <= high else {
            reader.error("the range \(text) in '\(key)' runs backwards", at: node.mark)
            return nil
        }
        return low...high
    }
}
