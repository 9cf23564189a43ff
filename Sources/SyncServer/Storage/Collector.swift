public import Foundation
public import Logging
import S3Client
public import ServiceLifecycle

/// Keeps the bucket tidy: aborts multipart uploads left open (they cost money while they
/// wait), empties the trash after its retention, and deletes objects nothing references any more.
public struct Collector: Sendable {
    public let store: MetadataStore
    public let blobs: BlobStore
    /// Uploads not completed within this are abandoned.
    public var uploadLifetime: TimeInterval = 86_400
    /// How long the trash keeps items (Dropbox's default is 30 days).
    public var trashRetention: TimeInterval = 30 * 86_400
    /// How long old versions (all but a file's current one) are kept; nil: for ever. Neither
    /// they nor the trash count against the quota: this and ``trashRetention`` bound them.
    public var versionRetention: TimeInterval?
    /// Objects younger than this are never deleted: an upload may be about to be recorded.
    public var gracePeriod: TimeInterval = 3600

    public init(store: MetadataStore, blobs: BlobStore) {
        self.store = store
        self.blobs = blobs
    }

    public struct Report: Sendable, Equatable {
        public var abortedUploads = 0
        public var purgedTrashItems = 0
        public var deletedObjects = 0
        public var expiredSessions = 0
        /// Old versions forgotten after ``Collector/versionRetention``.
        public var purgedVersions = 0
        /// Contents moved from the old identity to the block hash (``LegacyRehash``).
        public var rehashedContents = 0
    }

    /// One pass. `now` is a parameter so that tests can look into the future.
    public func collect(now: Date = Date()) async throws -> Report {
        var report = Report()
        let cutoff = now.addingTimeInterval(-uploadLifetime)
        for upload in try await store.expireUploads(before: cutoff) {
            // Already gone from S3 (aborted by hand, or by the listing pass below) is fine.
            if let id = upload.s3UploadId,
                (try? await blobs.abortMultipartUpload(key: blobs.key(userId: upload.userId, sha256: upload.contentHash), uploadId: id)) != nil
            {
                report.abortedUploads += 1
            }
        }
        // Multipart uploads S3 holds that no upload row knows of (a crash between create and
        // record) go too, once old.
        for upload in try await blobs.multipartUploads(prefix: "u/") where (upload.initiated ?? now) < cutoff {
            do {
                try await blobs.abortMultipartUpload(key: upload.key, uploadId: upload.uploadId)
                report.abortedUploads += 1
            } catch let error as BlobStoreError where error.code == .missing {
                // Finished or aborted since it was listed.
            }
        }
        report.purgedTrashItems = try await store.purgeTrash(before: now.addingTimeInterval(-trashRetention))
        if let versionRetention {
            report.purgedVersions = try await store.purgeOldVersions(before: now.addingTimeInterval(-versionRetention))
        }
        report.expiredSessions = try await store.purgeExpiredSignIns(now: now)
        // Before the sweep: the objects a rehash leaves unreferenced go in this same pass.
        report.rehashedContents = try await LegacyRehash(store: store, blobs: blobs).run().rehashed

        var referenced: [String: Set<String>] = [:]
        var unreferenced: [String] = []
        try await blobs.forEachObject(prefix: "u/") { object in
            let parts = object.key.split(separator: "/")
            guard parts.count == 3, (object.lastModified ?? now) < now.addingTimeInterval(-gracePeriod) else { return }
            let user = String(parts[1])
            if referenced[user] == nil { referenced[user] = try await store.referencedContent(userId: user) }
            if !referenced[user]!.contains(String(parts[2])) { unreferenced.append(object.key) }
        }
        if !unreferenced.isEmpty {
            report.deletedObjects = try await blobs.delete(unreferenced).count
        }
        return report
    }
}

/// Runs the collector every `interval` for as long as the server runs.
public struct CollectorService: Service {
    let collector: Collector
    let interval: Duration
    let logger: Logger

    public init(collector: Collector, interval: Duration = .seconds(3600), logger: Logger = Logger(label: "syncd-server.collector")) {
        self.collector = collector
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        // A pass in progress is simply cancelled on shutdown: each step is its own transaction.
        try? await cancelWhenGracefulShutdown { try await self.loop() }
    }

    private func loop() async throws {
        while !Task.isCancelled {
            do {
                let report = try await collector.collect()
                logger.info(
                    "collector pass",
                    metadata: [
                        "aborted_uploads": "\(report.abortedUploads)", "purged_trash": "\(report.purgedTrashItems)",
                        "deleted_objects": "\(report.deletedObjects)", "rehashed_contents": "\(report.rehashedContents)",
                    ]
                )
            } catch {
                logger.error("collector pass failed: \(error)")
            }
            try await Task.sleep(for: interval)
        }
    }
}
