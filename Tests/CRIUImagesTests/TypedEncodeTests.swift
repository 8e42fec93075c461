import Foundation
import Testing
@testable import CRIUImages

/// The typed models written back: every message of the fixtures that a model covers (entries and
/// nested messages alike) decodes to the model and encodes to its own bytes.
@Suite struct TypedEncodeTests {
    /// Every model that encodes. Not here: `Core` and the register models, which summarise
    /// `thread_info` (the floating-point state is not modelled), and so cannot write it back.
    static let models: [(name: String, roundTrip: @Sendable ([UInt8]) throws -> [UInt8])] = [
        model(BPFMapFile.self), model(Cgroups.self), model(CgroupSet.self), model(CgroupMember.self), model(CgroupController.self), model(CgroupProperty.self), 
        model(CgroupPermissions.self), model(CgroupDirectory.self), model(Credentials.self), model(EventFD.self), model(EventPoll.self), 
        model(EventPollTarget.self), model(ExternalFile.self), model(FIFOFile.self), model(Fanotify.self), model(FanotifyMark.self), 
        model(FanotifyInodeMark.self), model(FanotifyMountMark.self), model(FileDescriptorInfo.self), model(FileEntry.self), model(FileHandle.self), 
        model(FileOwner.self), model(GhostFile.self), model(GhostChunk.self), model(Timeval.self), model(InetSocket.self), model(IPOptions.self), 
        model(RawIPOptions.self), model(TCPOptions.self), model(Inotify.self), model(InotifyWatch.self), model(Inventory.self), model(KernelObjectIDs.self), 
        model(MemFDFile.self), model(MemFDInode.self), model(MemoryMap.self), model(AIORing.self), model(Mount.self), model(NamespaceFile.self), 
        model(NetDevice.self), model(TunLink.self), model(MacvlanLink.self), model(SITTunnel.self), model(NetNamespace.self), model(NetNamespaceID.self), 
        model(NetlinkSocket.self), model(PacketSocket.self), model(PacketMulticast.self), model(PacketRing.self), model(PagemapEntry.self), 
        model(PagemapHead.self), model(PidFD.self), model(PipeData.self), model(PipeFile.self), model(ProcessTreeEntry.self), model(X86TLSDescriptor.self), 
        model(RegularFile.self), model(RemapFilePath.self), model(ResourceLimit.self), model(Seccomp.self), model(SeccompFilter.self), 
        model(SignalAction.self), model(SignalFD.self), model(SocketOptions.self), model(SocketPacket.self), model(ControlMessage.self), model(Stats.self), 
        model(DumpStats.self), model(RestoreStats.self), model(Sysctl.self), model(TCPStream.self), model(TTYFile.self), model(TTYInfo.self), model(Termios.self), 
        model(WindowSize.self), model(PTYIndex.self), model(TaskCore.self), model(TaskFS.self), model(TaskTimers.self), model(IntervalTimer.self), 
        model(POSIXTimer.self), model(ThreadCore.self), model(SignalStack.self), model(RestartableSequence.self), model(TimeNamespace.self), 
        model(Timespec.self), model(TimerFD.self), model(TunFile.self), model(UTSNamespace.self), model(UnixSocket.self), model(FilePermissions.self), model(VMA.self),
    ]

    /// The model's message name, and decode-then-encode with it.
    static func model<T: EncodableImageMessage>(_ type: T.Type) -> (name: String, roundTrip: @Sendable ([UInt8]) throws -> [UInt8]) {
        (T.messageName, { try T(bytes: $0).encoded() })
    }

    static let byName: [String: @Sendable ([UInt8]) throws -> [UInt8]] = Dictionary(models.map { ($0.name, $0.roundTrip) }, uniquingKeysWith: { a, _ in a })

    /// Calls `body` with every message in `message` (itself included), depth first.
    static func walk(_ message: DecodedMessage, _ body: (DecodedMessage) throws -> Void) rethrows {
        try body(message)
        for field in message.fields {
            for case .message(let sub) in field.values { try walk(sub, body) }
        }
    }

    @Test func everyModelledMessageOfTheFixturesEncodesToItsBytes() throws {
        #expect(Self.byName.count == Self.models.count)
        var checked: [String: Int] = [:]
        for path in EncodeRoundTripTests.allImages {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let image = try ImageFile.parse(bytes, fileName: (path as NSString).lastPathComponent)
            try bytes.withUnsafeBytes { buffer in
                for entry in image.entries {
                    try Self.walk(try GenericDecoder().decode(entry, in: buffer)) { message in
                        guard let roundTrip = Self.byName[message.type] else { return }
                        // The fixtures are canonical, so the generic encoding is the message's bytes.
                        let original = try GenericEncoder().encode(message)
                        let again = try roundTrip(original)
                        #expect(again == original, "\(path)#\(entry.index) \(message.type)")
                        checked[message.type, default: 0] += 1
                    }
                }
            }
        }
        let total = checked.values.reduce(0, +)
        print("typed encode: \(total) messages of \(checked.count) types encoded by their models, byte-identical; " +
              "models never met in the fixtures: \(Self.models.map(\.name).filter { checked[$0] == nil }.sorted().joined(separator: " "))")
        #expect(checked.count >= 40)
        #expect(total > 5000)
    }

    /// A message of `type` with every field the schema declares set (two values for repeated ones,
    /// nested messages filled the same way down to `depth`), in canonical bytes.
    static func full(_ type: String, depth: Int = 0) -> DecodedMessage {
        let descriptor = Schema.criu.message(type)!
        var fields: [DecodedField] = []
        for f in descriptor.fields {
            // file_entry holds the one description its type names (REG: reg).
            if type == "file_entry" && f.number > 3 { continue }
            func value(_ i: Int) -> DecodedValue? {
                switch f.type {
                case .message:
                    guard depth < 3 else { return nil }
                    return .message(full(f.typeName!, depth: depth + 1))
                case .enumeration:
                    let e = Schema.criu.enums[f.typeName!]!.values.last!
                    return .enumeration(e.number, name: e.name)
                case .bool: return .bool(true)
                case .string: return .string(Array("name-\(i)".utf8))
                case .bytes: return .bytes([UInt8(i), 0xFF, 0])
                case .int32, .int64, .sfixed32, .sfixed64: return .signed(-7 - Int64(i))
                case .sint32, .sint64: return .signed(-300 - Int64(i))
                case .float, .double: return .floatingPoint(1.5)
                default: return .unsigned(300 + UInt64(i) + UInt64(f.number))
                }
            }
            let values = (0..<(f.isRepeated ? 2 : 1)).compactMap(value)
            if type == "file_entry" && f.number == 1 { fields.append(DecodedField(descriptor: f, values: [.enumeration(1, name: "REG")])); continue }
            if !values.isEmpty { fields.append(DecodedField(descriptor: f, values: values)) }
        }
        return DecodedMessage(type: type, fields: fields)
    }

    /// Each model against a message with every field set, including the models the fixtures never use.
    @Test func everyModelWritesEveryFieldBack() throws {
        var failed: [String] = []
        for (name, roundTrip) in Self.models {
            let bytes = try GenericEncoder().encode(Self.full(name))
            if try roundTrip(bytes) != bytes { failed.append(name) }
        }
        #expect(failed.isEmpty, "\(failed)")
    }
}
