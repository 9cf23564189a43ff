/// Text for the terminal: names come from other devices and from the server, and a name
/// holding ESC or another control character must not drive the terminal it is shown on. Control
/// characters (C0 but the newlines this program writes, DEL, C1) are shown as `\u{1B}`.
public func displayed(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        if scalar != "\n", scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
            out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        } else {
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}
