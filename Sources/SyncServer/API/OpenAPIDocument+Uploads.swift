extension OpenAPIDocument {
    /// Uploads: begin, batches, parts, completion and abort.
    static let uploadPaths = #"""
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
            "507": {description: "The user's quota (limits.user_quota) has no room for this file.", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
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
    """#
}
