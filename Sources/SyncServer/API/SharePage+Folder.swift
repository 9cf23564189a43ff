import Foundation
import SyncAPI

/// The public page of a folder's link: its items a page at a time (folders first, then by name),
/// each with its type icon and size; a folder opens its own page, a file its file page (preview,
/// download); the whole folder downloads as one zip. No script, like the file page.
extension SharePage {
    struct FolderItem {
        var name: String
        var isFolder: Bool
        var size: Int64
        /// The item's path inside the shared folder.
        var relative: String
    }

    /// A path inside the shared folder as a query value (every byte but letters, digits and
    /// `-._~/` percent-encoded).
    static func query(_ relative: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~/")
        return relative.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    static func folderHTML(token: String, folderName: String, relative: String, items: [FolderItem], next: String?) -> String {
        let base = "/s/\(token)"
        var crumbs = "<a href=\"\(HTMLPage.escape(base))\" id=\"crumb-root\">\(HTMLPage.escape(folderName))</a>"
        var walked: [Substring] = []
        for name in relative.split(separator: "/") {
            walked.append(name)
            let href = base + "?path=" + query(walked.joined(separator: "/"))
            crumbs += " / <a href=\"\(HTMLPage.escape(href))\">\(HTMLPage.escape(String(name)))</a>"
        }
        let rows = items.map { item -> String in
            let category = FileCategory(name: item.name, isFolder: item.isFolder)
            let open = item.isFolder ? base + "?path=" + query(item.relative) : base + "/file?path=" + query(item.relative)
            let download =
                item.isFolder
                ? "" : "<a class=\"button small\" href=\"\(HTMLPage.escape(base + "/download?path=" + query(item.relative)))\" download>Download</a>"
            return """
                <tr class="item" data-path="\(HTMLPage.escape(item.relative))"><td class="name"><img class="icon" alt="\(category.rawValue)" \
                src="/static/icons/\(category.rawValue).svg"><a href="\(HTMLPage.escape(open))">\(HTMLPage.escape(item.name))</a></td>\
                <td class="size">\(item.isFolder ? "" : ByteCount.human(item.size))</td><td>\(download)</td></tr>
                """
        }
        let more =
            next.map {
                let href = base + "?path=" + query(relative) + "&after=" + query($0)
                return "<p><a class=\"button\" id=\"next-page\" href=\"\(HTMLPage.escape(href))\">More</a></p>"
            } ?? ""
        let title = relative.isEmpty ? folderName : String(relative.split(separator: "/").last ?? "")
        return """
            \(head(title: title))
            <body class="share-page"><main class="shared-folder">
            <div class="shared-head"><img class="icon" alt="folder" src="/static/icons/folder.svg">
            <div><div class="name" id="shared-name">\(HTMLPage.escape(folderName))</div><nav class="muted" id="crumbs">\(crumbs)</nav></div></div>
            <p><a class="button primary" id="shared-zip" href="\(HTMLPage.escape(base + "/zip"))" download>Download all (zip)</a></p>
            \(rows.isEmpty ? "<p class=\"muted empty\">This folder is empty.</p>" : "<table class=\"files\"><tbody>\(rows.joined())</tbody></table>")
            \(more)
            <p class="muted small">Shared with syncd. The link may expire or be revoked by its owner.</p>
            </main></body></html>
            """
    }
}
