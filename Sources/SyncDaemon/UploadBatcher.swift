import Foundation
import SyncAPI

/// Gathers the begin and complete calls of uploads running side by side into batch requests:
/// 10,000 small files cost a few hundred API round trips, not 20,000.
struct UploadBatcher: Sendable {
    let begins: BatchQueue<BeginUploadRequest, BeginUploadResponse>
    let completes: BatchQueue<BatchCompleteRequest.Item, FileMetadata>

    init(api: ServerAPI) {
        begins = BatchQueue { items in
            let response: BatchResponse<BeginUploadResponse> = try await api.post("/batch/uploads", BatchBeginRequest(uploads: items))
            return response.results
        }
        completes = BatchQueue { items in
            let response: BatchResponse<FileMetadata> = try await api.post("/batch/complete", BatchCompleteRequest(uploads: items))
            return response.results
        }
    }

    func begin(_ request: BeginUploadRequest) async throws -> BeginUploadResponse {
        try await begins.submit(request)
    }

    func complete(_ uploadId: String, parts: [CompleteUploadRequest.Part]) async throws -> FileMetadata {
        try await completes.submit(BatchCompleteRequest.Item(uploadId: uploadId, parts: parts))
    }
}

/// Calls sent together as batch requests, with no wait for company: a call goes at once while
/// fewer than `maxInFlight` requests are out, and the calls that come while they are gather
/// into the next one (at most `maxBatch` items). A quiet folder's one change is not held up; a
/// busy one's calls batch by themselves, as many as arrive during a round trip. Each caller
/// gets its own item's answer or error. The callers' own tasks do the work: a caller whose item
/// is pending sends the batch when a request slot is free (the request itself in a task of its
/// own that the caller awaits, out of reach of that caller's cancellation); nothing outlives
/// the callers.
actor BatchQueue<Item: Sendable, Value: Codable & Sendable & Equatable> {
    typealias Send = @Sendable ([Item]) async throws -> [BatchResult<Value>]
    private let send: Send
    private let maxBatch: Int
    private let maxInFlight: Int
    private var pending: [(ticket: Int, item: Item)] = []
    private var inFlight = 0
    private var nextTicket = 0
    /// Answers not yet collected, by ticket.
    private var ready: [Int: Result<Value, any Error>] = [:]
    /// Callers waiting for their answer or for a free slot to send in, by ticket.
    private var parked: [Int: CheckedContinuation<Void, Never>] = [:]

    init(maxBatch: Int = 200, maxInFlight: Int = 2, send: @escaping Send) {
        self.send = send
        self.maxBatch = max(1, maxBatch)
        self.maxInFlight = max(1, maxInFlight)
    }

    /// Items waiting for a request (tests watch the queue fill).
    var pendingCount: Int { pending.count }

    func submit(_ item: Item) async throws -> Value {
        let ticket = nextTicket
        nextTicket += 1
        pending.append((ticket, item))
        while true {
            if let answer = ready.removeValue(forKey: ticket) { return try answer.get() }
            if inFlight < maxInFlight, pending.contains(where: { $0.ticket == ticket }) {
                await sendPending()
            } else {
                await withCheckedContinuation { parked[ticket] = $0 }
            }
        }
    }

    /// Sends the oldest pending items as one request and hands out the answers; then wakes the
    /// next pending caller to send what gathered meanwhile.
    private func sendPending() async {
        let batch = Array(pending.prefix(maxBatch))
        pending.removeFirst(batch.count)
        inFlight += 1
        let answers: [Result<Value, any Error>]
        do {
            // The request belongs to every caller in it, not to the one whose task sends it:
            // that task being cancelled (its upload given up) must not fail the others' items.
            let items = batch.map(\.item)
            let results = try await Task { [send] in try await send(items) }.value
            answers = batch.indices.map { index in
                guard index < results.count else {
                    return .failure(ServerError(status: 0, code: "bad_response", message: "the batch answer is short"))
                }
                if let value = results[index].value { return .success(value) }
                let error = results[index].error
                return .failure(
                    ServerError(
                        status: results[index].status ?? 500,
                        code: error?.code ?? "unknown",
                        message: error?.message ?? "refused",
                        current: error?.current
                    )
                )
            }
        } catch {
            answers = batch.map { _ in .failure(error) }
        }
        inFlight -= 1
        for ((ticket, _), answer) in zip(batch, answers) {
            ready[ticket] = answer
            parked.removeValue(forKey: ticket)?.resume()
        }
        if let next = pending.first { parked.removeValue(forKey: next.ticket)?.resume() }
    }
}
