import Foundation
import Hummingbird
import SyncAPI

/// `/api/v1/devices`: the caller's devices, and revocation (effective on the device's next request).
struct DevicesAPI {
    let store: MetadataStore

    func register(on api: RouterGroup<AppRequestContext>) {
        api.get("devices") { _, context in
            let caller = try context.requireCaller()
            return try json(
                try await store.devices(userId: caller.user.id).map { device in
                    DeviceInfo(
                        id: device.id,
                        name: device.name,
                        createdAt: device.createdAt.timeIntervalSince1970,
                        lastSeenAt: device.lastSeenAt?.timeIntervalSince1970,
                        revoked: device.revokedAt != nil,
                        current: device.id == caller.device?.id,
                        excludedFolders: device.excludedFolders
                    )
                }
            )
        }
        api.put("devices/current/excluded-folders") { request, context in
            guard let device = try context.requireCaller().device else {
                throw APIError(.badRequest, code: "not_a_device", "only a device (a token) reports the folders it does not sync")
            }
            let body = try await request.decode(as: ExcludedFoldersReport.self, context: context)
            do {
                try await store.setExcludedFolders(body.folders, deviceId: device.id)
            } catch let error as StoreError {
                throw APIError.from(error)
            }
            return Response(status: .noContent)
        }
        api.delete("devices/{id}") { _, context in
            let user = try context.requireCaller().user
            guard try await store.revokeDevice(id: try context.parameters.require("id"), userId: user.id) else {
                throw APIError(.notFound, code: "not_found", "no such device")
            }
            return Response(status: .noContent)
        }
    }
}
