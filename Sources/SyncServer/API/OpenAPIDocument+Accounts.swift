extension OpenAPIDocument {
    /// Shares, devices, the session and the device-authorization flow.
    static let accountPaths = #"""
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
                      properties:
                        path: {type: string}
                        expiresInSeconds: {type: [integer, "null"], minimum: 0, maximum: 3153600000, description: "Seconds, at most 100 years (and at most shares.max_days); 0: never."}
                        password: {type: [string, "null"], minLength: 6, maxLength: 256, description: "Visitors must give it before the link shows anything (kept as an scrypt hash); no control characters."}
                        request: {oneOf: [{$ref: "#/components/schemas/FileRequest"}, {type: "null"}], description: "A file request instead of a link: people without an account drop files into the folder at path (a folder)."}
              responses:
                "201": {description: The link., content: {application/json: {schema: {$ref: "#/components/schemas/Share"}}}}
                "400": {description: "Expiry invalid or longer than the server allows (invalid_expiry, expiry_too_long), a password out of bounds (invalid_password), a file request of a file (invalid_path), with a bad title (invalid_title) or size cap (invalid_size).", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
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
                            excludedFolders: {type: [array, "null"], items: {type: string}, description: "The folders the device does not sync, as it last reported them."}
                "401": {$ref: "#/components/responses/Unauthorized"}
          /devices/current/excluded-folders:
            put:
              summary: The calling device reports the folders it does not sync (selective sync), shown in the dashboard.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [folders]
                      properties:
                        folders: {type: array, maxItems: 1000, items: {type: string}, description: "Paths relative to the top of the tree."}
              responses:
                "204": {description: Recorded.}
                "400": {description: "A path the API would refuse (invalid_path), more than 1,000 folders, or a caller that is no device (not_a_device).", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
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
                          usedBytes: {type: integer, description: "What the user's current files take."}
                          quotaBytes: {type: [integer, "null"], description: "The most they may take; absent: no cap."}
                          maxShareSeconds: {type: [integer, "null"], description: "The longest a share link may live; absent: links may never expire."}
                "401": {$ref: "#/components/responses/Unauthorized"}
          /storage:
            get:
              summary: Where the bytes live, the origin of every presigned URL; daemons send transfers nowhere else.
              responses:
                "200":
                  description: The storage origin.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [origin]
                        properties:
                          origin: {type: string, description: "scheme://host[:port] of the S3 endpoint the presigned URLs use."}
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
                          userCode: {type: string, example: BCDFG-HJKLM, description: "10 consonants in two halves, about 43 bits."}
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
                          email: {type: string, description: "The account that approved the device, for syncd login to show."}
                "400":
                  description: >
                    Not yet or never: code authorization_pending (poll again), slow_down (poll less
                    often), expired_token or access_denied (start again).
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Error"}
                "429": {description: Too many requests from this address.}
          /shares/{id}/events:
            get:
              summary: What happened to one of the caller's links (views, downloads, wrong passwords), newest first; the newest 1,000 are kept. 404 once the link is revoked.
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
                - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000, default: 100}}
              responses:
                "200":
                  description: Events.
                  content:
                    application/json:
                      schema:
                        type: array
                        items:
                          type: object
                          required: [at, kind]
                          properties: {at: {type: number}, kind: {type: string, enum: [view, download, wrong_password, upload]}}
                "400": {description: limit out of range., content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
          /shares/{id}:
            delete:
              summary: "Revoke a share link (it stays listed, with its counts); with remove=true, take it off the list too."
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
                - {name: remove, in: query, required: false, schema: {type: boolean}}
              responses:
                "204": {description: Revoked (or removed).}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
        """#
}
