/// Where an append's outcome goes: a waiting task, or a function called on the writer thread.
enum AppendCompletion {
    case resume(CheckedContinuation<Void, any Error>)
    case call(@Sendable (JournalError?) -> Void)

    func complete(_ outcome: Result<Void, JournalError>) {
        switch self {
        case .resume(let continuation): continuation.resume(with: outcome.mapError { $0 as any Error })
        case .call(let function):
            if case .failure(let error) = outcome { function(error) } else { function(nil) }
        }
    }
}
