import Foundation
import JWTKit

/// The claims of an OpenID Connect ID token that sign-in looks at.
struct IDTokenClaims: JWTPayload, Equatable {
    var iss: String
    var sub: String
    var aud: Audience
    var exp: Double
    var iat: Double?
    var nonce: String?
    var azp: String?
    var email: String?
    var emailVerified: Bool?
    var name: String?
    var picture: String?
    /// Google's hosted domain: the Workspace domain that manages the account (absent for
    /// consumer accounts, whatever their e-mail address).
    var hd: String?

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, nonce, azp, email, name, picture, hd
        case emailVerified = "email_verified"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        iss = try c.decode(String.self, forKey: .iss)
        sub = try c.decode(String.self, forKey: .sub)
        aud = try c.decode(Audience.self, forKey: .aud)
        exp = try c.decode(Double.self, forKey: .exp)
        iat = try c.decodeIfPresent(Double.self, forKey: .iat)
        nonce = try c.decodeIfPresent(String.self, forKey: .nonce)
        azp = try c.decodeIfPresent(String.self, forKey: .azp)
        email = try c.decodeIfPresent(String.self, forKey: .email)
        emailVerified = c.claimFlag(forKey: .emailVerified)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        picture = try c.decodeIfPresent(String.self, forKey: .picture)
        hd = try c.decodeIfPresent(String.self, forKey: .hd)
    }

    /// `aud` is a string or a list of strings.
    struct Audience: Codable, Equatable, Sendable {
        var values: [String]
        init(_ values: [String]) { self.values = values }
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            values = try (try? c.decode([String].self)) ?? [c.decode(String.self)]
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(values)
        }
    }

    /// The claims are checked by `IDTokenCheck` after the signature, with the time as a parameter.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Why an ID token or a sign-in was refused. The message is for the log and the error page;
/// it names the failed check, never a token.
public struct SignInError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The token or the provider's answer is wrong: 401.
        case invalid
        /// A real person the allow-list does not let in: 403.
        case notAllowed
        /// The identity provider could not be reached or answered nonsense: 502.
        case provider
    }
    public var kind: Kind
    public var reason: String
    public var description: String { reason }

    init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    init(_ reason: String) {
        self.init(.invalid, reason)
    }
}

/// The checks an ID token's claims must pass once its signature is good (OpenID Connect Core
/// 3.1.3.7). Pure: the time is a parameter.
struct IDTokenCheck: Sendable {
    /// Issuers that count as the configured one (Google also writes its issuer without scheme).
    var issuers: Set<String>
    var clientId: String
    /// Clock skew tolerated on `exp` and `iat`.
    var leeway: TimeInterval = 60

    init(issuer: String, clientId: String) {
        var issuers: Set = [issuer]
        if issuer == "https://accounts.google.com" { issuers.insert("accounts.google.com") }
        self.issuers = issuers
        self.clientId = clientId
    }

    func check(_ claims: IDTokenClaims, nonce expected: String, now: Date) throws {
        guard issuers.contains(claims.iss) else { throw SignInError("ID token issuer \(claims.iss) is not the configured issuer") }
        guard claims.aud.values.contains(clientId) else { throw SignInError("ID token audience does not include this server's client id") }
        if claims.aud.values.count > 1, claims.azp != clientId {
            throw SignInError("ID token has several audiences and this server is not its authorized party")
        }
        let at = now.timeIntervalSince1970
        guard claims.exp + leeway > at else { throw SignInError("ID token has expired") }
        if let iat = claims.iat, iat - leeway > at { throw SignInError("ID token is issued in the future") }
        guard let nonce = claims.nonce else { throw SignInError("ID token carries no nonce") }
        guard constantTimeEqual(nonce, expected) else { throw SignInError("ID token nonce does not match this sign-in") }
    }
}

/// Compares secrets in time that does not depend on where they differ.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8)
    let y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var difference: UInt8 = 0
    for i in x.indices { difference |= x[i] ^ y[i] }
    return difference == 0
}

extension KeyedDecodingContainer {
    /// A boolean claim such as `email_verified`, which some providers send as the string
    /// `"true"`; nil when absent or neither form.
    func claimFlag(forKey key: Key) -> Bool? {
        if let flag = try? decodeIfPresent(Bool.self, forKey: key) { return flag }
        return (try? decodeIfPresent(String.self, forKey: key)).flatMap { $0.map { $0 == "true" } }
    }
}
