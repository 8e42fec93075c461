import Foundation
import Testing
import CRIUImages

/// Every typed model against the generic decoder, over every protobuf entry of every fixture.
@Suite struct SweepModelTests {
    typealias Decode = @Sendable (UnsafeRawBufferPointer, ImageEntry) throws(ImageError) -> ModelExpectation

    static func decoder<T: ImageMessage & ModelExpectable>(_ type: T.Type) -> (String, Decode) {
        (T.messageName, { (buffer, entry) throws(ImageError) in try T.decode(entry, in: buffer).expected })
    }

    /// Every message type that is (or once was) the entry type of an image, with its typed model.
    static let decoders: [String: Decode] = Dictionary(uniqueKeysWithValues: [
        decoder(Inventory.self), decoder(ProcessTreeEntry.self), decoder(Core.self), decoder(KernelObjectIDs.self),
        decoder(MemoryMap.self), decoder(VMA.self), decoder(PagemapHead.self), decoder(PagemapEntry.self),
        decoder(TaskFS.self), decoder(FileDescriptorInfo.self), decoder(FileEntry.self), decoder(Mount.self),
        decoder(NetNamespace.self), decoder(NetDevice.self), decoder(UTSNamespace.self), decoder(Cgroups.self),
        decoder(Seccomp.self), decoder(TimeNamespace.self), decoder(TTYInfo.self), decoder(SocketPacket.self),
        decoder(TCPStream.self), decoder(GhostFile.self), decoder(GhostChunk.self), decoder(RemapFilePath.self),
        decoder(MemFDInode.self), decoder(PipeData.self), decoder(Stats.self),
        // Legacy per-type images use the same messages as files.img / core.
        decoder(RegularFile.self), decoder(PipeFile.self), decoder(FIFOFile.self), decoder(UnixSocket.self),
        decoder(InetSocket.self), decoder(PacketSocket.self), decoder(NetlinkSocket.self), decoder(EventFD.self),
        decoder(EventPoll.self), decoder(EventPollTarget.self), decoder(SignalFD.self), decoder(Inotify.self),
        decoder(InotifyWatch.self), decoder(Fanotify.self), decoder(FanotifyMark.self), decoder(TimerFD.self),
        decoder(TTYFile.self), decoder(TunFile.self), decoder(BPFMapFile.self), decoder(PidFD.self),
        decoder(NamespaceFile.self), decoder(ExternalFile.self), decoder(SignalAction.self),
        decoder(IntervalTimer.self), decoder(POSIXTimer.self), decoder(ResourceLimit.self), decoder(Credentials.self),
    ])

    /// Fields the models deliberately leave out (register-file details).
    static let unmodelled: Set<String> = [
        "user_x86_fpregs_entry.padding", "user_x86_xsave_entry.cet",
    ]

    @Test func typedModelsMatchTheGenericDecoder() throws {
        let images = Fixtures.allImages()
        #expect(images.count > 150, "fixture set changed: \(images.count) images")
        var score = ModelComparison()
        var skipped: [String: Int] = [:]
        for path in images {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let name = (path as NSString).lastPathComponent
            let image = try ImageFile.parse(bytes, fileName: name)
            try bytes.withUnsafeBytes { buffer in
                for entry in image.entries {
                    guard let decode = Self.decoders[entry.message] else {
                        skipped[entry.message, default: 0] += 1
                        continue
                    }
                    let expect = try decode(buffer, entry)
                    let generic = try GenericDecoder().decode(entry, in: buffer)
                    score.entries += 1
                    score.entriesByType[entry.message, default: 0] += 1
                    score.compare(expect, generic, at: "\(name)#\(entry.index)")
                }
            }
        }
        for failure in score.failures.prefix(40) { Issue.record("\(failure)") }
        #expect(score.failures.isEmpty, "\(score.failures.count) mismatches")
        let unexpected = score.uncovered.keys.filter { !Self.unmodelled.contains($0) }.sorted()
        #expect(unexpected.isEmpty, "fields present in fixtures that no typed model covers: \(unexpected)")
        print("typed-vs-generic sweep: \(images.count) images, \(score.entries) entries, \(score.fields) fields compared")
        print("  by type: \(score.entriesByType.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        print("  not modelled (left to the generic decoder): \(skipped.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        print("  fields deliberately not modelled, seen: \(score.uncovered.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        // Measured on the committed fixtures: 758 entries, 22342 fields.
        #expect(score.entries >= 750)
        #expect(score.fields >= 22_000)
    }
}
