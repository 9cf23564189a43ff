/// The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.yaml`.
/// Kept in code (not a resource file) so that the binary alone serves it.
enum OpenAPIDocument {
    static let yaml = #"""
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
          required: [id, url, path, createdAt, revoked, views]
          properties:
            id: {type: string}
            url: {type: string}
            path: {type: string}
            createdAt: {type: number}
            expiresAt: {type: [number, "null"]}
            revoked: {type: boolean}
            views: {type: integer}
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
    paths:
      /files:
        get:
          summary: The caller's whole tree and the change-feed cursor it is current to.
          responses:
            "200":
              description: The tree.
              content:
                application/json:
                  schema:
                    type: object
                    required: [files, cursor]
                    properties:
                      files: {type: array, items: {$ref: "#/components/schemas/File"}}
                      cursor: {type: integer}
            "401": {$ref: "#/components/responses/Unauthorized"}
      /folders:
        post:
          summary: Create a folder (its parent must exist; an existing folder is returned as is).
          requestBody:
            required: true
            content:
              application/json:
                schema: {type: object, required: [path], properties: {path: {type: string}}}
          responses:
            "201": {description: The folder., content: {application/json: {schema: {$ref: "#/components/schemas/File"}}}}
            "400": {description: Invalid path or missing parent folder.}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "409": {$ref: "#/components/responses/Conflict"}
      /move:
        post:
          summary: Move an item (a folder with its contents).
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [from, to, revision]
                  properties: {from: {type: string}, to: {type: string}, revision: {type: integer}}
          responses:
            "200": {description: The moved item., content: {application/json: {schema: {$ref: "#/components/schemas/File"}}}}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "404": {$ref: "#/components/responses/NotFound"}
            "409": {$ref: "#/components/responses/Conflict"}
      /trash:
        get:
          summary: Items in the trash, most recent first.
          responses:
            "200":
              description: Trashed items.
              content:
                application/json:
                  schema:
                    type: array
                    items:
                      type: object
                      required: [id, path, kind, size, trashedAt]
                      properties: {id: {type: string}, path: {type: string}, kind: {type: string}, size: {type: integer}, trashedAt: {type: number}}
            "401": {$ref: "#/components/responses/Unauthorized"}
        post:
          summary: Move an item (a folder with its contents) to the trash.
          requestBody:
            required: true
            content:
              application/json:
                schema: {type: object, required: [path, revision], properties: {path: {type: string}, revision: {type: integer}}}
          responses:
            "204": {description: Trashed.}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "404": {$ref: "#/components/responses/NotFound"}
            "409": {$ref: "#/components/responses/Conflict"}
      /trash/restore:
        post:
          summary: Put a trashed item back, with what was trashed together with it.
          requestBody:
            required: true
            content:
              application/json:
                schema: {type: object, required: [id], properties: {id: {type: string}}}
          responses:
            "200": {description: The restored item., content: {application/json: {schema: {$ref: "#/components/schemas/File"}}}}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "404": {$ref: "#/components/responses/NotFound"}
            "409": {$ref: "#/components/responses/Conflict"}
      /versions:
        get:
          summary: The versions of a file, newest first.
          parameters:
            - {name: path, in: query, required: true, schema: {type: string}}
          responses:
            "200":
              description: Versions.
              content:
                application/json:
                  schema:
                    type: array
                    items:
                      type: object
                      required: [revision, size, modifiedAt]
                      properties: {revision: {type: integer}, size: {type: integer}, sha256: {type: [string, "null"]}, modifiedAt: {type: number}}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "404": {$ref: "#/components/responses/NotFound"}
      /versions/restore:
        post:
          summary: Make an old version current again (as a new revision).
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [path, revision, baseRevision]
                  properties: {path: {type: string}, revision: {type: integer}, baseRevision: {type: integer}}
          responses:
            "200": {description: The file., content: {application/json: {schema: {$ref: "#/components/schemas/File"}}}}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "404": {$ref: "#/components/responses/NotFound"}
            "409": {$ref: "#/components/responses/Conflict"}
      /uploads:
        post:
          summary: Begin an upload. `stored` means the content is already there and the revision is recorded; `single` gives a presigned PUT; `multipart` asks for part URLs next.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [path, size, sha256]
                  properties:
                    path: {type: string}
                    size: {type: integer, minimum: 0}
                    sha256: {type: string, pattern: "^[0-9a-fA-F]{64}$"}
                    contentType: {type: string}
                    baseRevision: {type: [integer, "null"]}
          responses:
            "201":
              description: How to send the bytes.
              content:
                application/json:
                  schema:
                    type: object
                    required: [mode, headers]
                    properties:
                      mode: {type: string, enum: [stored, single, multipart]}
                      uploadId: {type: string}
                      url: {type: string}
                      headers: {type: object, additionalProperties: {type: string}}
                      partSize: {type: integer}
                      partCount: {type: integer}
                      file: {$ref: "#/components/schemas/File"}
            "400": {description: "Invalid path, size or sha256."}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "409": {$ref: "#/components/responses/Conflict"}
      /batch/uploads:
        post:
          summary: Begin up to 1,000 uploads in one request; each gets the answer its own POST /uploads would have.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [uploads]
                  properties:
                    uploads: {type: array, maxItems: 1000, items: {type: object}}
          responses:
            "200":
              description: One result per upload, in order; `value` or `status` with `error`.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/BatchResults"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/Unauthorized"}
      /batch/complete:
        post:
          summary: Complete up to 1,000 uploads in one request; each gets the answer its own completion would have.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [uploads]
                  properties:
                    uploads:
                      type: array
                      maxItems: 1000
                      items:
                        type: object
                        required: [uploadId, parts]
                        properties:
                          uploadId: {type: string}
                          parts: {type: array, items: {type: object}}
          responses:
            "200":
              description: One result per upload, in order.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/BatchResults"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/Unauthorized"}
      /uploads/{id}/parts:
        get:
          summary: The parts S3 already holds for a multipart upload (for resuming after a crash).
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          responses:
            "200":
              description: Parts, by number.
              content:
                application/json:
                  schema:
                    type: object
                    required: [parts]
                    properties:
                      parts:
                        type: array
                        items:
                          type: object
                          required: [partNumber, etag, size]
                          properties:
                            partNumber: {type: integer}
                            etag: {type: string}
                            size: {type: integer}
                            checksumCRC32C: {type: [string, "null"]}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "404": {$ref: "#/components/responses/NotFound"}
        post:
          summary: Presigned PUT URLs for parts of a multipart upload; each part's base64 CRC32C is signed in.
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [partNumbers, checksums]
                  properties:
                    partNumbers: {type: array, items: {type: integer, minimum: 1, maximum: 10000}}
                    checksums: {type: object, additionalProperties: {type: string}}
          responses:
            "200":
              description: URLs and headers by part number.
              content:
                application/json:
                  schema:
                    type: object
                    required: [urls, headers]
                    properties:
                      urls: {type: object, additionalProperties: {type: string}}
                      headers: {type: object, additionalProperties: {type: object, additionalProperties: {type: string}}}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "404": {$ref: "#/components/responses/NotFound"}
      /uploads/{id}/complete:
        post:
          summary: Finish an upload; the object is checked (size, SSE-S3) before the revision is recorded.
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    parts:
                      type: array
                      items:
                        type: object
                        required: [partNumber, etag]
                        properties: {partNumber: {type: integer}, etag: {type: string}, checksumCRC32C: {type: string}}
          responses:
            "200": {description: The new revision., content: {application/json: {schema: {$ref: "#/components/schemas/File"}}}}
            "400": {description: The object is missing or not as declared.}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "404": {$ref: "#/components/responses/NotFound"}
            "409": {$ref: "#/components/responses/Conflict"}
      /uploads/{id}:
        delete:
          summary: Abandon an upload (the multipart upload is aborted).
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          responses:
            "204": {description: Abandoned.}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "404": {$ref: "#/components/responses/NotFound"}
      /download:
        get:
          summary: A presigned GET of a file that works for 15 minutes.
          parameters:
            - {name: path, in: query, required: true, schema: {type: string}}
          responses:
            "200":
              description: The URL.
              content:
                application/json:
                  schema:
                    type: object
                    required: [url, expiresAt, file]
                    properties: {url: {type: string}, expiresAt: {type: number}, file: {$ref: "#/components/schemas/File"}}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "404": {$ref: "#/components/responses/NotFound"}
      /changes:
        get:
          summary: Changes after a cursor, oldest first; with `wait`, an empty answer waits up to that many seconds (at most 60) for the next change.
          parameters:
            - {name: after, in: query, schema: {type: integer, default: 0}}
            - {name: limit, in: query, schema: {type: integer, default: 1000, maximum: 5000}}
            - {name: wait, in: query, schema: {type: number, default: 0, maximum: 60}}
          responses:
            "200":
              description: Changes and the cursor to continue from.
              content:
                application/json:
                  schema:
                    type: object
                    required: [changes, cursor]
                    properties:
                      changes:
                        type: array
                        items:
                          type: object
                          required: [seq, deleted, file]
                          properties: {seq: {type: integer}, deleted: {type: boolean}, file: {$ref: "#/components/schemas/File"}}
                      cursor: {type: integer}
            "401": {$ref: "#/components/responses/Unauthorized"}
      /shares:
        get:
          summary: The caller's share links, newest first.
          responses:
            "200": {description: Links., content: {application/json: {schema: {type: array, items: {$ref: "#/components/schemas/Share"}}}}}
            "401": {$ref: "#/components/responses/Unauthorized"}
        post:
          summary: A new share link (7 days by default; 0 seconds means never, if the server allows).
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [path]
                  properties: {path: {type: string}, expiresInSeconds: {type: [integer, "null"], minimum: 0}}
          responses:
            "201": {description: The link., content: {application/json: {schema: {$ref: "#/components/schemas/Share"}}}}
            "400": {description: Expiry invalid or longer than the server allows.}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "404": {$ref: "#/components/responses/NotFound"}
      /devices:
        get:
          summary: The caller's devices (revoked ones included, marked).
          responses:
            "200":
              description: Devices.
              content:
                application/json:
                  schema:
                    type: array
                    items:
                      type: object
                      required: [id, name, createdAt, revoked, current]
                      properties:
                        id: {type: string}
                        name: {type: string}
                        createdAt: {type: number}
                        lastSeenAt: {type: [number, "null"]}
                        revoked: {type: boolean}
                        current: {type: boolean}
            "401": {$ref: "#/components/responses/Unauthorized"}
      /devices/{id}:
        delete:
          summary: Revoke a device; its token stops working at its next request.
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          responses:
            "204": {description: Revoked.}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "404": {$ref: "#/components/responses/NotFound"}
      /session:
        get:
          summary: Who is calling; for a browser session, the CSRF token to send back.
          responses:
            "200":
              description: The caller.
              content:
                application/json:
                  schema:
                    type: object
                    required: [userId, email, name]
                    properties:
                      userId: {type: string}
                      email: {type: string}
                      name: {type: string}
                      picture: {type: [string, "null"]}
                      csrfToken: {type: [string, "null"], description: "Only for browser sessions."}
            "401": {$ref: "#/components/responses/Unauthorized"}
      /device/code:
        post:
          summary: Start a device authorization (RFC 8628); no credentials. Rate limited.
          security: []
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string, description: "Shown to the person approving, 1-200 characters."}
          responses:
            "200":
              description: >
                Show userCode and verificationURL to the person; poll /device/token with
                deviceCode every interval seconds until expiresIn runs out.
              content:
                application/json:
                  schema:
                    type: object
                    required: [deviceCode, userCode, verificationURL, verificationURLComplete, expiresIn, interval]
                    properties:
                      deviceCode: {type: string}
                      userCode: {type: string, example: BCDF-GHJK}
                      verificationURL: {type: string}
                      verificationURLComplete: {type: string}
                      expiresIn: {type: integer}
                      interval: {type: integer}
            "400": {$ref: "#/components/responses/BadRequest"}
            "429": {description: Too many requests from this address.}
      /device/token:
        post:
          summary: Poll a device authorization; the bearer token once someone approved, exactly once.
          security: []
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [deviceCode]
                  properties:
                    deviceCode: {type: string}
          responses:
            "200":
              description: Approved.
              content:
                application/json:
                  schema:
                    type: object
                    required: [token, deviceId]
                    properties:
                      token: {type: string}
                      deviceId: {type: string}
            "400":
              description: >
                Not yet or never: code authorization_pending (poll again), slow_down (poll less
                often), expired_token or access_denied (start again).
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Error"}
            "429": {description: Too many requests from this address.}
      /shares/{id}:
        delete:
          summary: Revoke a share link.
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          responses:
            "204": {description: Revoked.}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "404": {$ref: "#/components/responses/NotFound"}
    """#
}
