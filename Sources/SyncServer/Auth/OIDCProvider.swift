public import AsyncHTTPClient
import Crypto
public import Foundation
import JWTKit
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Where sign-in goes: an OpenID Connect provider (Google by default) and this server's
/// registration with it.
public struct OIDCSettings: Sendable, Equatable {
    public var issuer: String
    public var clientId: String
    public var clientSecret: String
    public var allowList: SignInAllowList

    public init(issuer: String = "https://accounts.google.com", clientId: String, clientSecret: String, allowList: SignInAllowList) {
        self.issuer = issuer
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.allowList = allowList
    }
}

/// The person an ID token vouches for: the provider's `(issuer, subject)` names the account;
/// the e-mail is an attribute (verified, as the allow-list let it in).
public struct SignedInIdentity: Sendable, Equatable {
    public var issuer: String
    public var subject: String
    public var email: String
    public var name: String
    public var picture: String?
}

/// Talks to the OpenID Connect provider: discovery, the authorization URL with PKCE, the code
/// exchange, ID-token verification against the provider's keys (cached; fetched again when a
/// token names a key not seen yet) and userinfo.
public actor OIDCProvider {
    public let settings: OIDCSettings
    private let http: HTTPClient
    private var discovery: Discovery?
    private let keys = JWTKeyCollection()
    private var knownKeyIds: Set<String> = []
    private var keysFetchedAt: ContinuousClock.Instant?
    /// How many times the key set was fetched (tests check that it is cached).
    public private(set) var keyFetches = 0

    /// The key set is fetched again for an unknown key id at most this often.
    private let keyRefreshInterval: Duration

    public init(settings: OIDCSettings, http: HTTPClient = .shared, keyRefreshInterval: Duration = .seconds(10)) {
        self.settings = settings
        self.http = http
        self.keyRefreshInterval = keyRefreshInterval
    }

    struct Discovery: Decodable, Sendable {
        var issuer: String
        var authorizationEndpoint: String
        var tokenEndpoint: String
        var jwksURI: String
        var userinfoEndpoint: String?
        var claimsParameterSupported: Bool?

        enum CodingKeys: String, CodingKey {
            case issuer
            case authorizationEndpoint = "authorization_endpoint"
            case tokenEndpoint = "token_endpoint"
            case jwksURI = "jwks_uri"
            case userinfoEndpoint = "userinfo_endpoint"
            case claimsParameterSupported = "claims_parameter_supported"
        }
    }

    struct TokenResponse: Decodable, Sendable {
        var idToken: String
        var accessToken: String?
        enum CodingKeys: String, CodingKey {
            case idToken = "id_token"
            case accessToken = "access_token"
        }
    }

    /// The provider's metadata, fetched once. Its issuer must be the configured one.
    func metadata() async throws -> Discovery {
        if let discovery { return discovery }
        let base = settings.issuer.hasSuffix("/") ? String(settings.issuer.dropLast()) : settings.issuer
        let document: Discovery = try await getJSON(base + "/.well-known/openid-configuration")
        guard document.issuer == settings.issuer else {
            throw SignInError(.provider, "the provider's discovery document names issuer \(document.issuer), not \(settings.issuer)")
        }
        discovery = document
        return document
    }

    /// The URL that sends the browser to the provider, with PKCE (S256), state and nonce.
    public func authorizationURL(redirectURI: String, state: String, nonce: String, verifier: String) async throws -> String {
        let document = try await metadata()
        var query: [(String, String)] = [
            ("response_type", "code"), ("client_id", settings.clientId), ("redirect_uri", redirectURI),
            ("scope", "openid email profile"), ("state", state), ("nonce", nonce),
            ("code_challenge", Self.challenge(for: verifier)), ("code_challenge_method", "S256"),
        ]
        // Providers that put e-mail and name in the ID token only when asked (Google does it anyway).
        if document.claimsParameterSupported == true {
            query.append(("claims", #"{"id_token":{"email":null,"email_verified":null,"name":null,"picture":null}}"#))
        }
        let separator = document.authorizationEndpoint.contains("?") ? "&" : "?"
        return document.authorizationEndpoint + separator + Self.formEncode(query)
    }

    /// Exchanges the code for tokens, verifies the ID token, and says who signed in.
    public func signIn(code: String, verifier: String, nonce: String, redirectURI: String, now: Date = Date()) async throws -> SignedInIdentity {
        let document = try await metadata()
        var request = HTTPClientRequest(url: document.tokenEndpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(
            ByteBuffer(
                string: Self.formEncode([
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
                    ("client_id", settings.clientId), ("client_secret", settings.clientSecret), ("code_verifier", verifier),
                ])
            )
        )
        let response = try await send(request)
        guard response.status == 200 else {
            let reason = (try? JSONDecoder().decode(OAuthErrorBody.self, from: response.body)).map { "\($0.error): \($0.errorDescription ?? "")" }
            throw SignInError("the provider refused the code exchange (\(reason ?? "HTTP \(response.status)"))")
        }
        let tokens: TokenResponse
        do {
            tokens = try JSONDecoder().decode(TokenResponse.self, from: response.body)
        } catch {
            throw SignInError(.provider, "the provider's token response has no ID token")
        }
        let claims = try await verify(idToken: tokens.idToken, nonce: nonce, now: now)
        var provided = ProviderClaims(
            issuer: settings.issuer,
            subject: claims.sub,
            email: claims.email,
            emailVerified: claims.emailVerified,
            hostedDomain: claims.hd,
            name: claims.name,
            picture: claims.picture
        )
        // The e-mail and its flag come as a pair: from userinfo when the token lacks either.
        if claims.email == nil || claims.emailVerified == nil, let accessToken = tokens.accessToken, let endpoint = document.userinfoEndpoint {
            let info = try await userinfo(endpoint: endpoint, accessToken: accessToken)
            guard info.sub == claims.sub else { throw SignInError("userinfo names a different subject than the ID token") }
            provided.email = info.email
            provided.emailVerified = info.emailVerified
            provided.name = provided.name ?? info.name
            provided.picture = provided.picture ?? info.picture
        }
        return try settings.allowList.decide(provided).get()
    }

    /// Verifies an ID token: RS256 signature by a key of the provider's key set, then the claims.
    func verify(idToken: String, nonce: String, now: Date) async throws -> IDTokenClaims {
        let header = try Self.header(of: idToken)
        guard header.alg == "RS256" else { throw SignInError("ID token is signed with \(header.alg), not RS256") }
        guard let kid = header.kid else { throw SignInError("ID token names no signing key") }
        if !knownKeyIds.contains(kid) {
            try await refreshKeys()
            guard knownKeyIds.contains(kid) else { throw SignInError("ID token is signed by a key the provider does not publish") }
        }
        let claims: IDTokenClaims
        do {
            claims = try await keys.verify(idToken, as: IDTokenClaims.self)
        } catch {
            throw SignInError("ID token signature is not valid")
        }
        try IDTokenCheck(issuer: settings.issuer, clientId: settings.clientId).check(claims, nonce: nonce, now: now)
        return claims
    }

    /// Fetches the key set again, at most once per `keyRefreshInterval` (a flood of unknown key
    /// ids costs one fetch).
    private func refreshKeys() async throws {
        if let keysFetchedAt, ContinuousClock.now - keysFetchedAt < keyRefreshInterval { return }
        let document = try await metadata()
        keysFetchedAt = .now
        keyFetches += 1
        let response = try await send(HTTPClientRequest(url: document.jwksURI))
        guard response.status == 200, let jwks = try? JSONDecoder().decode(JWKS.self, from: response.body) else {
            throw SignInError(.provider, "the provider's key set could not be read (HTTP \(response.status))")
        }
        _ = await keys.removeAll()
        var ids: Set<String> = []
        for key in jwks.keys {
            guard let kid = key.keyIdentifier?.string, (try? await keys.add(jwk: key)) != nil else { continue }
            ids.insert(kid)
        }
        knownKeyIds = ids
    }

    struct UserInfo: Decodable {
        var sub: String
        var email: String?
        var emailVerified: Bool?
        var name: String?
        var picture: String?
        enum CodingKeys: String, CodingKey {
            case sub, email, name, picture
            case emailVerified = "email_verified"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            sub = try c.decode(String.self, forKey: .sub)
            email = try c.decodeIfPresent(String.self, forKey: .email)
            emailVerified = c.claimFlag(forKey: .emailVerified)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            picture = try c.decodeIfPresent(String.self, forKey: .picture)
        }
    }

    private func userinfo(endpoint: String, accessToken: String) async throws -> UserInfo {
        var request = HTTPClientRequest(url: endpoint)
        request.headers.add(name: "Authorization", value: "Bearer \(accessToken)")
        let response = try await send(request)
        guard response.status == 200, let info = try? JSONDecoder().decode(UserInfo.self, from: response.body) else {
            throw SignInError(.provider, "the provider's userinfo endpoint answered HTTP \(response.status)")
        }
        return info
    }

    struct OAuthErrorBody: Decodable {
        var error: String
        var errorDescription: String?
        enum CodingKeys: String, CodingKey {
            case error
            case errorDescription = "error_description"
        }
    }

    private func getJSON<T: Decodable>(_ url: String) async throws -> T {
        let response = try await send(HTTPClientRequest(url: url))
        guard response.status == 200 else { throw SignInError(.provider, "\(url) answered HTTP \(response.status)") }
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw SignInError(.provider, "\(url) answered with a document that is not what OpenID Connect says")
        }
    }

    private func send(_ request: HTTPClientRequest) async throws -> (status: UInt, body: Data) {
        do {
            let response = try await http.execute(request, timeout: .seconds(15))
            let body = try await response.body.collect(upTo: 1 << 20)
            return (response.status.code, Data(buffer: body))
        } catch let error as SignInError {
            throw error
        } catch {
            throw SignInError(.provider, "the identity provider could not be reached: \(error)")
        }
    }

    // MARK: Pure helpers

    /// PKCE S256: base64url(SHA-256(verifier)).
    static func challenge(for verifier: String) -> String {
        base64URL(Data(SHA256.hash(data: Array(verifier.utf8))))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    struct Header: Decodable {
        var alg: String
        var kid: String?
    }

    static func header(of token: String) throws -> Header {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw SignInError("ID token is not a signed JWT") }
        var text = parts[0].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        guard let data = Data(base64Encoded: text), let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw SignInError("ID token header cannot be read")
        }
        return header
    }

    /// application/x-www-form-urlencoded, as OAuth requires.
    static func formEncode(_ pairs: [(String, String)]) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }
        return pairs.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }
}
