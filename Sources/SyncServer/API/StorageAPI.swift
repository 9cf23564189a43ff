import Hummingbird
import SyncAPI

/// `GET /api/v1/storage`: the S3 origin of the presigned URLs, so that a daemon can refuse a
/// transfer URL anywhere else (another host, `http+unix://`, `file:`).
struct StorageAPI {
    let blobs: BlobStore

    func register(on api: RouterGroup<AppRequestContext>) {
        api.get("storage") { _, context in
            _ = try context.requireCaller()
            return try json(StorageInfo(origin: blobs.origin))
        }
    }
}
