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
/// goes at once); each caller gets its own item's answer or error.
actor BatchQueue<Item: Sendable, Value: Codable & Sendable & Equatable> {
    typealias Send = @Sendable ([Item]) async throws -> [BatchResult<Value>]
    private let send: Send
    private let window: Duration
    private let maxBatch: Int
    private var pending: [(item: Item, reply: CheckedContinuation<Value, any Error>)] = []
    private var timerRunning = false

    init(window: Duration = .milliseconds(5), maxBatch: Int = 200, send: @escaping Send) {
        self.send = send
        self.window = window
        self.maxBatch = maxBatch
    }

    func submit(_ item: Item) async throws -> Value {
        try await withCheckedThrowingContinuation { reply in
            pending.append((item, reply))
            if pending.count >= maxBatch {
                flush()
            } else if !timerRunning {
                timerRunning = true
                Task {
                    try? await Task.sleep(for: window)
                    self.flush()
                }
            }
        }
    }

    private func flush() {
        timerRunning = false
        let batch = pending
        pending = []
        guard !batch.isEmpty else { return }
        let send = self.send
        Task {
            do {
                let results = try await send(batch.map(\.item))
                for (index, (_, reply)) in batch.enumerated() {
                    guard index < results.count else {
                        reply.resume(throwing: ServerError(status: 0, code: "bad_response", message: "the batch answer is short"))
                        continue
                    }
                    if let value = results[index].value {
                        reply.resume(returning: value)
                    } else {
                        let error = results[index].error
                        reply.resume(throwing: ServerError(
                            status: results[index].status ?? 500, code: error?.code ?? "unknown", message: error?.message ?? "refused",
                            current: error?.current))
                    }
                }
            } catch {
                for (_, reply) in batch { reply.resume(throwing: error) }
            }
        }
    }
}
