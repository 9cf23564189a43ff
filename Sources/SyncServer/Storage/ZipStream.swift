import Foundation

/// A zip archive written front to back, for a shared folder's download: nothing is seeked back
/// to, so it can go out as it is made. Entries are stored (no compression: photos and videos do
/// not shrink, and a server that deflates gigabytes is slow), each followed by a data descriptor
/// with its CRC-32 and sizes, since they are known only once its bytes went out. Every size and
/// offset is ZIP64, so folders and files past 4 GiB open in every unzip; names are UTF-8 (flag
/// bit 11). Only the central directory (a name and a few numbers per entry) is held until the end.
struct ZipStream {
    private struct Entry {
        var name: [UInt8]
        var isFolder: Bool
        var crc: UInt32
        var size: UInt64
        var offset: UInt64
        var dosTime: UInt16
        var dosDate: UInt16
    }

    private var entries: [Entry] = []
    /// Bytes written so far.
    private(set) var offset: UInt64 = 0
    private var current: (entry: Entry, crc: CRC32)?

    /// ZIP64 throughout (4.5), made on Unix (3) for the file modes.
    private static let versionNeeded: UInt16 = 45
    private static let versionMadeBy: UInt16 = 3 << 8 | 45
    /// A data descriptor follows the bytes (bit 3); names are UTF-8 (bit 11).
    private static let flags: UInt16 = 1 << 3 | 1 << 11

    /// The local header of a new entry; a folder's name ends with `/`. Call ``add(_:)`` with its
    /// bytes and ``finishEntry()`` after them.
    mutating func beginEntry(name: String, isFolder: Bool, modified: Double) -> [UInt8] {
        precondition(current == nil, "the last entry is not finished")
        let (time, date) = Self.dosTime(modified)
        let entry = Entry(name: Array(name.utf8), isFolder: isFolder, crc: 0, size: 0, offset: offset, dosTime: time, dosDate: date)
        var out: [UInt8] = []
        out.le32(0x0403_4b50)
        out.le16(Self.versionNeeded)
        out.le16(Self.flags)
        out.le16(0)  // stored
        out.le16(time)
        out.le16(date)
        out.le32(0)  // CRC-32: in the descriptor
        out.le32(0xFFFF_FFFF)  // sizes: in the ZIP64 extra and the descriptor
        out.le32(0xFFFF_FFFF)
        out.le16(UInt16(entry.name.count))
        out.le16(20)
        out += entry.name
        out.le16(0x0001)  // ZIP64 extra: sizes unknown yet
        out.le16(16)
        out.le64(0)
        out.le64(0)
        current = (entry, CRC32())
        offset += UInt64(out.count)
        return out
    }

    /// Counts bytes of the current entry as they go out.
    mutating func add(_ bytes: some Collection<UInt8>) {
        current!.crc.update(bytes)
        current!.entry.size += UInt64(bytes.count)
        offset += UInt64(bytes.count)
    }

    /// The data descriptor that ends the current entry.
    mutating func finishEntry() -> [UInt8] {
        var (entry, crc) = current!
        current = nil
        entry.crc = crc.value
        entries.append(entry)
        var out: [UInt8] = []
        out.le32(0x0807_4b50)
        out.le32(entry.crc)
        out.le64(entry.size)
        out.le64(entry.size)
        offset += UInt64(out.count)
        return out
    }

    /// The central directory and the end records.
    mutating func finish() -> [UInt8] {
        precondition(current == nil, "the last entry is not finished")
        let start = offset
        var out: [UInt8] = []
        for entry in entries {
            out.le32(0x0201_4b50)
            out.le16(Self.versionMadeBy)
            out.le16(Self.versionNeeded)
            out.le16(Self.flags)
            out.le16(0)
            out.le16(entry.dosTime)
            out.le16(entry.dosDate)
            out.le32(entry.crc)
            out.le32(0xFFFF_FFFF)
            out.le32(0xFFFF_FFFF)
            out.le16(UInt16(entry.name.count))
            out.le16(28)
            out.le16(0)  // comment
            out.le16(0)  // disk
            out.le16(0)  // internal attributes
            // Unix mode in the high half: rw-r--r-- files, rwxr-xr-x folders (and MS-DOS's folder bit).
            out.le32(entry.isFolder ? (0o40755 << 16 | 0x10) : 0o100644 << 16)
            out.le32(0xFFFF_FFFF)
            out += entry.name
            out.le16(0x0001)
            out.le16(24)
            out.le64(entry.size)
            out.le64(entry.size)
            out.le64(entry.offset)
        }
        let directorySize = UInt64(out.count)
        let endRecord = start + directorySize
        out.le32(0x0606_4b50)  // ZIP64 end of central directory
        out.le64(44)
        out.le16(Self.versionMadeBy)
        out.le16(Self.versionNeeded)
        out.le32(0)
        out.le32(0)
        out.le64(UInt64(entries.count))
        out.le64(UInt64(entries.count))
        out.le64(directorySize)
        out.le64(start)
        out.le32(0x0706_4b50)  // its locator
        out.le32(0)
        out.le64(endRecord)
        out.le32(1)
        out.le32(0x0605_4b50)  // the classic end record, its counts and places pointing to ZIP64
        out.le16(0)
        out.le16(0)
        out.le16(0xFFFF)
        out.le16(0xFFFF)
        out.le32(0xFFFF_FFFF)
        out.le32(0xFFFF_FFFF)
        out.le16(0)
        offset += UInt64(out.count)
        return out
    }

    /// MS-DOS time and date (2-second steps, from 1980), in UTC.
    static func dosTime(_ seconds: Double) -> (time: UInt16, date: UInt16) {
        guard seconds.isFinite else { return (0, 0x21) }
        let clamped = max(315_532_800, min(seconds, 4_354_819_198))  // 1980-01-01 ... 2107-12-31
        let parts = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: clamped))
        let time = UInt16(parts.hour ?? 0) << 11 | UInt16(parts.minute ?? 0) << 5 | UInt16((parts.second ?? 0) / 2)
        let date = UInt16((parts.year ?? 1980) - 1980) << 9 | UInt16(parts.month ?? 1) << 5 | UInt16(parts.day ?? 1)
        return (time, date)
    }

    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}

/// CRC-32 (IEEE 802.3, the zip one), eight bytes a step (slicing by 8).
struct CRC32 {
    private(set) var state: UInt32 = 0xFFFF_FFFF
    var value: UInt32 { ~state }

    /// Eight tables of 256 in a row: table t at t * 256.
    private static let table: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            table[i] = c
        }
        for t in 1..<8 {
            for i in 0..<256 { table[t * 256 + i] = table[Int(table[(t - 1) * 256 + i] & 0xFF)] ^ (table[(t - 1) * 256 + i] >> 8) }
        }
        return table
    }()

    mutating func update(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(buffer: UnsafeRawBufferPointer($0)) }
        if done == nil { Array(bytes).withUnsafeBytes { update(buffer: $0) } }
    }

    private mutating func update(buffer: UnsafeRawBufferPointer) {
        state = Self.table.withUnsafeBufferPointer { t in
            var c = state
            var i = 0
            let n = buffer.count
            while i + 8 <= n {
                let low = c ^ UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: i, as: UInt32.self))
                let high = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
                c =
                    t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int(low >> 8 & 0xFF)] ^ t[5 * 256 + Int(low >> 16 & 0xFF)]
                    ^ t[4 * 256 + Int(low >> 24)]
                c ^= t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int(high >> 8 & 0xFF)] ^ t[256 + Int(high >> 16 & 0xFF)] ^ t[Int(high >> 24)]
                i += 8
            }
            while i < n {
                c = t[Int((c ^ UInt32(buffer[i])) & 0xFF)] ^ (c >> 8)
                i += 1
            }
            return c
        }
    }
}

extension [UInt8] {
    fileprivate mutating func le16(_ value: UInt16) { Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) } }
    fileprivate mutating func le32(_ value: UInt32) { Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) } }
    fileprivate mutating func le64(_ value: UInt64) { Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) } }
}
