extension OpenAPIDocument {
    /// The tree: listing, folders, moves, trash, versions, downloads and the change feed.
    static let filePaths = #"""
          /files:
            get:
              summary: "The caller's whole tree and the change-feed cursor it is current to, for trees of at most 50,000 items (larger ones: 400 too_many_items; read /tree a page at a time)."
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
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
          /folder:
            get:
              summary: "One folder's items, a page at a time: folders first, then by name without case."
              parameters:
                - {name: path, in: query, description: "The folder; absent or empty: the top.", schema: {type: string}}
                - {name: after, in: query, description: "The previous page's `next`.", schema: {type: string}}
                - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000, default: 200}}
              responses:
                "200": {description: A page., content: {application/json: {schema: {$ref: "#/components/schemas/ItemPage"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
          /tree:
            get:
              summary: "The whole tree a page at a time, in id order (for daemons): every item is on exactly one page however it moves; apply to each item the feed's changes after its page's cursor, from the first page's cursor on, and the tree is exact."
              parameters:
                - {name: after, in: query, description: "The previous page's `next`.", schema: {type: string}}
                - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000, default: 1000}}
              responses:
                "200": {description: A page., content: {application/json: {schema: {$ref: "#/components/schemas/ItemPage"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
          /search:
            get:
              summary: "Items whose name starts with (prefix) or contains (contains, the default) the query, without case, by name, a page at a time."
              parameters:
                - {name: q, in: query, required: true, schema: {type: string, minLength: 1, maxLength: 255}}
                - {name: match, in: query, schema: {type: string, enum: [prefix, contains], default: contains}}
                - {name: after, in: query, description: "The previous page's `next`.", schema: {type: string}}
                - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000, default: 200}}
              responses:
                "200": {description: A page., content: {application/json: {schema: {$ref: "#/components/schemas/ItemPage"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
          /folders:
            post:
              summary: Create a folder (its parent must exist; an existing folder is returned as is).
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {type: object, required: [path], properties: {path: {$ref: "#/components/schemas/Path"}}}
              responses:
                "201": {description: The folder., content: {application/json: {schema: {$ref: "#/components/schemas/File"}}}}
                "400": {description: "Invalid path (a name over 255 bytes, a path over 4,096) or missing parent folder.", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
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
                      properties: {from: {type: string}, to: {$ref: "#/components/schemas/Path"}, revision: {type: integer}}
              responses:
                "200": {description: The moved item., content: {application/json: {schema: {$ref: "#/components/schemas/File"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
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
                          properties: {id: {type: string}, path: {type: string}, kind: {type: string}, size: {type: integer}, trashedAt: {type: number}, category: {type: string, description: "The dashboard's icon, by name."}}
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
                "400": {$ref: "#/components/responses/BadRequest"}
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
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "409": {$ref: "#/components/responses/Conflict"}
                "507": {$ref: "#/components/responses/QuotaExceeded"}
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
                "400": {$ref: "#/components/responses/BadRequest"}
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
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "409": {$ref: "#/components/responses/Conflict"}
                "507": {$ref: "#/components/responses/QuotaExceeded"}
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
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
          /preview:
            get:
              summary: A presigned GET that shows the file inline (15 minutes), for images, PDF, plain text, audio and video; SVG, HTML and other types only download.
              parameters:
                - {name: path, in: query, required: true, schema: {type: string}}
              responses:
                "200":
                  description: The URL, and the type S3 will answer with (text is always text/plain).
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [category, url, contentType, expiresAt]
                        properties: {category: {type: string, enum: [image, pdf, video, audio, text]}, url: {type: string}, contentType: {type: string}, expiresAt: {type: number}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "415": {description: "This kind of file has no preview: download it.", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
          /changes:
            get:
              summary: >
                Changes after a cursor, oldest first; with `wait`, an empty answer waits up to that
                many seconds (at most 60) for the next change. A user may have at most 8 such waiting
                long-polls at once; one more is answered 429 at once (poll again after one answered).
              parameters:
                - {name: after, in: query, schema: {type: integer, default: 0, minimum: 0, maximum: 9223372036854775807}}
                - {name: limit, in: query, schema: {type: integer, default: 1000, minimum: 1, maximum: 5000}}
                - {name: wait, in: query, schema: {type: number, default: 0, minimum: 0, maximum: 60}, description: "Seconds; a finite number."}
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
                              properties:
                                seq: {type: integer}
                                deleted: {type: boolean, description: "The item went to the trash; a folder with everything inside it (one entry)."}
                                file: {$ref: "#/components/schemas/File"}
                                movedFrom: {type: string, description: "A folder's move: where it was. Everything inside it moved with it (no entries of their own)."}
                          cursor: {type: integer}
                "400": {description: "after, limit or wait is not a number in its range (code invalid_parameter).", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "429": {description: "The user already has 8 long-polls waiting (code too_many_long_polls).", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        """#
}
