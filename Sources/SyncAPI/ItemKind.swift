/// What an item is, on the wire (`"file"`, `"folder"`) and in every tree.
public enum ItemKind: String, Sendable, Codable, Hashable, CaseIterable {
    case file
    case folder
}
