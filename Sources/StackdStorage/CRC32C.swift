import CStackdCRC32C

/// CRC-32C (Castagnoli), the checksum of every block header and payload.
///
/// liblz4 1.9.4 does not install `xxhash.h`, and CRC-32C is what ext4, iSCSI and most
/// storage formats use, so a reader in any language has a library for it. On x86-64 with SSE4.2
/// the CPU's CRC32 instruction computes it (eight bytes per instruction; ≈ 3 % of a journal
/// replay with the tables, bench/RESULTS.md); elsewhere table-driven slicing-by-8 (eight bytes
/// per step through eight 256-entry tables). All three paths give the same CRC; the tests
/// compare them with the byte-at-a-time loop.
public enum CRC32C {
    /// Whether the SSE4.2 instruction is used (checked once per process).
    static let usesHardware: Bool = stackd_crc32c_hardware_available() != 0

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard usesHardware, let base = bytes.baseAddress else { return checksumTables(bytes) }
        return ~stackd_crc32c_hardware_update(0xFFFF_FFFF, base, bytes.count)
    }

    /// tables[0] is the classic byte table; tables[k][i] = CRC of byte i followed by k zero bytes.
    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for index in 0..<256 {
            var crc = UInt32(index)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            t[index] = crc
        }
        for k in 1..<8 {
            for index in 0..<256 {
                let previous = t[(k - 1) * 256 + index]
                t[k * 256 + index] = t[Int(previous & 0xFF)] ^ (previous >> 8)
            }
        }
        return t
    }()

    /// Slicing-by-8 with the tables: the portable path.
    static func checksumTables(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        tables.withUnsafeBufferPointer { t in
            var i = 0
            let n = bytes.count
            while n - i >= 8 {
                let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let lo = UInt32(truncatingIfNeeded: word) ^ crc, hi = UInt32(truncatingIfNeeded: word >> 32)
                crc = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                crc = t[Int((crc ^ UInt32(bytes[i])) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
        }
        return ~crc
    }

    /// The byte-at-a-time reference (tests compare the two).
    static func checksumBytewise(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        tables.withUnsafeBufferPointer { t in
            for byte in bytes { crc = t[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return ~crc
    }

    /// Also what the model store records per file (`schemas/model-store.md`).
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
