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

/// Calls that wait at most `window` for company, then go as one batch request (a full batch
/// goes at once); each caller gets its own item's answer or error. The callers' own tasks do
/// the work: the first of a batch waits the window and sends it, the one that fills a batch
/// sends it at once; nothing runs on its own.
actor BatchQueue<Item: Sendable, Value: Codable & Sendable & Equatable> {
    typealias Send = @Sendable ([Item]) async throws -> [BatchResult<Value>]
    private let send: Send
    private let window: Duration
    private let maxBatch: Int
    private var pending: [(ticket: Int, item: Item)] = []
    private var nextTicket = 0
    /// Answers not yet collected, and callers waiting for theirs, by ticket.
    private var ready: [Int: Result<Value, any Error>] = [:]
    private var waiting: [Int: CheckedContinuation<Value, any Error>] = [:]

    init(window: Duration = .milliseconds(5), maxBatch: Int = 200, send: @escaping Send) {
        self.send = send
        self.window = window
        self.maxBatch = maxBatch
    }

    func submit(_ item: Item) async throws -> Value {
        let ticket = nextTicket
        nextTicket += 1
        pending.append((ticket, item))
        if pending.count >= maxBatch {
            await sendPending()
        } else if pending.count == 1 {
            try? await Task.sleep(for: window)
            await sendPending()
        }
        if let answer = ready.removeValue(forKey: ticket) { return try answer.get() }
        return try await withCheckedThrowingContinuation { waiting[ticket] = $0 }
    }

    /// Sends what is pending (nothing, if a full batch already took it) and hands out the answers.
    private func sendPending() async {
        let batch = pending
        pending = []
        guard !batch.isEmpty else { return }
        let answers: [Result<Value, any Error>]
        do {
            let results = try await send(batch.map(\.item))
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
        for ((ticket, _), answer) in zip(batch, answers) {
            if let caller = waiting.removeValue(forKey: ticket) { caller.resume(with: answer) } else { ready[ticket] = answer }
        }
    }
}
