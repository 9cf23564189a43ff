extension OpenAPIDocument {
    /// Uploads: begin, batches, parts, completion and abort.
    static let uploadPaths = #"""
          /uploads:
            post:
              summary: Begin an upload. `stored` means the content is already there and the revision is recorded; `single` (a file of at most one 8 MiB block) gives a presigned PUT with the block's SHA-256 signed in; `multipart` (one part per block) asks for part URLs next.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [path, size, sha256]
                      properties:
                        path: {$ref: "#/components/schemas/Path"}
                        size: {type: integer, minimum: 0, maximum: 5497558138880, description: "Bytes; at most 5 TiB, S3's object limit."}
                        sha256: {type: string, pattern: "^[0-9a-fA-F]{64}$", description: "The content identity (block hash): SHA-256 of the concatenated SHA-256 digests of the file's blocks (8 MiB, doubled until at most 10,000 blocks); the empty file's is the SHA-256 of nothing. The server accepts the upload only if the bytes S3 verified have it."}
                        contentType: {type: string, maxLength: 255, pattern: "^[ -~]*$"}
                        baseRevision: {type: [integer, "null"]}
                        blockSha256: {type: string, pattern: "^[A-Za-z0-9+/]{43}=$", description: "Base64 SHA-256 of the bytes of a file of at most one block (required for `single`); its SHA-256 must be sha256 (for the empty file, it is sha256 itself)."}
                        seenCursor: {type: integer, format: int64, minimum: 0, description: "For a new item: the change-feed cursor the client's view of the path is from. When anything happened at the path after it, stored content is not recorded at begin (a begin held up on the way must not bring back what the client moved or deleted since); the bytes are sent and complete decides."}
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
                "400": {description: "Invalid path, size, sha256, contentType or seenCursor; `missing_block_sha256`; `content_mismatch` (blockSha256 does not give sha256).", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "409": {$ref: "#/components/responses/Conflict"}
                "423": {description: "`content_migrating`: the hash still names content from before block hashes, which the collector has not moved yet; try again later.", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
                "507": {$ref: "#/components/responses/QuotaExceeded"}
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
                "413": {$ref: "#/components/responses/TooLarge"}
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
                "413": {$ref: "#/components/responses/TooLarge"}
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
                                checksumSHA256: {type: [string, "null"], description: "Base64 SHA-256 the part was verified against on arrival."}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
            post:
              summary: Presigned PUT URLs for parts of a multipart upload (part N is block N); each part's base64 SHA-256 is signed in. The first digest asked for a part number is the only one ever signed for it.
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [partNumbers, sha256]
                      properties:
                        partNumbers: {type: array, minItems: 1, maxItems: 10000, items: {type: integer, minimum: 1, maximum: 10000}, description: "Within the upload's part count."}
                        sha256: {type: object, additionalProperties: {type: string, pattern: "^[A-Za-z0-9+/]{43}=$"}, description: "Base64 SHA-256 of each part's block, by part number."}
                        checksums: {type: object, additionalProperties: {type: string}, description: "Ignored (CRC32C, before parts carried SHA-256)."}
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
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "409": {description: "`checksum_conflict`: the part was signed with another SHA-256 before.", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
                "413": {$ref: "#/components/responses/TooLarge"}
          /uploads/{id}/complete:
            post:
              summary: Finish an upload. A multipart upload is completed only if the parts S3 holds are the file's blocks and their signed SHA-256 digests give the declared identity (else it is aborted, `content_mismatch`); the object is then checked (size, SSE-S3, stored SHA-256) before the revision is recorded. The parts listed here are not trusted. An upload of a new item (no baseRevision) makes it only if nothing happened at its path since the upload began (else 409, current absent), so a complete that arrives late never makes a second item.
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              requestBody:
                required: true
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
                            required: [partNumber, etag]
                            properties: {partNumber: {type: integer}, etag: {type: string}, checksumCRC32C: {type: string}, checksumSHA256: {type: string}}
              responses:
                "200": {description: The new revision., content: {application/json: {schema: {$ref: "#/components/schemas/File"}}}}
                "400": {description: "The object is missing or not as declared: `incomplete_upload` (parts missing), `content_mismatch` (not the declared content; the upload is aborted), `bad_object`.", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "409": {$ref: "#/components/responses/Conflict"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "507": {$ref: "#/components/responses/QuotaExceeded"}
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
