import HeraldCore
import HeraldJournal

/// `GET /deliveries` answered from the delivery log in `directory`, with the filters and paging
/// of `herald log` (the same parser, so the same error messages).
///
/// Each page is read on a ``DeliveryScanThread`` of its own and within `limits`' scan budget: a
/// page that runs out answers with what it found, `"partial": true` and a cursor to go on.
public func deliveryLogQuery(directory: String, limits: AdminLimits = AdminLimits()) -> DeliveriesQuery {
    deliveryLogQuery(directory: directory, budget: limits.scanBudget, maxWaitingScans: limits.maxWaitingScans)
}

/// ``deliveryLogQuery(directory:limits:)`` with the budget given directly (tests inject its clock).
func deliveryLogQuery(directory: String, budget: DeliveryLogScanBudget, maxWaitingScans: Int) -> DeliveriesQuery {
    let reader = DeliveryLogReader(directory: directory)
    let thread = DeliveryScanThread(maxQueued: maxWaitingScans)
    return { parameters in
        let query: DeliveryLogQuery
        switch DeliveryLogQuery.parse(parameters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, now: UnixTime.milliseconds()) {
        case .success(let parsed): query = parsed
        case .failure(let error): return .badRequest(error.description)
        }
        let answer = await thread.run { () -> DeliveriesAnswer in
            do {
                guard try reader.exists() else { return .page(json: DeliveryLogPage(items: [], nextCursor: nil).json) }
                return .page(json: try reader.query(query, budget: budget).json)
            } catch {
                return .unavailable("cannot read the delivery log: \(error)")
            }
        }
        return answer ?? .unavailable("too many /deliveries requests are being answered; try again shortly")
    }
}
