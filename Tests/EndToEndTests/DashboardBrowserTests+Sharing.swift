import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SyncAPI
import SyncDaemon
import Testing

/// Password-protected links and folder links in the browser (part of the serialized browser suite).
extension DashboardBrowserTests {
    /// The owner makes a link with a password in the share dialog; a stranger in a fresh browser
    /// sees only the password form, is turned away by a wrong password with nothing shown of the
    /// file, gets in with the right one and downloads the file; the owner sees the visits.
    @Test func aPasswordLinkAsksFirstAndShowsNothingBefore() async throws {
        try await DashboardWorld.with("password-link") { world, browser in
            try await world.signIn(browser)
            let content = Data("quarterly numbers, not for everyone\n".utf8)
            try await browser.pickFiles(try world.localFiles(["numbers.txt": content]))
            try await world.waitForUpload(browser, "numbers.txt")
            try await browser.click("button[data-action=share]", inRow: "numbers.txt")
            let dialog = try await browser.waitFor("#share-dialog")
            try await (try await browser.find("#share-password")).type("open sesame")
            try await dialog.find("button[data-action=create-link]").click()
            let link = try #require(try await browser.waitFor("#share-links input.link-url").property("value"))
            #expect(try await browser.find("#share-links .share-meta").text().hasPrefix("password"))
            try await browser.screenshot(to: world.screenshots + "/share-dialog-password.png")

            let stranger = try await world.driver.session(downloads: world.downloads + "-stranger")
            try await stranger.open(link)
            #expect(try await stranger.waitFor("h1").text() == "This link is protected")
            func showsNothingOfTheFile(_ step: String) async throws {
                let source = try await stranger.execute("return document.documentElement.outerHTML;") as? String ?? ""
                #expect(!source.contains("numbers") && !source.contains("quarterly") && !source.contains("/download"), "\(step)")
                #expect(try await stranger.findAll("#shared-name").isEmpty, "\(step)")
            }
            try await showsNothingOfTheFile("the form")
            try await stranger.screenshot(to: world.screenshots + "/share-password-form.png")

            try await (try await stranger.find("#link-password")).type("open says me\u{E007}")
            #expect(try await stranger.waitFor("#password-error").text() == "Wrong password.")
            try await showsNothingOfTheFile("a wrong password")
            try await stranger.screenshot(to: world.screenshots + "/share-password-wrong.png")

            try await (try await stranger.find("#link-password")).type("open sesame\u{E007}")
            #expect(try await stranger.waitFor("#shared-name").text() == "numbers.txt")
            #expect(try await stranger.find("pre.preview").text().contains("quarterly numbers"))
            try await stranger.screenshot(to: world.screenshots + "/share-password-open.png")
            let strangerErrors = try await stranger.consoleEntries()
            #expect(strangerErrors.allSatisfy { $0.contains("401") }, "only the wrong password's answer: \(strangerErrors)")

            // Without the browser's cookie, the download link leads back to the form.
            let bare = try await HTTPClient.shared.execute(HTTPClientRequest(url: link + "/download"), timeout: .seconds(10))
            let answer = String(buffer: try await bare.body.collect(upTo: 1 << 20))
            #expect(answer.contains("This link is protected") && !answer.contains("quarterly"))

            // The owner's activity view: one view, one wrong password (the download is not yet made).
            try await browser.click("#share-links button[data-action=activity]")
            _ = try await browser.waitFor("#share-events")
            var kinds: [String] = []
            for row in try await browser.findAll("#share-events li") { kinds.append(try await row.attribute("class") ?? "") }
            #expect(kinds == ["share-event view", "share-event wrong_password"])
            #expect(try await browser.find("#share-counts").text() == "1 view · 0 downloads", "the counts as they are now")
            try await browser.screenshot(to: world.screenshots + "/share-activity.png")
        }
    }

    /// A folder shared from the dashboard: a stranger's browser lists it, opens a file inside
    /// it with its preview, and finds the zip link; no script runs on these pages.
    @Test func aFolderLinkListsItsFilesInAFreshBrowser() async throws {
        try await DashboardWorld.with("folder-link") { world, browser in
            try await world.signIn(browser)
            let _: FileMetadata = try await world.world.api(world.token).post("/folders", CreateFolderRequest(path: "Album"))
            try await browser.open(world.world.serverURL + "/#/files/Album")
            _ = try await browser.waitFor("table.files")
            try await browser.pickFiles(try world.localFiles(["caption.txt": Data("sunset over the bay\n".utf8), "list.txt": Data("towels\n".utf8)]))
            try await world.waitForUpload(browser, "Album/caption.txt")
            try await world.waitForUpload(browser, "Album/list.txt")
            try await browser.open(world.world.serverURL + "/#/files/")
            try await browser.click("button[data-action=share]", inRow: "Album")
            let dialog = try await browser.waitFor("#share-dialog")
            try await dialog.find("button[data-action=create-link]").click()
            let link = try #require(try await browser.waitFor("#share-links input.link-url").property("value"))

            let stranger = try await world.driver.session(downloads: world.downloads + "-folder")
            try await stranger.open(link)
            #expect(try await stranger.waitFor("#shared-name").text() == "Album")
            try await waitUntil("both files are listed") {
                try await stranger.execute("return Array.from(document.querySelectorAll('tr.item')).map((row) => row.dataset.path);") as? [String]
                    == ["caption.txt", "list.txt"]
            }
            #expect(try await stranger.find("#shared-zip").attribute("href")?.hasSuffix("/zip") == true)
            try await stranger.screenshot(to: world.screenshots + "/share-folder.png")
            try await (try await stranger.find("tr.item[data-path='caption.txt'] td.name a")).click()
            #expect(try await stranger.waitFor("pre.preview").text().contains("sunset over the bay"))
            try await stranger.screenshot(to: world.screenshots + "/share-folder-file.png")
            let errors = try await stranger.consoleEntries()
            #expect(errors.isEmpty, "\(errors)")
        }
    }

    /// A file request made in the share dialog of a folder: a stranger in a fresh browser (no
    /// session) sees the title and nothing of the folder, sends a file, and the owner's device
    /// downloads it like any change; the owner's list counts it.
    @Test func aFileRequestTakesFilesFromAFreshBrowser() async throws {
        try await DashboardWorld.with("file-request") { world, browser in
            let laptop = try world.world.daemon("owner-laptop", token: world.token)
            try laptop.write("Inbox/private-plans.txt", "not for the uploader")
            try laptop.start()
            try await waitUntil("the laptop's folder is on the server") {
                try await world.world.serverFiles(world.token)["Inbox/private-plans.txt"] != nil
            }
            try await world.signIn(browser)
            try await browser.click("button[data-action=share]", inRow: "Inbox")
            let dialog = try await browser.waitFor("#share-dialog")
            try await (try await browser.find("#request-title")).type("Slides for Friday")
            try await (try await browser.find("#request-max-mb")).type("5")
            try await dialog.find("button[data-action=create-request]").click()
            let link = try #require(try await browser.waitFor("#share-links input.link-url").property("value"))
            #expect(link.contains("/r/"))
            #expect(try await browser.find("#share-links .share-request").text() == "File request: Slides for Friday")
            try await browser.screenshot(to: world.screenshots + "/file-request-dialog.png")

            let stranger = try await world.driver.session(downloads: world.downloads + "-request")
            try await stranger.open(link)
            #expect(try await stranger.waitFor("#request-title").text() == "Slides for Friday")
            let source = try await stranger.execute("return document.documentElement.outerHTML;") as? String ?? ""
            #expect(!source.contains("private-plans") && !source.contains("Inbox"), "the page shows nothing of the folder")
            let slides = Data("slide 1: the plan\n".utf8)
            try await stranger.pickFiles(try world.localFiles(["slides.txt": slides]), in: "#request-files")
            try await waitUntil("the stranger's file is sent") {
                try await stranger.findAll("#request-uploads li[data-state=done]").count == 1
            }
            #expect(try await stranger.find("#request-uploads .upload-status").text() == "sent")
            try await stranger.screenshot(to: world.screenshots + "/file-request-page.png")
            #expect(try await stranger.consoleEntries().isEmpty)

            try await waitUntil("the owner's laptop has the file", timeout: .seconds(60)) { laptop.read("Inbox/slides.txt") == "slide 1: the plan\n" }
            let shares: [ShareInfo] = try await world.world.api(world.token).get("/shares")
            #expect(shares.first { $0.request != nil }?.uploads == 1)
            await laptop.stop()
        }
    }
}
