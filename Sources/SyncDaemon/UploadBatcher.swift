import Foundation
import SyncAPI

/// Gathers the begin and complete calls of uploads running side by side into batch requests:
/// 10,000 small files cost a few hundred API round trips, not 20,000. A call waits at most
/// `window` for company; a full batch goes at once.
actor UploadBatcher {
    let api: ServerAPI
    let window: Duration
    let maxBatch: Int

    private var begins: [(request: BeginUploadRequest, reply: CheckedContinuation<BeginUploadResponse, any Error>)] = []
    private var completes: [(item: BatchCompleteRequest.Item, reply: CheckedContinuation<FileMetadata, any Error>)] = []
    private var beginTimer = false
    private var completeTimer = false

    init(api: ServerAPI, window: Duration = .milliseconds(5), maxBatch: Int = 200) {
        self.api = api
        self.window = window
        self.maxBatch = maxBatch
    }

    func begin(_ request: BeginUploadRequest) async throws -> BeginUploadResponse {
        try await withCheckedThrowingContinuation { reply in
            begins.append((request, reply))
            if begins.count >= maxBatch {
                flushBegins()
            } else if !beginTimer {
                beginTimer = true
                Task {
                    try? await Task.sleep(for: window)
                    self.flushBegins()
                }
            }
        }
    }

    func complete(_ uploadId: String, parts: [CompleteUploadRequest.Part]) async throws -> FileMetadata {
        try await withCheckedThrowingContinuation { reply in
            completes.append((BatchCompleteRequest.Item(uploadId: uploadId, parts: parts), reply))
            if completes.count >= maxBatch {
                flushCompletes()
            } else if !completeTimer {
                completeTimer = true
                Task {
                    try? await Task.sleep(for: window)
                    self.flushCompletes()
                }
            }
        }
    }

    private func flushBegins() {
        beginTimer = false
        let batch = begins
        begins = []
        guard !batch.isEmpty else { return }
        let api = self.api
        Task {
            do {
                let response: BatchResponse<BeginUploadResponse> = try await api.post("/batch/uploads", BatchBeginRequest(uploads: batch.map(\.request)))
                Self.deliver(response.results, to: batch.map(\.reply))
            } catch {
                for (_, reply) in batch { reply.resume(throwing: error) }
            }
        }
    }

    private func flushCompletes() {
        completeTimer = false
        let batch = completes
        completes = []
        guard !batch.isEmpty else { return }
        let api = self.api
        Task {
            do {
                let response: BatchResponse<FileMetadata> = try await api.post("/batch/complete", BatchCompleteRequest(uploads: batch.map(\.item)))
                Self.deliver(response.results, to: batch.map(\.reply))
            } catch {
                for (_, reply) in batch { reply.resume(throwing: error) }
            }
        }
    }

    private static func deliver<T>(_ results: [BatchResult<T>], to replies: [CheckedContinuation<T, any Error>]) {
        for (index, reply) in replies.enumerated() {
            guard index < results.count else {
                reply.resume(throwing: ServerError(status: 0, code: "bad_response", message: "the batch answer is short"))
                continue
            }
            let result = results[index]
            if let value = result.value {
                reply.resume(returning: value)
            } else {
                let error = result.error
                reply.resume(throwing: ServerError(
                    status: result.status ?? 500, code: error?.code ?? "unknown", message: error?.message ?? "refused", current: error?.current))
            }
        }
    }
}
