import ArgumentParser
import Foundation
import ServiceSupport
import SyncServer
import Synchronization

/// Dates as `2026-12-07 14:03 UTC`: what an operator reads in a terminal.
func adminDate(_ date: Date?) -> String {
    guard let date else { return "-" }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
    return formatter.string(from: date)
}

/// One JSON document on standard output, keys sorted.
func printJSON(_ value: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

extension Admin {
    struct ListUsers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list-users", abstract: "List the users, with how many devices each has.")
        @OptionGroup var storeOptions: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let json = json
            try await withStore(storeOptions) { store in
                let users = try await store.allUsers()
                if json {
                    try printJSON(
                        users.map { ["id": $0.user.id, "email": $0.user.email, "name": $0.user.name, "devices": $0.liveDevices] as [String: Any] }
                    )
                    return
                }
                if users.isEmpty { print("no users yet") }
                for (user, devices) in users {
                    print(displayed("\(user.id)  \(user.email)  \(user.name)  \(devices) device\(devices == 1 ? "" : "s")"))
                }
            }
        }
    }

    struct ListDevices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list-devices",
            abstract: "List devices (all users', or one user's with --email), revoked ones included."
        )
        @OptionGroup var storeOptions: StoreOptions
        @Option(help: "Only this user's devices.") var email: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (email, json) = (email, json)
            let unknown = Mutex(false)
            try await withStore(storeOptions) { store in
                var userId: String?
                if let email {
                    guard let user = try await store.user(email: email) else {
                        unknown.withLock { $0 = true }
                        return
                    }
                    userId = user.id
                }
                let devices = try await store.allDevices(userId: userId)
                var emails: [String: String] = [:]
                for (user, _) in try await store.allUsers() { emails[user.id] = user.email }
                if json {
                    try printJSON(
                        devices.map { device in
                            var row: [String: Any] = [
                                "id": device.id, "name": device.name, "email": emails[device.userId] ?? "",
                                "createdAt": device.createdAt.timeIntervalSince1970, "revoked": device.revokedAt != nil,
                            ]
                            row["lastSeenAt"] = device.lastSeenAt?.timeIntervalSince1970
                            return row
                        }
                    )
                    return
                }
                if devices.isEmpty { print("no devices") }
                for device in devices {
                    let state = device.revokedAt.map { "revoked \(adminDate($0))" } ?? "last seen \(adminDate(device.lastSeenAt))"
                    print(
                        displayed("\(device.id)  \(emails[device.userId] ?? "?")  \(device.name)  created \(adminDate(device.createdAt))  \(state)")
                    )
                }
            }
            if unknown.withLock({ $0 }) { throw ValidationError("no user has the address \(email ?? "")") }
        }
    }

    struct RevokeDevice: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke-device",
            abstract: "Revoke a device's token now (its next request gets 401); the device stays listed as revoked."
        )
        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The device's id (from list-devices).") var id: String

        func run() async throws {
            let id = id
            let outcome = Mutex<Bool??>(nil)
            try await withStore(storeOptions) { store in
                let revoked = try await store.revokeAnyDevice(id: id)
                outcome.withLock { $0 = .some(revoked) }
            }
            switch outcome.withLock({ $0 }) {
            case .some(.some(true)): print("device \(id) revoked")
            case .some(.some(false)): print("device \(id) was revoked already")
            default: throw ValidationError("no device has the id \(id)")
            }
        }
    }
}
