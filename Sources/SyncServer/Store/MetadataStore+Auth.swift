import Crypto
import Foundation
import PostgresNIO
import S3Client

/// A sign-in on its way through the identity provider.
struct PendingSignIn: Sendable, Equatable {
    var verifier: String
    var nonce: String
    var returnTo: String
}

extension MetadataStore {
    /// Sessions last this long from sign-in, as Google's own do for a browser left open.
    static let sessionLifetime: TimeInterval = 14 * 86_400
    /// A sign-in must come back from the identity provider within this.
    static let signInLifetime: TimeInterval = 10 * 60

    // MARK: Accounts of the identity provider

    /// The account a provider identity signs in to, created on first sign-in.
    ///
    /// The provider's `(issuer, subject)` is the key; the e-mail is an attribute:
    /// - a known `(issuer, subject)` is that account, whatever its e-mail is now; the stored
    ///   e-mail follows the provider's, unless another account holds the new address (then the
    ///   old one stays, and no account is merged or created);
    /// - an account with this e-mail and no provider identity yet (made before accounts were
    ///   keyed so, by `syncd-server admin create-user`, or unlinked by `admin unlink-user`) is
    ///   linked to it on this first sign-in:
    ///   the allow-list has just checked that the provider vouches for that verified address;
    /// - an account with this e-mail that is linked to another subject is not taken over: the
    ///   sign-in is refused.
    ///
    /// Two sign-ins at the same moment (PostgreSQL runs them side by side, in READ COMMITTED)
    /// can find the same account unlinked, or the same identity new: the one that loses the
    /// race sees its UPDATE match nothing or its INSERT hit a unique index, and starts over in
    /// a new transaction, where it finds what the winner committed (the same person then
    /// simply signs in; another subject with that address is refused as above).
    func signInUser(_ identity: SignedInIdentity) async throws -> User {
        for _ in 0..<3 {
            do {
                if let user = try await signInOnce(identity) { return user }
            } catch let error where Self.isUniqueViolation(error) {
                continue
            }
        }
        throw SignInError("another sign-in changed this account at the same moment; sign in again")
    }

    /// One try of `signInUser`; nil when a concurrent sign-in changed the row in between.
    private func signInOnce(_ identity: SignedInIdentity) async throws -> User? {
        let email = identity.email.lowercased()
        let picture = identity.picture.map(SQLValue.text) ?? .null
        let at = now().timeIntervalSince1970
        return try await database.transaction { db in
            if let row = try await db.query(
                "SELECT id, email FROM users WHERE oidc_issuer = ? AND oidc_subject = ?",
                [.text(identity.issuer), .text(identity.subject)]
            ).first {
                let id = try row.text("id")
                var kept = try row.text("email")
                if kept != email, try await db.query("SELECT id FROM users WHERE email = ? AND id <> ?", [.text(email), .text(id)]).isEmpty {
                    kept = email
                }
                let rows = try await db.query(
                    "UPDATE users SET email = ?, name = ?, picture = ? WHERE id = ? AND oidc_issuer = ? AND oidc_subject = ? RETURNING id, email, name, picture",
                    [.text(kept), .text(identity.name), picture, .text(id), .text(identity.issuer), .text(identity.subject)]
                )
                return try rows.first.map(Self.user)
            }
            if let row = try await db.query("SELECT id, oidc_issuer, oidc_subject FROM users WHERE email = ?", [.text(email)]).first {
                // Linked to this very identity since the first SELECT: a concurrent sign-in of
                // the same person committed in between (READ COMMITTED); start over.
                if row.optionalText("oidc_issuer") == identity.issuer, row.optionalText("oidc_subject") == identity.subject { return nil }
                guard row.optionalText("oidc_subject") == nil else {
                    throw SignInError(
                        .notAllowed,
                        "the address \(email) belongs to another account on this server, which signs in as a different person at the provider; ask the server's administrator"
                    )
                }
                let rows = try await db.query(
                    """
                    UPDATE users SET oidc_issuer = ?, oidc_subject = ?, name = ?, picture = ?
                    WHERE id = ? AND oidc_subject IS NULL RETURNING id, email, name, picture
                    """,
                    [.text(identity.issuer), .text(identity.subject), .text(identity.name), picture, .text(try row.text("id"))]
                )
                return try rows.first.map(Self.user)
            }
            let rows = try await db.query(
                """
                INSERT INTO users (id, email, name, picture, created_at, oidc_issuer, oidc_subject) VALUES (?, ?, ?, ?, ?, ?, ?)
                RETURNING id, email, name, picture
                """,
                [
                    .text(UUID().uuidString.lowercased()), .text(email), .text(identity.name), picture, .real(at), .text(identity.issuer),
                    .text(identity.subject),
                ]
            )
            return try rows.first.map(Self.user)
        }
    }

    /// A statement refused by a unique index (PostgreSQL's SQLSTATE 23505): here, a concurrent
    /// sign-in committed the same e-mail or identity first. (SQLite's transactions take turns,
    /// so there the checks before each write already see everything.)
    static func isUniqueViolation(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }

    /// Forgets which provider identity the account with `email` signs in as
    /// (`syncd-server admin unlink-user`): its id, devices, files and sessions stay, and the next
    /// verified sign-in with that address links it again, as on first sign-in. For a person who
    /// moved to another identity provider, or whose provider account was recreated. Nil when
    /// no account has that address.
    public func unlinkUser(email: String) async throws -> User? {
        try await database.query(
            "UPDATE users SET oidc_issuer = NULL, oidc_subject = NULL WHERE email = ? RETURNING id, email, name, picture",
            [.text(email.lowercased())]
        ).first.map(Self.user)
    }

    // MARK: Sessions

    /// A new session for `userId`; returns its id (256 random bits) for the cookie. The table
    /// holds only an HMAC of the id under the server's session secret.
    func createSession(userId: String, key: SymmetricKey) async throws -> String {
        let id = Self.randomToken(bytes: 32)
        let at = now().timeIntervalSince1970
        try await database.query(
            "INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            [.text(Self.keyedHash(id, key)), .text(userId), .real(at), .real(at + Self.sessionLifetime)]
        )
        return id
    }

    /// The user a live session belongs to.
    func sessionUser(id: String, key: SymmetricKey) async throws -> User? {
        try await database.query(
            """
            SELECT u.id, u.email, u.name, u.picture FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.id_hash = ? AND s.expires_at > ?
            """,
            [.text(Self.keyedHash(id, key)), .real(now().timeIntervalSince1970)]
        ).first.map(Self.user)
    }

    func deleteSession(id: String, key: SymmetricKey) async throws {
        try await database.query("DELETE FROM sessions WHERE id_hash = ?", [.text(Self.keyedHash(id, key))])
    }

    // MARK: Sign-ins in flight

    func saveSignIn(state: String, _ signIn: PendingSignIn) async throws {
        let at = now().timeIntervalSince1970
        try await database.transaction { db in
            // Sign-ins never finished are forgotten as new ones start.
            try await db.query("DELETE FROM sign_ins WHERE created_at < ?", [.real(at - Self.signInLifetime)])
            try await db.query(
                "INSERT INTO sign_ins (state_hash, verifier, nonce, return_to, created_at) VALUES (?, ?, ?, ?, ?)",
                [.text(Self.tokenHash(state)), .text(signIn.verifier), .text(signIn.nonce), .text(signIn.returnTo), .real(at)]
            )
        }
    }

    /// The sign-in started with `state`, removed so that it is used at most once.
    func takeSignIn(state: String) async throws -> PendingSignIn? {
        let rows = try await database.query(
            "DELETE FROM sign_ins WHERE state_hash = ? RETURNING verifier, nonce, return_to, created_at",
            [.text(Self.tokenHash(state))]
        )
        guard let row = rows.first, try row.real("created_at") > now().timeIntervalSince1970 - Self.signInLifetime else { return nil }
        return PendingSignIn(verifier: try row.text("verifier"), nonce: try row.text("nonce"), returnTo: try row.text("return_to"))
    }

    // MARK: Helpers

    static func keyedHash(_ value: String, _ key: SymmetricKey) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(value.utf8), using: key))
    }
}
