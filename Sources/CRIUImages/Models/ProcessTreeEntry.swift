/// One process of `pstree.img` (depth-first pre-order, root first). Mirrors `pstree_entry`.
///
/// All ids are virtual: as seen inside the dumped pid namespace.
public struct ProcessTreeEntry: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "pstree_entry"

    /// `pid`: names the process's core-, mm-, pagemap-, ids- and fs- images.
    public var pid: UInt32 = 0
    /// `ppid`: the parent's pid; 0 for the root of the dumped tree.
    public var parentPID: UInt32 = 0
    /// `pgid`: process group id.
    public var processGroupID: UInt32 = 0
    /// `sid`: session id.
    public var sessionID: UInt32 = 0
    /// `threads`: every thread id, the leader included (one `core-<tid>.img` each).
    public var threads: [UInt32] = []

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: pid = try reader.u32(key)
            case 2: parentPID = try reader.u32(key)
            case 3: processGroupID = try reader.u32(key)
            case 4: sessionID = try reader.u32(key)
            case 5: try reader.appendU32(key, to: &threads)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension ProcessTreeEntry: EncodableImageMessage {
    /// Writes the model as CRIU writes `pstree_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(pid))
        writer.write(2, varint: UInt64(parentPID))
        writer.write(3, varint: UInt64(processGroupID))
        writer.write(4, varint: UInt64(sessionID))
        for v in threads { writer.write(5, varint: UInt64(v)) }
    }
}
