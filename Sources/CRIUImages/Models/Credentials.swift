/// A thread's credentials. Mirrors `creds_entry`.
public struct Credentials: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "creds_entry"

    /// `uid`: real uid.
    public var uid: UInt32 = 0
    /// `gid`: real gid.
    public var gid: UInt32 = 0
    /// `euid`.
    public var euid: UInt32 = 0
    /// `egid`.
    public var egid: UInt32 = 0
    /// `suid`.
    public var suid: UInt32 = 0
    /// `sgid`.
    public var sgid: UInt32 = 0
    /// `fsuid`.
    public var fsuid: UInt32 = 0
    /// `fsgid`.
    public var fsgid: UInt32 = 0
    /// `cap_inh`: inheritable capabilities; nil when absent.
    public var inheritable: CapabilitySet?
    /// `cap_prm`: permitted capabilities.
    public var permitted: CapabilitySet?
    /// `cap_eff`: effective capabilities.
    public var effective: CapabilitySet?
    /// `cap_bnd`: the bounding set.
    public var bounding: CapabilitySet?
    /// `cap_amb`: ambient capabilities (4.1+).
    public var ambient: CapabilitySet?
    /// `secbits`: prctl securebits.
    public var secureBits: UInt32 = 0
    /// `groups`: supplementary groups.
    public var groups: [UInt32] = []
    /// `lsm_profile`: SELinux context or AppArmor profile.
    public var lsmProfile: LinuxName?
    /// `lsm_sockcreate`: SELinux sockcreate context.
    public var lsmSocketCreate: LinuxName?
    /// `apparmor_data`: stacked AppArmor data (opaque).
    public var apparmorData: [UInt8]?
    /// `no_new_privs`: prctl(PR_SET_NO_NEW_PRIVS), 0 or 1.
    public var noNewPrivileges: UInt32?

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        var words: [[UInt32]?] = [nil, nil, nil, nil, nil]
        func append(_ slot: Int, _ key: FieldKey, _ reader: inout WireReader) throws(ImageError) {
            var list = words[slot] ?? []
            try reader.appendU32(key, to: &list)
            words[slot] = list
        }
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: uid = try reader.u32(key)
            case 2: gid = try reader.u32(key)
            case 3: euid = try reader.u32(key)
            case 4: egid = try reader.u32(key)
            case 5: suid = try reader.u32(key)
            case 6: sgid = try reader.u32(key)
            case 7: fsuid = try reader.u32(key)
            case 8: fsgid = try reader.u32(key)
            case 9: try append(0, key, &reader)
            case 10: try append(1, key, &reader)
            case 11: try append(2, key, &reader)
            case 12: try append(3, key, &reader)
            case 13: secureBits = try reader.u32(key)
            case 14: try reader.appendU32(key, to: &groups)
            case 15: lsmProfile = try reader.name(key)
            case 16: lsmSocketCreate = try reader.name(key)
            case 17: apparmorData = try reader.bytes(key)
            case 18: noNewPrivileges = try reader.u32(key)
            case 19: try append(4, key, &reader)
            default: try reader.skip(key.wireType)
            }
        }
        inheritable = words[0].map(CapabilitySet.init(words:))
        permitted = words[1].map(CapabilitySet.init(words:))
        effective = words[2].map(CapabilitySet.init(words:))
        bounding = words[3].map(CapabilitySet.init(words:))
        ambient = words[4].map(CapabilitySet.init(words:))
    }
}

/// A set of Linux capabilities as a 64-bit mask (bit n = capability n), assembled from
/// CRIU's two u32 words (word 0 = capabilities 0-31, word 1 = 32-63).
public struct CapabilitySet: OptionSet, Hashable, Sendable {
    /// The bits as stored in the image.
    public var rawValue: UInt64

    /// A set from stored bits.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// The set from CRIU's words; missing words count as zero, extra words are ignored.
    public init(words: [UInt32]) {
        let low = words.count > 0 ? UInt64(words[0]) : 0
        let high = words.count > 1 ? UInt64(words[1]) : 0
        self.rawValue = low | high << 32
    }

    /// The set as CRIU writes it: two u32 words.
    public var words: [UInt32] { [UInt32(truncatingIfNeeded: rawValue), UInt32(truncatingIfNeeded: rawValue >> 32)] }

    /// True when capability number `capability` (CAP_CHOWN = 0, CAP_SYS_ADMIN = 21...) is in the set.
    public func contains(capability: Int) -> Bool {
        capability >= 0 && capability < 64 && rawValue & (1 << UInt64(capability)) != 0
    }

    /// The capability numbers in the set, ascending.
    public var capabilities: [Int] { (0..<64).filter { contains(capability: $0) } }
}

extension Credentials: EncodableImageMessage {
    /// Writes the model as CRIU writes `creds_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(uid))
        writer.write(2, varint: UInt64(gid))
        writer.write(3, varint: UInt64(euid))
        writer.write(4, varint: UInt64(egid))
        writer.write(5, varint: UInt64(suid))
        writer.write(6, varint: UInt64(sgid))
        writer.write(7, varint: UInt64(fsuid))
        writer.write(8, varint: UInt64(fsgid))
        if let v = inheritable { for w in v.words { writer.write(9, varint: UInt64(w)) } }
        if let v = permitted { for w in v.words { writer.write(10, varint: UInt64(w)) } }
        if let v = effective { for w in v.words { writer.write(11, varint: UInt64(w)) } }
        if let v = bounding { for w in v.words { writer.write(12, varint: UInt64(w)) } }
        writer.write(13, varint: UInt64(secureBits))
        for v in groups { writer.write(14, varint: UInt64(v)) }
        if let v = lsmProfile { writer.write(15, bytes: v.bytes) }
        if let v = lsmSocketCreate { writer.write(16, bytes: v.bytes) }
        if let v = apparmorData { writer.write(17, bytes: v) }
        if let v = noNewPrivileges { writer.write(18, varint: UInt64(v)) }
        if let v = ambient { for w in v.words { writer.write(19, varint: UInt64(w)) } }
    }
}

extension CapabilitySet {
    /// The kernel's capability names by number (`include/uapi/linux/capability.h`, up to
    /// CAP_CHECKPOINT_RESTORE = 40, Linux 5.9).
    public static let knownNames = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// Every capability the names table knows (CAP_CHOWN through CAP_CHECKPOINT_RESTORE).
    public static let allKnown = CapabilitySet(rawValue: (1 << UInt64(knownNames.count)) - 1)

    /// The name of capability number `capability`; `CAP_<n>` for a number newer than the table.
    public static func name(_ capability: Int) -> String {
        capability >= 0 && capability < knownNames.count ? knownNames[capability] : "CAP_\(capability)"
    }

    /// A set from capability names (`CAP_CHOWN`, ...); unknown names are ignored.
    public init(names: [String]) {
        var bits: UInt64 = 0
        for name in names {
            if let i = Self.knownNames.firstIndex(of: name) { bits |= 1 << UInt64(i) }
        }
        self.init(rawValue: bits)
    }

    /// The names of the capabilities in the set, by number.
    public var names: [String] { capabilities.map(Self.name) }
}
