import HeraldCore
import HeraldJournal

/// `GET /deliveries` answered from the delivery log in `directory`, with the filters and paging
/// of `herald log` (the same parser, so the same error messages).
public func deliveryLogQuery(directory: String) -> DeliveriesQuery {
    let reader = DeliveryLogReader(directory: directory)
    return { parameters in
        let query: DeliveryLogQuery
        switch DeliveryLogQuery.parse(parameters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, now: UnixTime.milliseconds()) {
        case .success(let parsed): query = parsed
        case .failure(let error): return .badRequest(error.description)
        }
        do {
            guard try reader.exists() else { return .page(json: DeliveryLogPage(items: [], nextCursor: nil).json) }
            return .page(json: try reader.query(query).json)
        } catch {
            return .unavailable("cannot read the delivery log: \(error)")
        }
    }
}
