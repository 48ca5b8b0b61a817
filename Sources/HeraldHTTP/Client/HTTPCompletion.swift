/// Where a transfer's result goes: a waiting task, or a function called on the loop thread.
enum HTTPCompletion: Sendable {
    case resume(CheckedContinuation<HTTPResult, Never>)
    case call(@Sendable (HTTPResult) -> Void)

    func complete(_ result: HTTPResult) {
        switch self {
        case .resume(let continuation): continuation.resume(returning: result)
        case .call(let function): function(result)
        }
    }
}
