import Foundation
internal import Synchronization

/// `body(i)` for every `i` in `0..<count` on up to `workers` threads, each taking the next index
/// when it finishes one (so that uneven items balance), with the results in index order. One
/// worker, or fewer than two items, runs on the calling thread.
package func orderedParallelMap<T: Sendable>(count: Int, workers: Int, _ body: @Sendable (Int) -> T) -> [T] {
    let workers = max(1, min(workers, count))
    guard workers > 1 else { return (0..<count).map(body) }
    let next = Atomic<Int>(0)
    let results = Mutex([T?](repeating: nil, count: count))
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
        while true {
            let i = next.add(1, ordering: .relaxed).oldValue
            guard i < count else { return }
            let result = body(i)
            results.withLock { $0[i] = result }
        }
    }
    return results.withLock { $0.map { $0! } }
}

/// Two, or one on a single processor: the workers of the parallel parts of opening and comparing.
package var parallelWorkers: Int { max(1, min(2, ProcessInfo.processInfo.activeProcessorCount)) }
