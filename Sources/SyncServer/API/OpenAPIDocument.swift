/// The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.yaml`.
/// Kept in code (not a resource file) so that the binary alone serves it.
enum OpenAPIDocument {
    /// The whole document: the header and components, then the paths, by concern.
    static let yaml = [header, filePaths, uploadPaths, accountPaths].joined(separator: "\n")

    /// Info, security schemes, schemas and shared responses; ends with `paths:`.
    static let header = #"""
        openapi: 3.1.0
        info:
          title: syncd-server API
          version: "1"
          description: |
            The JSON API the syncd daemons (and the dashboard) use. Devices authenticate with
            `Authorization: Bearer <device token>` (obtained through `/device/code` and
            `/device/token`); a signed-in browser with its session cookie, sending the session's
            CSRF token (from `/session`) as `X-CSRF-Token` on every POST and DELETE. Paths are relative to the user's root,
            `/`-separated. Every mutation names the revision the caller last saw; a stale one gets
            409 with the current item. Bytes never go through the server: uploads and downloads use
            presigned S3 URLs.
        servers:
          - url: /api/v1
        security:
          - device: []
          - session: []
        components:
          securitySchemes:
            device:
              type: http
              scheme: bearer
            session:
              type: apiKey
              in: cookie
              name: syncd_session
          schemas:
            Error:
              type: object
              required: [code, message]
              properties:
                code: {type: string}
                message: {type: string}
            Path:
              type: string
              minLength: 1
              maxLength: 4096
              description: >
                Relative to the user's root, `/`-separated; no empty, `.` or `..` name, no NUL; each
                name at most 255 bytes of UTF-8 and the whole path at most 4,096 (Linux's NAME_MAX and
                PATH_MAX), or 400 invalid_path.
            BatchResults:
              type: object
              required: [results]
              properties:
                results:
                  type: array
                  items:
                    type: object
                    properties:
                      value: {type: object}
                      status: {type: integer}
                      error: {$ref: "#/components/schemas/Error"}
            ItemPage:
              type: object
              required: [items, cursor]
              properties:
                items: {type: array, items: {$ref: "#/components/schemas/File"}}
                next: {type: string, description: "Pass back as `after` for the next page; absent on the last page."}
                cursor: {type: integer, description: "The change-feed position the page is current to (one read)."}
            File:
              type: object
              required: [id, path, kind, revision, size, modifiedAt]
              properties:
                id: {type: string}
                path: {type: string}
                kind: {type: string, enum: [file, folder]}
                revision: {type: integer}
                size: {type: integer}
                sha256: {type: [string, "null"]}
                modifiedAt: {type: number}
                category: {type: string, enum: [folder, image, pdf, video, audio, archive, document, text, other], description: "The dashboard's icon, by name."}
            Conflict:
              type: object
              required: [code, message]
              properties:
                code: {type: string}
                message: {type: string}
                current:
                  oneOf:
                    - $ref: "#/components/schemas/File"
                    - type: "null"
            Share:
              type: object
              required: [id, url, path, createdAt, revoked, views, downloads, hasPassword]
              properties:
                id: {type: string}
                url: {type: string}
                path: {type: string}
                createdAt: {type: number}
                expiresAt: {type: [number, "null"]}
                revoked: {type: boolean}
                views: {type: integer, description: Times the link's page was shown.}
                downloads: {type: integer, description: Times the file was downloaded through the link.}
                hasPassword: {type: boolean, description: Visitors must give a password before the link shows anything.}
                request: {oneOf: [{$ref: "#/components/schemas/FileRequest"}, {type: "null"}], description: "Set for a file request (/r/<token>)."}
                uploads: {type: integer, description: Files received through a file request.}
            FileRequest:
              type: object
              required: [title]
              properties:
                title: {type: string, minLength: 1, maxLength: 200, description: "What the uploader is asked for, on one line."}
                maxFileBytes: {type: [integer, "null"], minimum: 1, maximum: 5497558138880, description: "The largest file it takes; null: any the owner has room for."}
          responses:
            Unauthorized:
              description: No, unknown or revoked device token, or no live session.
              content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
            BadRequest:
              description: The request is malformed; the message says how.
              content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
            NotFound:
              description: No such item (or not the caller's).
              content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
            Conflict:
              description: The item changed since the caller saw it.
              content: {application/json: {schema: {$ref: "#/components/schemas/Conflict"}}}
            TooLarge:
              description: The request body is over 1 MiB (code body_too_large).
              content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
            QuotaExceeded:
              description: >
                The user's quota (limits.user_quota) has no room (code quota_exceeded). Live files
                and uploads in progress count; the trash and old versions do not.
              content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        paths:
        """#
}
