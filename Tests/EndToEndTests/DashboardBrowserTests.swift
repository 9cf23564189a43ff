import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import S3Client
import SyncAPI
import SyncDaemon
import Testing

/// The dashboard in a real browser: headless Chromium through chromedriver, against the real
/// syncd-server process, the real SeaweedFS (browser uploads go straight to it) and the real
/// OIDC provider. Screenshots are saved under `.build/screenshots/`.
@Suite(.serialized, .timeLimit(.minutes(8))) struct DashboardBrowserTests {
    @Test func signInUploadShareRevokeTrashRestoreAndSignOut() async throws {
        try await DashboardWorld.with("dashboard") { world, browser in
            try await world.signIn(browser)
            let token = world.token

            // A folder, then two files into it: one small, one of 24 MiB (multipart).
            try await browser.click("#new-folder")
            try await (try await browser.waitFor("#folder-dialog input")).type("Holiday photos")
            try await browser.click("#folder-dialog button[data-action=ok]")
            #expect(try await browser.waitForRead("img.icon", inRow: "Holiday photos", attribute: "data-category") == "folder")
            try await browser.click("a.name", inRow: "Holiday photos")
            try await waitUntil("the folder is open") { try await browser.currentURL().hasSuffix("#/files/Holiday%20photos") }

            let notes = Data("Packing list\n- tent\n- <b>boots</b>\n".utf8)
            var big = Data(count: 24 << 20)
            big.withUnsafeMutableBytes { bytes in
                for i in stride(from: 0, to: bytes.count, by: 4096) { bytes[i] = UInt8(truncatingIfNeeded: i / 4096 &* 31) }
            }
            let local = try world.localFiles(["notes.txt": notes, "beach video.mp4": big, "sunset.png": Self.onePixelPNG])
            try await browser.pickFiles(local)
            for name in ["notes.txt", "beach video.mp4", "sunset.png"] {
                try await world.waitForUpload(browser, "Holiday photos/" + name)
            }

            // Drag and drop: a file dropped on the page goes up like a picked one.
            _ = try await browser.execute(
                """
                const data = new DataTransfer();
                data.items.add(new File(['dropped on the page'], 'dropped.txt', { type: 'text/plain' }));
                document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
                """
            )
            try await world.waitForUpload(browser, "Holiday photos/dropped.txt")
            #expect(try await world.world.serverFiles(token)["Holiday photos/dropped.txt"]?.sha256 == identityHex(Data("dropped on the page".utf8)))
            try await browser.click("button[data-action=delete]", inRow: "Holiday photos/dropped.txt")
            try await browser.click("#delete-dialog button[data-action=ok]")
            try await waitUntil("the dropped file is in the trash") { try await browser.row("Holiday photos/dropped.txt") == nil }

            // Listed with the right icons and sizes; the server holds the same bytes.
            for (name, data, category) in [("notes.txt", notes, "text"), ("beach video.mp4", big, "video")] {
                let path = "Holiday photos/" + name
                #expect(try await browser.waitForRead("img.icon", inRow: path, attribute: "data-category") == category, "\(name)")
                #expect(try await browser.read("td.size", inRow: path) == ByteCount.human(Int64(data.count)), "\(name)")
                #expect(try await browser.read(".name", inRow: path) == name)
            }
            let files = try await world.world.serverFiles(token)
            let video = try #require(files["Holiday photos/beach video.mp4"])
            #expect(video.sha256 == identityHex(big), "the browser's block hash is the file's identity")
            #expect(files["Holiday photos/notes.txt"]?.sha256 == identityHex(notes))
            let object = try await world.world.s3.headObject(bucket: world.world.bucket, key: "u/\(world.userId)/\(video.sha256!)")
            #expect(object.serverSideEncryption == .aes256)
            #expect(
                object.etag?.trimmingCharacters(in: ["\""]).hasSuffix("-3") == true,
                "24 MiB went up as a multipart upload of three 8 MiB blocks: \(object.etag ?? "")"
            )
            #expect(try await browser.findAll("li.upload[data-state=failed]").isEmpty)

            // Download: the file the browser saves is byte for byte the one uploaded.
            try await browser.click("button[data-action=download]", inRow: "Holiday photos/beach video.mp4")
            let saved = world.downloads + "/beach video.mp4"
            try await waitUntil("the download finishes", timeout: .seconds(60)) {
                FileManager.default.fileExists(atPath: saved) && !FileManager.default.fileExists(atPath: saved + ".crdownload")
                    && (try? Data(contentsOf: URL(fileURLWithPath: saved)).count) == big.count
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: saved)) == big)
            try await browser.screenshot(to: world.screenshots + "/dashboard.png")

            // Sorted by size (35 bytes, 70 bytes, 24 MiB), both ways.
            try await browser.click("button[data-sort=size]")
            #expect(
                try await world.listedPaths(browser) == ["Holiday photos/notes.txt", "Holiday photos/sunset.png", "Holiday photos/beach video.mp4"]
            )
            try await browser.click("button[data-sort=size]")
            #expect(
                try await world.listedPaths(browser) == ["Holiday photos/beach video.mp4", "Holiday photos/sunset.png", "Holiday photos/notes.txt"]
            )

            // Previews in the page, from short-lived URLs on the bucket's origin.
            try await browser.click(".name", inRow: "Holiday photos/sunset.png")
            _ = try await browser.waitFor("#preview-dialog img.preview")
            try await waitUntil("the image preview loads") {
                try await browser.execute("return document.querySelector('#preview-dialog img.preview').naturalWidth;") as? Int == 1
            }
            try await browser.click("#preview-dialog button[data-action=close]")
            try await browser.click(".name", inRow: "Holiday photos/notes.txt")
            try await waitUntil("the text preview loads") {
                try await browser.waitFor("#preview-dialog pre.preview").text() == notes.trimmingSuffixNewlines
            }
            try await browser.click("#preview-dialog button[data-action=close]")

            // A second upload of notes.txt is a new version; the versions dialog restores the first.
            let edited = Data("Packing list\n- tent\n- snorkel\n".utf8)
            try await browser.pickFiles(try world.localFiles(["notes.txt": edited]))
            try await world.waitForUpload(browser, "Holiday photos/notes.txt")
            #expect(try await world.world.serverFiles(token)["Holiday photos/notes.txt"]?.sha256 == identityHex(edited))
            try await browser.click("button[data-action=versions]", inRow: "Holiday photos/notes.txt")
            _ = try await browser.waitFor("#versions-dialog")
            #expect(try await browser.findAll("#versions-dialog tr").count == 2)
            try await browser.click("#versions-dialog button[data-action=restore]")
            try await waitUntil("the first version is back") {
                try await world.world.serverFiles(token)["Holiday photos/notes.txt"]?.sha256 == identityHex(notes)
            }

            // Share: a link in the dialog, opened by a stranger in a fresh browser.
            try await browser.click("button[data-action=share]", inRow: "Holiday photos/notes.txt")
            let dialog = try await browser.waitFor("#share-dialog")
            #expect(try await browser.find("#share-expiry").property("value") == "604800", "7 days unless chosen otherwise")
            let choices = try await browser.findAll("#share-expiry option")
            var labels: [String] = []
            for choice in choices { labels.append(try await choice.text()) }
            #expect(labels == ["1 day", "7 days", "30 days", "Never"])
            try await dialog.find("button[data-action=create-link]").click()
            let linkField = try await browser.waitFor("#share-links input.link-url")
            let link = try #require(try await linkField.property("value"))
            #expect(link.hasPrefix(world.world.serverURL + "/s/"))
            #expect(try await browser.find("#share-links .share-meta").text().contains("expires"))
            try await browser.screenshot(to: world.screenshots + "/share-dialog.png")

            let stranger = try await world.driver.session(downloads: world.downloads + "-stranger")
            try await stranger.open(link)
            #expect(try await stranger.waitFor("#shared-name").text() == "notes.txt")
            #expect(try await stranger.find("#shared-size").text() == ByteCount.human(Int64(notes.count)))
            #expect(try await stranger.find("img.icon").attribute("src") == "/static/icons/text.svg")
            #expect(try await stranger.find("pre.preview").text().contains("- <b>boots</b>"), "the text preview shows the text, as text")
            try await stranger.screenshot(to: world.screenshots + "/share-page.png")
            let strangerErrors = try await stranger.consoleEntries()
            #expect(strangerErrors.isEmpty, "\(strangerErrors)")

            // Revoke: the link no longer opens.
            try await dialog.find("button[data-action=revoke]").click()
            try await waitUntil("the link is gone from the dialog") { try await browser.findAll("#share-links input.link-url").isEmpty }
            try await stranger.open(link)
            #expect(try await stranger.waitFor("h1").text() == "Link not available")
            let refused = try await HTTPClient.shared.execute(HTTPClientRequest(url: link), timeout: .seconds(10))
            #expect(refused.status.code == 404)
            try await browser.click("#share-dialog button[data-action=close]")

            // Delete to the trash, restore from it.
            try await browser.click("button[data-action=delete]", inRow: "Holiday photos/notes.txt")
            try await browser.click("#delete-dialog button[data-action=ok]")
            try await waitUntil("the file leaves the listing") { try await browser.row("Holiday photos/notes.txt") == nil }
            #expect(try await world.world.serverFiles(token)["Holiday photos/notes.txt"] == nil)
            try await browser.click("#tabs a[href='#/trash']")
            #expect(try await browser.waitForRead("img.icon", inRow: "Holiday photos/notes.txt", attribute: "data-category") == "text")
            try await browser.click("button[data-action=restore]", inRow: "Holiday photos/notes.txt")
            try await waitUntil("the trash is empty") { try await browser.row("Holiday photos/notes.txt") == nil }
            try await browser.open(world.world.serverURL + "/#/files/Holiday%20photos")
            _ = try await browser.waitForRead(".name", inRow: "Holiday photos/notes.txt")
            #expect(try await world.world.serverFiles(token)["Holiday photos/notes.txt"]?.sha256 == identityHex(notes))

            // Devices: the list, and revoking one shuts it out at once.
            // The laptop keeps two folders off its disk (selective sync); a name that is markup
            // shows as text.
            let laptop = try await world.world.issueToken(device: "old laptop")
            let excluded = ["Archive", "<img src=x onerror=document.title='pwned'>"]
            try await world.world.api(laptop).call("PUT", "/devices/current/excluded-folders", ExcludedFoldersReport(folders: excluded))
            try await browser.click("#tabs a[href='#/devices']")
            let devices: [DeviceInfo] = try await world.world.api(token).get("/devices")
            let laptopId = try #require(devices.first { $0.name == "old laptop" }?.id)
            #expect(try await browser.waitForRead("tr[data-device='\(laptopId)'] td.name div") == "old laptop")
            #expect(
                try await browser.waitForRead("tr[data-device='\(laptopId)'] .excluded") == "Not synced here: " + excluded.joined(separator: ", ")
            )
            #expect(try await browser.read("title") != "pwned")
            try await browser.screenshot(to: world.screenshots + "/devices-excluded-folders.png")
            try await browser.click("tr[data-device='\(laptopId)'] button[data-action=revoke]")
            try await browser.click("#revoke-dialog button[data-action=ok]")
            try await waitUntil("the server refuses the revoked laptop") {
                let answer = try await HTTPClient.shared.execute(
                    {
                        var request = HTTPClientRequest(url: world.world.serverURL + "/api/v1/session")
                        request.headers.add(name: "Authorization", value: "Bearer " + laptop)
                        return request
                    }(),
                    timeout: .seconds(10)
                )
                return answer.status.code == 401
            }

            // Sign out: back to the sign-in page, and the dashboard is closed to this browser.
            #expect(try await browser.read("body")?.contains("null") == false, "nothing absent shows as \"null\"")
            let consoleErrors = try await browser.consoleEntries()
            #expect(consoleErrors.isEmpty, "\(consoleErrors)")
            try await browser.click("#sign-out")
            _ = try await browser.waitFor("#sign-in")
            try await browser.open(world.world.serverURL + "/")
            _ = try await browser.waitFor("#sign-in")
            #expect(try await browser.findAll("#view").isEmpty)
        }
    }
    /// Names that would run script if put into HTML or a script are listed, shared and deleted
    /// with nothing run: the test fails on any alert or console error. A name with `/` is a
    /// path in the tree (folders), as on every POSIX system; `x\');alert(1);//.txt` has an
    /// empty component, so the server refuses it, and the refusal is shown as text too.
    @Test func hostileNamesAreListedSharedAndDeletedWithNoScriptRun() async throws {
        try await DashboardWorld.with("xss") { world, browser in
            try await world.signIn(browser)
            func noScriptRan(_ step: String) async throws {
                let alert = try await browser.openAlert()
                #expect(alert == nil, "an alert opened after \(step): \(alert ?? "")")
                let errors = try await browser.consoleEntries()
                #expect(errors.isEmpty, "console errors after \(step): \(errors)")
            }

            // One arrives as a real file through the file picker; the others are uploaded as
            // plain files and renamed to their names in the dashboard's own rename dialog.
            let imgName = "<img src=x onerror=alert(1)>.png"
            let local = try world.localFiles([
                imgName: Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]), "one.txt": Data("one".utf8), "two.txt": Data("two".utf8),
            ])
            _ = try await browser.waitFor("#file-input")
            try await browser.pickFiles(local)
            for name in [imgName, "one.txt", "two.txt"] { try await world.waitForUpload(browser, name) }
            try await noScriptRan("uploading")

            let scriptPath = "\"><script>alert(1)</script>"
            let quotePath = "x\\');alert(1);/.txt"
            for (from, to) in [("one.txt", scriptPath), ("two.txt", quotePath)] {
                try await browser.click("button[data-action=rename]", inRow: from)
                let input = try await browser.waitFor("#rename-dialog input")
                try await input.clear()
                try await input.type(to)
                try await browser.click("#rename-dialog button[data-action=ok]")
                do {
                    try await waitUntil("\(from) is renamed") { try await browser.row(from) == nil }
                } catch {
                    throw HarnessError("\(error); the dashboard says: \(try await browser.read("#message") ?? "")")
                }
            }
            try await noScriptRan("renaming")
            // The exact name with `//` is not a path: refused, and the refusal is text.
            try await browser.click("button[data-action=rename]", inRow: imgName)
            let input = try await browser.waitFor("#rename-dialog input")
            try await input.clear()
            try await input.type("x\\');alert(1);//.txt")
            try await browser.click("#rename-dialog button[data-action=ok]")
            try await waitUntil("the refusal is shown") { (try await browser.read("#message") ?? "").contains("not a valid path") }
            #expect((try await browser.read("#message") ?? "").contains(");alert(1);//.txt\""), "the name is shown as text")
            #expect(try await browser.openAlert() == nil)
            // Chromium logs the refused request itself (a 400) as a console error: that one is
            // the expected outcome; anything else is not.
            let refusal = try await browser.consoleEntries()
            #expect(refusal.count == 1 && refusal.allSatisfy { $0.contains("/api/v1/move") && $0.contains("400") }, "\(refusal)")

            // Listed: the folders the paths imply, then each file by its exact name.
            let files = try await world.world.serverFiles(world.token).values.filter { $0.kind == .file }.map(\.path)
            #expect(Set(files) == [imgName, scriptPath, quotePath], "\(files.sorted())")
            #expect(try await browser.waitForRead(".name", inRow: imgName) == imgName)
            #expect(try await browser.waitForRead(".name", inRow: "\"><script>alert(1)<") == "\"><script>alert(1)<")
            #expect(try await browser.waitForRead(".name", inRow: "x\\');alert(1);") == "x\\');alert(1);")
            try await browser.click("a.name", inRow: "\"><script>alert(1)<")
            #expect(try await browser.waitForRead(".name", inRow: scriptPath) == "script>")
            try await world.showFolder(of: quotePath, in: browser)
            #expect(try await browser.waitForRead(".name", inRow: quotePath) == ".txt")
            // Search matches names, and shows whole paths.
            try await world.showFolder(of: imgName, in: browser)
            try await (try await browser.waitFor("#search")).type("alert")
            for path in [imgName, "\"><script>alert(1)<", "x\\');alert(1);"] { #expect(try await browser.waitForRead(".name", inRow: path) == path) }
            try await (try await browser.find("#search")).clear()
            try await noScriptRan("listing and searching")

            // Shared: the dialog, the link, the public page.
            for path in [imgName, scriptPath, quotePath] {
                try await world.showFolder(of: path, in: browser)
                try await browser.click("button[data-action=share]", inRow: path)
                #expect(try await browser.waitFor("#share-dialog h2").text() == "Share " + String(path.split(separator: "/").last!))
                try await browser.click("#share-dialog button[data-action=create-link]")
                let link = try #require(try await browser.waitFor("#share-links input.link-url").property("value"))
                try await browser.click("#share-dialog button[data-action=close]")
                let visitor = try await world.driver.session(downloads: world.downloads)
                try await visitor.open(link)
                #expect(try await visitor.waitFor("#shared-name").text() == String(path.split(separator: "/").last!))
                #expect(try await visitor.openAlert() == nil)
                let visitorErrors = try await visitor.consoleEntries()
                #expect(visitorErrors.isEmpty, "\(visitorErrors)")
            }
            try await browser.click("#tabs a[href='#/shares']")
            for path in [imgName, scriptPath, quotePath] { #expect(try await browser.waitForRead(".name", inRow: path) == path) }
            try await noScriptRan("sharing")

            // Deleted, and listed in the trash by name.
            for path in [imgName, scriptPath, quotePath] {
                try await world.showFolder(of: path, in: browser)
                try await browser.click("button[data-action=delete]", inRow: path)
                #expect(try await browser.waitFor("#delete-dialog h2").text().contains(String(path.split(separator: "/").last!)))
                try await browser.click("#delete-dialog button[data-action=ok]")
                try await waitUntil("\(path) leaves the listing") { try await browser.row(path) == nil }
            }
            #expect(try await world.world.serverFiles(world.token).values.filter { $0.kind == .file }.isEmpty)
            try await browser.click("#tabs a[href='#/trash']")
            for path in [imgName, scriptPath, quotePath] { #expect(try await browser.waitForRead(".name", inRow: path) == path) }
            #expect(try await browser.read("img.icon", inRow: imgName, attribute: "data-category") == "image")
            try await noScriptRan("deleting")
            try await browser.screenshot(to: world.screenshots + "/hostile-names-trash.png")
        }
    }

    /// The page hashes blocks with WebCrypto where it has it and with its own script where it
    /// does not; both must give the identity the daemon and the server compute, at every block
    /// boundary (empty, one byte, a block less one, one block, a block and one, 2½ blocks).
    @Test func theBrowsersBlockHashIsTheIdentityWithAndWithoutWebCrypto() async throws {
        try await DashboardWorld.with("hash") { world, browser in
            try await browser.open(world.world.serverURL + "/")
            _ = try await browser.waitFor("#sign-in")
            let block = 8 << 20
            let sizes = [0, 1, block - 1, block, block + 1, (20 << 20) + 7]
            let answer = try await browser.execute(
                """
                const sizes = arguments[0];
                return (async () => {
                  const { contentIdentityOfBlob, scriptDigest, webCryptoDigest } = await import('/static/hash.js');
                  const out = [];
                  for (const size of sizes) {
                    const bytes = new Uint8Array(size);
                    for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >>> 13)) & 255;
                    const blob = new Blob([bytes]);
                    const fast = await contentIdentityOfBlob(blob, null, webCryptoDigest);
                    const script = await contentIdentityOfBlob(blob, null, scriptDigest);
                    out.push([fast.identity, script.identity, fast.blocks.join(' '), script.blocks.join(' ')]);
                  }
                  return { webCrypto: !!(globalThis.isSecureContext && globalThis.crypto?.subtle), results: out };
                })();
                """,
                [sizes]
            )
            let result = try #require(answer as? [String: Any])
            #expect(result["webCrypto"] as? Bool == true, "a page on loopback is a secure context: the WebCrypto path was tested")
            let rows = try #require(result["results"] as? [[String]])
            try #require(rows.count == sizes.count)
            for (size, row) in zip(sizes, rows) {
                let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                    for i in 0..<size { buffer[i] = UInt8(truncatingIfNeeded: i &* 31 &+ (i >> 13)) }
                    count = size
                }
                let identity = identityHex(Data(bytes))
                #expect(row[0] == identity, "WebCrypto, \(size) bytes")
                #expect(row[1] == identity, "the script's SHA-256, \(size) bytes")
                #expect(row[2] == row[3], "the block digests the parts are signed with, \(size) bytes")
                #expect(row[2].split(separator: " ").count == ContentIdentity.blockCount(forFileSize: Int64(size)))
            }
        }
    }

    /// A server whose links live at most 7 days offers only what fits, and so does its API.
    @Test func shareExpiryChoicesFollowTheServersLimit() async throws {
        try await DashboardWorld.with("share-limit", serverSettings: ["SYNCD_SHARES_MAX_DAYS": "7"]) { world, browser in
            try await world.signIn(browser)
            try await browser.pickFiles(try world.localFiles(["report.pdf": Data("%PDF-1.4 not really".utf8)]))
            try await world.waitForUpload(browser, "report.pdf")
            try await browser.click("button[data-action=share]", inRow: "report.pdf")
            _ = try await browser.waitFor("#share-dialog")
            var labels: [String] = []
            for choice in try await browser.findAll("#share-expiry option") { labels.append(try await choice.text()) }
            #expect(labels == ["1 day", "7 days"], "no 30 days, no never")
            #expect(try await browser.find("#share-expiry").property("value") == "604800")
            try await browser.click("#share-dialog button[data-action=create-link]")
            _ = try await browser.waitFor("#share-links input.link-url")
            let shares: [ShareInfo] = try await world.world.api(world.token).get("/shares")
            let share = try #require(shares.first)
            let lifetime = try #require(share.expiresAt) - share.createdAt
            #expect(abs(lifetime - 7 * 86_400) < 5, "\(lifetime) s")
            let session: SessionInfo = try await world.world.api(world.token).get("/session")
            let week: Int64 = 7 * 86_400
            #expect(session.maxShareSeconds == week)
        }
    }
}
