#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Brings a log directory to a state a writer can append to, reporting everything it changes.
///
/// Only damage a crash can cause is repaired: a torn tail of the newest segment (truncated),
/// an empty newest segment (removed), leftover temporaries, and the original segment of an
/// interrupted compaction (removed; its replacement was complete before the rename). A segment
/// whose file header is damaged, whichever it is, is set aside (renamed `<name>.damaged`, never
/// deleted) so the log still opens. Anything else is reported and left in place for an operator.
enum LogRecovery {
    struct Recovered {
        var entries: [SegmentEntry]
        var activeFile: RawFile?
        var report: OpenReport
    }

    static func open(_ directory: String) throws(StorageError) -> Recovered {
        try LogDirectory.ensureExists(directory)
        var report = OpenReport()
        var changed = false
        for name in try LogDirectory.entries(directory) where name.hasSuffix(LogDirectory.temporarySuffix) {
            try LogDirectory.remove(LogDirectory.path(directory, name))
            report.removedFiles.append(name)
            changed = true
        }
        let names = try LogDirectory.segmentNames(directory)
        var entries: [SegmentEntry] = []
        var active: RawFile?
        for (position, name) in names.enumerated() {
            let path = LogDirectory.path(directory, name)
            let isNewest = position == names.count - 1
            let file = try RawFile(path: path, flags: isNewest ? O_RDWR : O_RDONLY)
            switch try SegmentScanner.scan(file, verifyPayloads: isNewest) {
            case let .badHeader(fileSize, reason):
                if isNewest && fileSize <= SegmentHeader.size {
                    // Segments are created atomically, but a directory restored from a copy
                    // can still end in a stub: it holds no record, so removing it loses nothing.
                    try LogDirectory.remove(path)
                    report.removedFiles.append(name)
                    changed = true
                } else {
                    // Nothing in it can be trusted, and as the newest segment the writer would
                    // have to append after sequences it cannot know. Set aside, the log opens
                    // with the rest (a new segment follows the last readable one); refusing
                    // would keep the owner down for one flipped byte.
                    let first = LogDirectory.firstSequence(ofSegmentNamed: name) ?? 0
                    var lost: Int?
                    if !isNewest, let next = LogDirectory.firstSequence(ofSegmentNamed: names[position + 1]), next > first {
                        lost = Int(clamping: next - first)
                    } else if isNewest {
                        lost = try SegmentScanner.recordsBehindDamagedHeader(file)
                    }
                    let renamed = try LogDirectory.quarantine(name, in: directory)
                    report.quarantined.append(QuarantineReport(
                        segment: name, quarantinedAs: renamed, firstSequence: first, byteSize: fileSize,
                        reason: reason, recordsLost: lost))
                    changed = true
                }
            case let .scanned(scan):
                for region in scan.corruptRegions {
                    report.corruptions.append(CorruptionReport(
                        kind: .corruptRegion, segment: name, byteOffset: region.offset,
                        length: region.length, reason: region.reason))
                }
                let entry = SegmentEntry(
                    path: path, fileName: name, header: scan.header, blocks: scan.blocks, byteSize: scan.validEnd)
                if scan.validEnd < scan.fileSize {
                    if isNewest {
                        try file.truncate(to: scan.validEnd)
                        try file.sync()
                        report.recovery = RecoveryReport(
                            segment: name, byteOffset: scan.validEnd, bytesDropped: scan.fileSize - scan.validEnd,
                            recordsRecovered: entry.info.recordCount)
                        changed = true
                    } else {
                        report.corruptions.append(CorruptionReport(
                            kind: .truncatedSegment, segment: name, byteOffset: scan.validEnd,
                            length: scan.fileSize - scan.validEnd, reason: scan.tornTailReason ?? "incomplete block"))
                    }
                }
                if isNewest && entry.blocks.isEmpty {
                    try LogDirectory.remove(path)
                    report.removedFiles.append(name)
                    changed = true
                    continue
                }
                entries.append(entry)
                if isNewest { active = file }
            }
        }
        var index = 0
        while index + 1 < entries.count {
            if let last = entries[index].info.lastSequence, last >= entries[index + 1].info.firstSequence {
                try LogDirectory.remove(entries[index].path)
                report.removedFiles.append(entries[index].info.fileName)
                entries.remove(at: index)
                changed = true
            } else {
                index += 1
            }
        }
        if changed { try LogDirectory.syncDirectory(directory) }
        // What survived a crash may sit only in the page cache; syncing it here makes the
        // writer's starting `syncedSequence` true.
        try active?.sync()
        return Recovered(entries: entries, activeFile: active, report: report)
    }
}
