/// Which shared kernel objects and namespaces a task uses (`ids-<pid>.img`, `inventory.root_ids`).
/// Mirrors `task_kobj_ids_entry`.
public struct KernelObjectIDs: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "task_kobj_ids_entry"

    /// `vm_id`: equal ids share an address space.
    public var vmID: UInt32 = 0
    /// `files_id`: the fd table; names `fdinfo-<filesID>.img`.
    public var filesID: UInt32 = 0
    /// `fs_id`: the fs_struct (cwd, root, umask).
    public var fsID: UInt32 = 0
    /// `sighand_id`: the signal-handler table.
    public var sighandID: UInt32 = 0
    /// `pid_ns_id`.
    public var pidNamespaceID: UInt32?
    /// `net_ns_id`.
    public var netNamespaceID: UInt32?
    /// `ipc_ns_id`.
    public var ipcNamespaceID: UInt32?
    /// `uts_ns_id`.
    public var utsNamespaceID: UInt32?
    /// `mnt_ns_id`: names `mountpoints-<id>.img`.
    public var mountNamespaceID: UInt32?
    /// `user_ns_id`.
    public var userNamespaceID: UInt32?
    /// `cgroup_ns_id`.
    public var cgroupNamespaceID: UInt32?
    /// `time_ns_id`: names `timens-<id>.img`.
    public var timeNamespaceID: UInt32?

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: vmID = try reader.u32(key)
            case 2: filesID = try reader.u32(key)
            case 3: fsID = try reader.u32(key)
            case 4: sighandID = try reader.u32(key)
            case 5: pidNamespaceID = try reader.u32(key)
            case 6: netNamespaceID = try reader.u32(key)
            case 7: ipcNamespaceID = try reader.u32(key)
            case 8: utsNamespaceID = try reader.u32(key)
            case 9: mountNamespaceID = try reader.u32(key)
            case 10: userNamespaceID = try reader.u32(key)
            case 11: cgroupNamespaceID = try reader.u32(key)
            case 12: timeNamespaceID = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension KernelObjectIDs: EncodableImageMessage {
    /// Writes the model as CRIU writes `task_kobj_ids_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(vmID))
        writer.write(2, varint: UInt64(filesID))
        writer.write(3, varint: UInt64(fsID))
        writer.write(4, varint: UInt64(sighandID))
        if let v = pidNamespaceID { writer.write(5, varint: UInt64(v)) }
        if let v = netNamespaceID { writer.write(6, varint: UInt64(v)) }
        if let v = ipcNamespaceID { writer.write(7, varint: UInt64(v)) }
        if let v = utsNamespaceID { writer.write(8, varint: UInt64(v)) }
        if let v = mountNamespaceID { writer.write(9, varint: UInt64(v)) }
        if let v = userNamespaceID { writer.write(10, varint: UInt64(v)) }
        if let v = cgroupNamespaceID { writer.write(11, varint: UInt64(v)) }
        if let v = timeNamespaceID { writer.write(12, varint: UInt64(v)) }
    }
}
