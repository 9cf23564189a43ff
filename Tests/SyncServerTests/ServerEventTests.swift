import Foundation
import Logging
import Testing

@testable import SyncServer

/// The server's journald events are explained by the catalog the packages install.
struct ServerEventTests {
    @Test func everyEventHasACatalogEntryAndItsOwnID() throws {
        let catalog = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("systemd/syncd.catalog")
        let text = try String(contentsOf: catalog, encoding: .utf8)
        for event in ServerEvent.allCases {
            #expect(text.contains("-- \(event.messageId)\nSubject: syncd-server"), "\(event) has no entry in systemd/syncd.catalog")
            #expect(event.messageId.count == 32 && event.messageId.allSatisfy(\.isHexDigit))
            let fields = event.metadata(["version": "1.2.3"])
            #expect(fields["message_id"] == "\(event.messageId)" && fields["event"] == "\(event.rawValue)" && fields["version"] == "1.2.3")
        }
        #expect(Set(ServerEvent.allCases.map(\.messageId)).count == ServerEvent.allCases.count, "MESSAGE_IDs are unique")
    }
}
