/// A device of the caller (`GET /api/v1/devices`).
public struct DeviceInfo: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var createdAt: Double
    public var lastSeenAt: Double?
    public var revoked: Bool
    /// Whether this is the device making the request.
    public var current: Bool
    /// The folders the device does not sync (selective sync), as it last reported them; nil:
    /// it never reported any.
    public var excludedFolders: [String]?

    public init(id: String, name: String, createdAt: Double, lastSeenAt: Double?, revoked: Bool, current: Bool, excludedFolders: [String]? = nil) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.revoked = revoked
        self.current = current
        self.excludedFolders = excludedFolders
    }
}

/// A device reports the folders it does not sync (`PUT /api/v1/devices/current/excluded-folders`).
public struct ExcludedFoldersReport: Codable, Sendable, Equatable {
    public var folders: [String]

    public init(folders: [String]) {
        self.folders = folders
    }
}

/// A daemon asks for a device code (`POST /api/v1/device/code`, no credentials).
public struct DeviceCodeRequest: Codable, Sendable, Equatable {
    /// Shown to the person approving, e.g. "syncd on build-01".
    public var name: String

    public init(name: String) {
        self.name = name
    }
}

/// The codes of a device authorization (RFC 8628): the daemon shows `userCode` and
/// `verificationURL`, then polls with `deviceCode` every `interval` seconds.
public struct DeviceCodeResponse: Codable, Sendable, Equatable {
    public var deviceCode: String
    public var userCode: String
    public var verificationURL: String
    /// The same page with the code filled in.
    public var verificationURLComplete: String
    public var expiresIn: Int
    public var interval: Int

    public init(deviceCode: String, userCode: String, verificationURL: String, verificationURLComplete: String, expiresIn: Int, interval: Int) {
        self.deviceCode = deviceCode
        self.userCode = userCode
        self.verificationURL = verificationURL
        self.verificationURLComplete = verificationURLComplete
        self.expiresIn = expiresIn
        self.interval = interval
    }
}

/// A daemon's poll (`POST /api/v1/device/token`). Until approval the answer is 400 with code
/// `authorization_pending` or `slow_down`; then `expired_token` or `access_denied` end it.
public struct DeviceTokenRequest: Codable, Sendable, Equatable {
    public var deviceCode: String

    public init(deviceCode: String) {
        self.deviceCode = deviceCode
    }
}

/// The bearer token of an approved device, handed out once.
public struct DeviceTokenResponse: Codable, Sendable, Equatable {
    public var token: String
    public var deviceId: String
    /// The account that approved the device (servers before 2026-12 leave it out).
    public var email: String?

    public init(token: String, deviceId: String, email: String? = nil) {
        self.token = token
        self.deviceId = deviceId
        self.email = email
    }
}

/// Who is calling (`GET /api/v1/session`): the dashboard reads its CSRF token here.
public struct SessionInfo: Codable, Sendable, Equatable {
    public var userId: String
    public var email: String
    public var name: String
    public var picture: String?
    /// Sent back as `X-CSRF-Token` on every state-changing request of a browser session; nil
    /// for device tokens, which need none.
    public var csrfToken: String?
    /// Bytes the user's files take (current versions), and the most they may take (nil: no cap).
    public var usedBytes: Int64?
    public var quotaBytes: Int64?
    /// The longest a share link may live on this server, in seconds (nil: links may never expire).
    public var maxShareSeconds: Int64?

    public init(
        userId: String,
        email: String,
        name: String,
        picture: String?,
        csrfToken: String?,
        usedBytes: Int64? = nil,
        quotaBytes: Int64? = nil,
        maxShareSeconds: Int64? = nil
    ) {
        self.usedBytes = usedBytes
        self.quotaBytes = quotaBytes
        self.maxShareSeconds = maxShareSeconds
        self.userId = userId
        self.email = email
        self.name = name
        self.picture = picture
        self.csrfToken = csrfToken
    }
}
