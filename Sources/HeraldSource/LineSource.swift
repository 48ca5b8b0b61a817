/// A source of lines that the consumer pulls from.
///
/// A source never advances a durable position by itself: the consumer saves a batch's checkpoint
/// (with ``CheckpointStore``) only once the batch's events are safely journaled.
public protocol LineSource: Sendable {
    /// Waits until at least one complete line is available and returns a batch of them;
    /// `nil` at the end (end of a pipe, or after ``stop()``). Throws `CancellationError` when the
    /// calling task is cancelled while waiting.
    func next() async throws -> LineBatch?
    /// Makes a pending and every later ``next()`` return `nil`.
    func stop()
}
