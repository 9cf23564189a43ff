import Foundation

/// What the identity provider says about the person signing in, from the verified ID token
/// (e-mail and its flag from userinfo when the token lacks them).
struct ProviderClaims: Sendable, Equatable {
    /// The configured issuer (not the token's spelling of it: Google writes it two ways).
    var issuer: String
    var subject: String
    var email: String?
    var emailVerified: Bool?
    /// Google's `hd`: the Workspace domain that manages the account.
    var hostedDomain: String?
    var name: String?
    var picture: String?
}

/// The allow-list: who may sign in, by address or by domain.
///
/// - An address in `emails` is let in when the provider vouches for exactly that address.
/// - A domain in `domains`: for Google (`https://accounts.google.com`) the account's `hd` claim
///   must be that domain, i.e. the account is managed by that Google Workspace. The e-mail's
///   domain is not enough there: anyone can make a consumer Google account with a verified
///   address at any domain, and such an account has no `hd`. For other providers the whole
///   domain after the last `@` must equal the entry (`example.com` does not let in
///   `a@sub.example.com` or `a@evilexample.com`).
public struct SignInAllowList: Sendable, Equatable {
    public var emails: Set<String>
    public var domains: Set<String>

    public init(emails: [String], domains: [String]) {
        self.emails = Set(emails.map { $0.lowercased() })
        self.domains = Set(domains.map { $0.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "@")) })
    }

    /// The e-mail rule alone (providers other than Google): the address, or its whole domain.
    public func allows(_ email: String) -> Bool {
        let address = email.lowercased()
        if emails.contains(address) { return true }
        guard let domain = Self.domain(of: address) else { return false }
        return domains.contains(domain)
    }

    /// Whether the provider's claims let this person in; pure. A refusal names the check that
    /// failed, for the sign-in error page and the log.
    func decide(_ claims: ProviderClaims) -> Result<SignedInIdentity, SignInError> {
        guard let email = claims.email?.lowercased(), !email.isEmpty else {
            return .failure(SignInError("the provider did not say which e-mail address signed in"))
        }
        switch claims.emailVerified {
        case true?: break
        case false?: return .failure(SignInError(.notAllowed, "the e-mail address \(email) is not verified with the provider"))
        case nil:
            return .failure(
                SignInError(.notAllowed, "the provider did not say that the e-mail address \(email) is verified (no email_verified claim)")
            )
        }
        let allowed: Bool
        if emails.contains(email) {
            allowed = true
        } else if claims.issuer == Self.google {
            allowed = claims.hostedDomain.map { domains.contains($0.lowercased()) } ?? false
        } else {
            allowed = Self.domain(of: email).map(domains.contains) ?? false
        }
        guard allowed else {
            let detail =
                claims.issuer == Self.google && !domains.isEmpty
                ? " (a domain entry lets in accounts of that Google Workspace only; this account's hosted domain is \(claims.hostedDomain ?? "none"))"
                : ""
            return .failure(SignInError(.notAllowed, "\(email) is not on this server's allow-list\(detail)"))
        }
        return .success(
            SignedInIdentity(
                issuer: claims.issuer,
                subject: claims.subject,
                email: email,
                name: claims.name ?? email,
                picture: claims.picture
            )
        )
    }

    static let google = "https://accounts.google.com"

    /// Everything after the last `@`, when there is a non-empty address before and after it.
    static func domain(of address: String) -> String? {
        guard let at = address.lastIndex(of: "@"), at != address.startIndex else { return nil }
        let domain = address[address.index(after: at)...]
        return domain.isEmpty ? nil : String(domain)
    }
}
