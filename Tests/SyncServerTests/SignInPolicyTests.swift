import Foundation
import Testing

@testable import SyncServer

/// The pure decisions of sign-in: where a browser may be sent back to, and whom the provider's
/// claims let in.
@Suite struct SignInPolicyTests {
    /// Values as `/auth/login` sees `return_to` once the query string is decoded.
    @Test(arguments: [
        "/\t/evil.example",  // browsers drop the tab: //evil.example
        "/\r\n/evil.example", "/\n/evil.example", "/\u{0}/evil.example",
        "/%09/evil.example", "/%0d%0a/evil.example", "/%00", "/%7F",
        "//evil.example", "/\\evil.example", "/\\/evil.example", "\\/evil.example",
        "/%2F/evil.example", "/%2fevil.example", "/%5Cevil.example", "/%5c/evil.example",
        "/%252F/evil.example", "/%255Cevil.example",  // decoded twice by a proxy
        "/%25252F/evil.example", "/%25255Cevil.example", "/%2525252F/evil.example",  // three times, and more
        "/a%5Cb",  // a backslash anywhere
        "https://evil.example/", "http:/evil.example", "javascript:alert(1)", "evil.example", "",
        "/a b", "/#frag", "/é", "/%", "/%2", "/%zz",
    ])
    func aReturnPathOutsideTheGrammarBecomesTheRoot(value: String) {
        #expect(ReturnPath.parse(value) == "/", "\(value.debugDescription)")
    }

    @Test(arguments: [
        "/", "/device", "/device?code=BCDFG-HJKLM", "/?folder=a%20b", "/?folder=Photos%2F2024", "/?folder=%C3%A9t%C3%A9",
        "/a/b/c.txt", "/?q=100%25", "/s/abc_DEF-123~", "/a:b@c!$&'()*+,;=",
    ])
    func aLocalPathIsKept(value: String) {
        #expect(ReturnPath.parse(value) == value)
    }

    @Test func aReturnPathIsBoundedInLength() {
        #expect(ReturnPath.parse("/" + String(repeating: "a", count: 2_047)).count == 2_048)
        #expect(ReturnPath.parse("/" + String(repeating: "a", count: 2_048)) == "/")
    }

    static func claims(
        issuer: String = "https://idp.example",
        subject: String = "sub-1",
        email: String? = "alice@example.org",
        verified: Bool? = true,
        hd: String? = nil
    ) -> ProviderClaims {
        ProviderClaims(issuer: issuer, subject: subject, email: email, emailVerified: verified, hostedDomain: hd, name: "Alice", picture: nil)
    }

    static func refusal(_ decision: Result<SignedInIdentity, SignInError>) -> String? {
        if case .failure(let error) = decision { return error.reason }
        return nil
    }

    @Test func anUnverifiedOrUnsaidEmailIsRefused() throws {
        let list = SignInAllowList(emails: ["alice@example.org"], domains: [])
        let allowed = list.decide(Self.claims())
        #expect(
            try allowed.get()
                == SignedInIdentity(issuer: "https://idp.example", subject: "sub-1", email: "alice@example.org", name: "Alice", picture: nil)
        )
        #expect(Self.refusal(list.decide(Self.claims(verified: false)))?.contains("is not verified") == true)
        let missing = list.decide(Self.claims(verified: nil))
        #expect(Self.refusal(missing)?.contains("no email_verified claim") == true, "a missing claim is not a yes")
        if case .failure(let error) = missing { #expect(error.kind == .notAllowed) }
        #expect(Self.refusal(list.decide(Self.claims(email: nil)))?.contains("did not say which e-mail") == true)
        #expect(Self.refusal(list.decide(Self.claims(email: "")))?.contains("did not say which e-mail") == true)
    }

    @Test func aDomainMatchesTheWholeDomainAfterTheAt() {
        let list = SignInAllowList(emails: [], domains: ["example.com"])
        #expect((try? list.decide(Self.claims(email: "Bob@Example.COM")).get())?.email == "bob@example.com")
        for email in ["bob@sub.example.com", "bob@evilexample.com", "bob@example.com.evil", "example.com", "@example.com", "bob@example.co"] {
            #expect(Self.refusal(list.decide(Self.claims(email: email)))?.contains("not on this server's allow-list") == true, "\(email)")
        }
        // The address is the one after the last @ (quoted local parts may hold one).
        #expect(Self.refusal(list.decide(Self.claims(email: "bob@example.com@evil.example"))) != nil)
        #expect((try? list.decide(Self.claims(email: "\"bob@evil\"@example.com")).get()) != nil)
    }

    @Test func forGoogleADomainIsCheckedAgainstTheHostedDomainClaim() {
        let google = "https://accounts.google.com"
        let list = SignInAllowList(emails: ["friend@gmail.com"], domains: ["example.com"])
        // A Workspace account of example.com.
        #expect((try? list.decide(Self.claims(issuer: google, email: "bob@example.com", hd: "example.com")).get()) != nil)
        // A consumer Google account whose (verified) address is at example.com: no hd, refused.
        let consumer = Self.refusal(list.decide(Self.claims(issuer: google, email: "bob@example.com", hd: nil)))
        #expect(consumer?.contains("hosted domain is none") == true, "\(consumer ?? "allowed")")
        // Another Workspace, whatever the address says.
        #expect(Self.refusal(list.decide(Self.claims(issuer: google, email: "bob@example.com", hd: "evil.example"))) != nil)
        // The hd decides even for an address elsewhere (a Workspace user's secondary domain).
        #expect((try? list.decide(Self.claims(issuer: google, email: "bob@example.net", hd: "example.com")).get()) != nil)
        // Addresses listed one by one still get in, hd or not.
        #expect((try? list.decide(Self.claims(issuer: google, email: "friend@gmail.com")).get()) != nil)
        // Other providers keep the e-mail domain rule: hd means nothing there.
        #expect(Self.refusal(list.decide(Self.claims(email: "bob@evil.example", hd: "example.com"))) != nil)
    }

    @Test func aListenAddressIsHostAndPort() {
        #expect(ListenAddress.parse("127.0.0.1:9465") == ListenAddress(host: "127.0.0.1", port: 9465))
        #expect(ListenAddress.parse("[::1]:9465") == ListenAddress(host: "::1", port: 9465))
        #expect(ListenAddress.parse("localhost:0") == ListenAddress(host: "localhost", port: 0))
        for bad in ["9465", ":9465", "127.0.0.1:", "127.0.0.1:70000", "::1:9465", "127.0.0.1:x"] {
            #expect(ListenAddress.parse(bad) == nil, "\(bad)")
        }
    }
}
